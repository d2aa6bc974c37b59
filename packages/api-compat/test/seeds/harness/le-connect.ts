// Harness (not a seed block): a client trying the server a linkEnhance server example left on the peer device
// (`__seedArg.mac`, server "demo"): reports {"ev":"leConnect","success","reason"} from `connectResult`, then closes.
import { linkEnhance } from '@kit.DistributedServiceKit';

const arg = (globalThis as unknown as { __seedArg: { mac: string } }).__seedArg;
const connection = linkEnhance.createConnection(arg.mac, 'demo');
connection.on('connectResult', (result: linkEnhance.ConnectResult): void => {
  process.stdout.write(
    `${JSON.stringify({ ev: 'leConnect', success: result.success, reason: result.reason })}\n`,
  );
  connection.close();
});
connection.connect();
