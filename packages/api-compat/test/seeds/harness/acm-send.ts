// Harness (not a seed block): sends `__seedArg.msg` on session `__seedArg.sessionId`; reports {"ev":"sent"} or, when
// the send is rejected, {"ev":"sendRejected","code"} (the code the seed's own catch throws away).
import { abilityConnectionManager } from '@kit.DistributedServiceKit';

const arg = (globalThis as unknown as { __seedArg: { sessionId: number; msg: string } }).__seedArg;
try {
  await abilityConnectionManager.sendMessage(arg.sessionId, arg.msg);
  process.stdout.write(`${JSON.stringify({ ev: 'sent', msg: arg.msg })}\n`);
} catch (e) {
  const code = (e as { code?: unknown } | null)?.code;
  process.stdout.write(`${JSON.stringify({ ev: 'sendRejected', msg: arg.msg, code })}\n`);
}
