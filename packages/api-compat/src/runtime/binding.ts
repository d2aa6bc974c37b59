import { createInterface } from 'node:readline';
import type { BindingRequest, ConfirmBinding } from '@colink/core/security';

/** The device's "system UI" for bindings: lines on stderr, whatever COLINK_DEBUG says (people must see the code). */
const say = (line: string): void => {
  process.stderr.write(`colink: ${line}\n`);
};

/**
 * How a Node device answers a binding (the HarmonyOS PIN dialog of `DeviceManager.bindTarget`), from
 * `COLINK_BIND_CONFIRM`:
 * - `'prompt'` — ask on the terminal: the code is shown and the user types `y` if the other device shows the same
 *   (the default when stdin is a TTY);
 * - `'reject'` — decline every binding (the default without a terminal: nobody can compare codes);
 * - `'accept'` — confirm every binding after logging its code. For demos and tests on one machine only: it lets any
 *   device that asks become trusted.
 */
export type BindConfirmPolicy = 'prompt' | 'accept' | 'reject';

/** Reads the policy from `COLINK_BIND_CONFIRM` (unknown values count as `'reject'`). */
export function bindPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): BindConfirmPolicy {
  const v = (env.COLINK_BIND_CONFIRM ?? '').trim().toLowerCase();
  if (v === 'accept' || v === 'prompt' || v === 'reject') return v;
  if (v === '' && process.stdin.isTTY) return 'prompt';
  return 'reject';
}

/** The {@link ConfirmBinding} for `policy`; `describe` names the peer for people (its device name, if known). */
export function bindingConfirmation(
  policy: BindConfirmPolicy,
  describe: (networkId: string) => string,
): ConfirmBinding {
  return (request: BindingRequest) => {
    const who = describe(request.networkId);
    if (policy === 'accept') {
      say(`binding with ${who}: code ${request.code}, confirmed (COLINK_BIND_CONFIRM=accept)`);
      return true;
    }
    if (policy === 'reject') {
      say(
        `binding with ${who} declined: no one can compare the code here (COLINK_BIND_CONFIRM=prompt on a terminal, or accept for demos)`,
      );
      return false;
    }
    return askOnTerminal(who, request);
  };
}

/** Shows the code on the terminal and waits for y/N; a dropped connection dismisses the question. */
function askOnTerminal(who: string, request: BindingRequest): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  return new Promise<boolean>((resolve) => {
    const done = (ok: boolean): void => {
      request.signal.removeEventListener('abort', onAbort);
      rl.close();
      resolve(ok);
    };
    const onAbort = (): void => done(false);
    request.signal.addEventListener('abort', onAbort);
    rl.question(
      `Bind with ${who}? Check that it shows the code ${request.code}, then type y to confirm: `,
      (answer) => done(/^y(es)?$/i.test(answer.trim())),
    );
  });
}
