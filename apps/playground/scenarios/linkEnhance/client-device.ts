// The client device of the linkEnhance seed (sendData example): connect to "00:11:22:33:44:55", send 1 byte on
// success, then disconnect. Unchanged seed code.

import type { BusinessError } from '@kit.BasicServicesKit';
import { linkEnhance } from '@kit.DistributedServiceKit';
import { hilog } from '@kit.PerformanceAnalysisKit';

const TAG = 'testDemo';

try {
  const peerDeviceId: string = '00:11:22:33:44:55';
  hilog.info(0x0000, TAG, 'connection sever deviceId = ' + peerDeviceId);
  const connection: linkEnhance.Connection = linkEnhance.createConnection(peerDeviceId, 'demo');
  connection.on('connectResult', (result: linkEnhance.ConnectResult): void => {
    hilog.info(0x0000, TAG, 'clientConnectResultCallback result = ' + result.success);
    if (result.success) {
      const len = 1;
      const arraybuffer = new ArrayBuffer(len); // Create the data to send.
      connection.sendData(arraybuffer);
      hilog.info(
        0x0000,
        TAG,
        'sendData data connection peerDeviceId=%{public}s' + connection.getPeerDeviceId(),
      );
      connection.disconnect();
    }
  });
  connection.connect();
} catch (err) {
  hilog.error(
    0x0000,
    TAG,
    'errCode: ' + (err as BusinessError).code + ', errMessage: ' + (err as BusinessError).message,
  );
}
