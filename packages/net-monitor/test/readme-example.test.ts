import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractExample, repoRoot, runExample } from '../../../scripts/readme-examples.mjs';
import { hasCommand, isRoot, Lab } from './helpers/lab.js';

const file = 'packages/net-monitor/examples/networks.ts';
const readme = path.join(import.meta.dirname, '../README.md');

describe('README example: printing networks', () => {
  it('is the example file, verbatim (so pnpm typecheck checks it)', () => {
    expect(extractExample(readme, file)).toBe(readFileSync(path.join(repoRoot, file), 'utf8'));
  });

  // Reason for skipIf: the run needs a network namespace with known interfaces (root and iproute2).
  describe.skipIf(!isRoot || !hasCommand('ip'))('in a namespace with one network', () => {
    let lab: Lab;
    beforeAll(async () => {
      lab = await Lab.create('rd');
      await lab.veth('eth7', 77);
      await lab.inNs('route', 'add', 'default', 'via', '10.77.0.1');
      // The example prints a snapshot: wait until the kernel reports carrier on the veth (operstate UP).
      const deadline = Date.now() + 10_000;
      const operstate = () =>
        JSON.parse(execFileSync('ip', ['-n', lab.ns, '-j', 'link', 'show', 'eth7'], { encoding: 'utf8' }))[0]
          ?.operstate;
      while (operstate() !== 'UP' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    });
    afterAll(() => lab?.destroy());

    it('runs as written and prints the network and the default', async () => {
      const { done } = runExample(path.join(import.meta.dirname, '..'), extractExample(readme, file), {
        prefix: ['ip', 'netns', 'exec', lab.ns],
      });
      const run = await done;
      expect(run.stderr).toBe('');
      const lines = run.stdout.trim().split('\n');
      expect(lines[0]).toBe('source: netlink');
      expect(lines.slice(1)).toEqual([
        expect.stringMatching(/^network 100: eth7 10\.77\.0\.2\/24( fe80::\S+\/64)? \[.*INTERNET.*\]$/),
        'default: 100 (eth7)',
      ]);
      expect(run.status).toBe(0);
    }, 60_000);
  });
});
