// Harness (not a seed block): sends `__seedArg.msg` on session `__seedArg.sessionId` (device A's harness session).
import { abilityConnectionManager } from '@kit.DistributedServiceKit';

const arg = (globalThis as unknown as { __seedArg: { sessionId: number; msg: string } }).__seedArg;
await abilityConnectionManager.sendMessage(arg.sessionId, arg.msg);
process.stdout.write(`${JSON.stringify({ ev: 'sent', msg: arg.msg })}\n`);
