// Harness (not a seed block): the reader waits until the other device shows up before pressing "create session".
import { getRuntime } from '@colink/api-compat/runtime';

await getRuntime().waitForDevices(1, 30_000);
process.stdout.write(`${JSON.stringify({ ev: 'peer' })}\n`);
