// The README's handover how-to, run as written: the script block quoted from examples/handover/handover.sh (radio,
// namespaces, the echo-app tablet through colink-device, the handover phone), with names of this test's own.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { canUseNetns, ip } from '@colink/transport-wifi-p2p/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { extractExample, repoRoot } from '../../../scripts/readme-examples.mjs';
import { configFromEnv } from '../src/runtime/config.js';
import { randomPort } from './procs.js';

const readme = path.join(import.meta.dirname, '../README.md');
const pkg = path.join(import.meta.dirname, '..');
const script = 'packages/api-compat/examples/handover/handover.sh';
const phone = 'packages/api-compat/examples/handover/phone.ts';

if (!canUseNetns()) console.warn('handover how-to skipped: not root (the script creates network namespaces)');

describe('README how-to: a session moves between TCP and the virtual BLE radio as media are cut from outside', () => {
  it.each([script, phone])('quotes %s verbatim', (file) => {
    expect(extractExample(readme, file)).toBe(readFileSync(path.join(repoRoot, file), 'utf8'));
  });

  it('COLINK_NET_LINK_LOSS turns the immediate drop on (default off)', () => {
    expect(configFromEnv({}).netLinkLoss).toBe(false);
    expect(configFromEnv({ COLINK_NET_LINK_LOSS: 'on' }).netLinkLoss).toBe(true);
    expect(configFromEnv({ COLINK_NET_LINK_LOSS: '1' }).netLinkLoss).toBe(true);
    expect(configFromEnv({ COLINK_NET_LINK_LOSS: 'off' }).netLinkLoss).toBe(false);
  });

  it.skipIf(!canUseNetns())(
    'runs as written: veth down → BLE, veth up → TCP again by itself, radio range out; every echo in order, no disconnect',
    async () => {
      const id = `${process.pid % 100000}`;
      const env = {
        ...process.env,
        COLINK_DEVICE: `${process.execPath} bin/colink-device.js`,
        RADIO: `/tmp/colink-howto-${id}.sock`,
        NS_TABLET: `clhwt${id}`,
        NS_PHONE: `clhwp${id}`,
        COLINK_MDNS_PORT: String(randomPort()),
      };
      const child = spawn('bash', ['-c', extractExample(readme, script)], {
        cwd: pkg,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
      });
      // A hang: SIGTERM first (the script's trap removes its namespaces and processes), SIGKILL 5 s later; the
      // finally below removes whatever is left either way.
      const stop = (sig: NodeJS.Signals): void => {
        try {
          process.kill(-child.pid!, sig);
        } catch {
          // already gone
        }
      };
      const killer = setTimeout(() => {
        stop('SIGTERM');
        setTimeout(() => stop('SIGKILL'), 5_000).unref();
      }, 150_000);
      onTestFinished(async () => {
        clearTimeout(killer);
        stop('SIGKILL');
        for (const ns of [env.NS_TABLET, env.NS_PHONE]) await ip(['netns', 'del', ns]).catch(() => undefined);
        rmSync(env.RADIO, { force: true });
      });
      const status = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      clearTimeout(killer);
      const lines = out.split('\n').filter((l) => l && !l.startsWith('I 0x'));
      console.info(lines.join('\n'));
      expect(status, `stdout ${out.slice(-2000)}\nstderr ${err.slice(-3000)}`).toBe(0);
      expect(lines).toContain('connected: true over tcp');
      const moves = lines.filter((l) => l.startsWith('session moved'));
      // veth down: the session moves to BLE; veth up: a device dials TCP again by itself (COLINK_UPGRADE_DIAL_MS)
      // and the session moves back make-before-break — before the range fault drops the standby BLE Link.
      const toBle = lines.findIndex((l) => /^session moved tcp → ble \((loss|peer)\)$/.test(l));
      const back = lines.findIndex(
        (l, i) => i > toBle && /^session moved ble → tcp \((upgrade|peer)\)$/.test(l),
      );
      const rangeOut = lines.indexOf('{"ok":true,"linksDropped":1}'); // the phone's BLE Link, dropped by the range fault
      expect(toBle, moves.join('; ')).toBeGreaterThanOrEqual(0);
      expect(back, moves.join('; ')).toBeGreaterThan(toBle);
      expect(rangeOut, lines.join('\n')).toBeGreaterThan(back);
      const summary = lines.find((l) => l.startsWith('sent '));
      const m = /^sent (\d+), echoed in order (\d+), out of order 0, disconnects 0$/.exec(summary ?? '');
      expect(m, summary).not.toBeNull();
      expect(Number(m![2])).toBe(Number(m![1]));
      expect(Number(m![1])).toBeGreaterThan(100);
      // the script cleaned up after itself
      const namespaces = await ip(['netns', 'list']);
      expect(namespaces).not.toContain(env.NS_TABLET);
      expect(namespaces).not.toContain(env.NS_PHONE);
      expect(existsSync(env.RADIO)).toBe(false);
    },
    180_000,
  );
});
