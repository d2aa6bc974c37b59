// The server device of the linkEnhance seed (on('connectionAccepted') example), plus the seed's on('dataReceived')
// snippet on each accepted connection. Unchanged seed code; the test reads hilog lines on stderr.

import type { BusinessError } from '@kit.BasicServicesKit';
import { linkEnhance } from '@kit.DistributedServiceKit';
import { hilog } from '@kit.PerformanceAnalysisKit';

const TAG = 'testDemo';

try {
  const name: string = 'demo';
  hilog.info(0x0000, TAG, 'start sever name = ' + name);
  // Construct a Server object using the specified name.
  const server: linkEnhance.Server = linkEnhance.createServer(name);

  // Subscribe to connectionAccepted events.
  server.on('connectionAccepted', (connection: linkEnhance.Connection): void => {
    hilog.info(0x0000, TAG, 'serverOnCallback = ' + JSON.stringify(connection));
    connection.on('dataReceived', (data: ArrayBuffer) => {
      hilog.info(0x0000, TAG, 'recv dataLen = ' + data.byteLength);
    });
    connection.on('disconnected', (num: number) => {
      hilog.info(0x0000, TAG, 'disconnected, num = ' + num);
    });
  });
  // Start the server.
  server.start();
} catch (err) {
  hilog.info(
    0x0000,
    TAG,
    'start sever errCode: ' + (err as BusinessError).code + ', errMessage: ' + (err as BusinessError).message,
  );
}
