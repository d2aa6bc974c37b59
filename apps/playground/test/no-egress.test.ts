import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumInstalled, launchLoopbackOnly } from './chromium.js';
import { MAIN } from './nobody.js';

// Nothing leaves the host (issue 16): the lab as `pnpm start` runs it (the built CLI) and Chromium loading its UI,
// both in a network namespace whose default route leads out through a veth, captured with tcpdump on that veth —
// the namespace's default-route interface. The capture sees only this test's processes (the host's own interface
// carries whatever else runs on the machine). The veth's far end sits in a second namespace of ours with IP
// forwarding off, so whatever would leave is captured and dropped there: nothing reaches a real network either way.
// Allowed: the kernel's own ARP and IPv6 neighbour discovery / MLD. Anything else — a DNS query, a SYN, mDNS
// multicast — fails the test and is printed.

/** How long the lab runs with the browser on its UI while the capture runs (ms). */
const CAPTURE_MS = 10_000;

function missing(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux network namespaces';
  if (process.getuid?.() !== 0) return 'needs root (network namespaces and a packet capture)';
  for (const [cmd, args] of [
    ['ip', ['-V']],
    ['tcpdump', ['--version']],
  ] as const) {
    try {
      execFileSync(cmd, args, { stdio: 'ignore' });
    } catch {
      return `needs ${cmd} (scripts/system-deps.mjs installs it when run as root)`;
    }
  }
  if (!chromiumInstalled) return 'needs Chromium (apt install chromium)';
  if (!fs.existsSync(MAIN)) return `needs the built CLI ${MAIN} (pnpm build)`;
  return undefined;
}

const skipReason = missing();
if (skipReason) console.warn(`no-egress capture test skipped: ${skipReason}`);

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });

/** Lines tcpdump printed, once it says it listens. */
function startCapture(ns: string, dev: string): Promise<{ proc: ChildProcess; lines: string[] }> {
  // Kernel chatter is filtered out in the capture itself: ARP; ICMPv6 router/neighbour solicitations and
  // advertisements and redirects (types 133–137); MLD (130–132, 143), which comes behind a hop-by-hop header.
  const filter = [
    'not arp',
    'not (icmp6 and ip6[40] >= 133 and ip6[40] <= 137)',
    'not (ip6[6] == 0 and ip6[40] == 58 and (ip6[48] >= 130 and ip6[48] <= 132 or ip6[48] == 143))',
  ].join(' and ');
  const proc = spawn('ip', ['netns', 'exec', ns, 'tcpdump', '-i', dev, '-nn', '-l', '-p', filter], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  readline.createInterface({ input: proc.stdout! }).on('line', (l) => {
    if (l.trim()) lines.push(l);
  });
  return new Promise((resolve, reject) => {
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('listening on')) resolve({ proc, lines });
    });
    proc.once('exit', (code) => reject(new Error(`tcpdump exited with ${code}: ${err}`)));
  });
}

describe.skipIf(skipReason !== undefined)('nothing leaves the host', () => {
  const tag = `${process.pid}`;
  const labNs = `clegl${tag}`;
  const sinkNs = `clegs${tag}`;
  const dev = `clegv${tag}`;
  const peer = `clegp${tag}`;
  let tmp: string;
  let lab: ChildProcess | undefined;
  let browser: Browser | undefined;

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'colink-egress-'));
    ip('netns', 'add', labNs);
    ip('netns', 'add', sinkNs);
    ip('link', 'add', dev, 'type', 'veth', 'peer', 'name', peer);
    ip('link', 'set', dev, 'netns', labNs);
    ip('link', 'set', peer, 'netns', sinkNs);
    ip('-n', labNs, 'link', 'set', 'lo', 'up');
    ip('-n', labNs, 'addr', 'add', '10.231.0.2/24', 'dev', dev);
    ip('-n', labNs, 'link', 'set', dev, 'up');
    ip('-n', labNs, 'route', 'add', 'default', 'via', '10.231.0.1');
    ip('-n', sinkNs, 'addr', 'add', '10.231.0.1/24', 'dev', peer);
    ip('-n', sinkNs, 'link', 'set', peer, 'up');
    // A wrapper that runs Chromium inside the lab's namespace; playwright talks to it over inherited pipes.
    fs.writeFileSync(
      path.join(tmp, 'chromium'),
      `#!/bin/sh\nexec ip netns exec ${labNs} /usr/bin/chromium "$@"\n`,
      { mode: 0o755 },
    );
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    if (lab && lab.exitCode === null) {
      const exited = new Promise((r) => lab!.once('exit', r));
      lab.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (lab.exitCode === null) lab.kill('SIGKILL');
    }
    for (const ns of [labNs, sinkNs]) {
      try {
        ip('netns', 'del', ns); // takes the veth pair with it
      } catch {}
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('the lab and Chromium on its UI send nothing out of the default-route interface', async () => {
    expect(ip('-n', labNs, 'route', 'show', 'default')).toContain(dev);
    const capture = await startCapture(labNs, dev);
    try {
      lab = spawn('ip', ['netns', 'exec', labNs, process.execPath, MAIN, '--port', '0'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const url = await new Promise<string>((resolve, reject) => {
        readline.createInterface({ input: lab!.stdout! }).on('line', (l) => {
          const m = /^open (http:\/\/\S+)/.exec(l);
          if (m) resolve(m[1]!);
        });
        lab!.once('exit', (code) => reject(new Error(`the lab exited with ${code}`)));
      });
      const started = Date.now();
      // The proxy port is closed inside the namespace: a proxied request is refused there.
      browser = await launchLoopbackOnly(9, path.join(tmp, 'chromium'));
      const page = await browser.newPage();
      await page.goto(url);
      await expect.poll(() => page.locator('svg.topo g.node').count(), { timeout: 20_000 }).toBe(3);
      const left = CAPTURE_MS - (Date.now() - started);
      if (left > 0) await new Promise((r) => setTimeout(r, left));
    } finally {
      capture.proc.kill('SIGINT');
      await new Promise((r) => capture.proc.once('exit', r));
    }
    expect(capture.lines, `packets seen on ${dev}:\n${capture.lines.join('\n')}`).toEqual([]);
  }, 120_000);
});
