import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import readline from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { LabState, ServerMessage } from '../src/lab/protocol.js';

// `pnpm start -- --netns` for real: the built CLI creates its namespace, the lab inside serves the UI through the
// proxy on the host, and the namespace is gone after Ctrl-C and after the lab crashes.
import { MAIN, nobodyCanRun } from './nobody.js';

const root = process.getuid?.() === 0;
const available = root && fs.existsSync(MAIN);
if (!available) console.warn('--netns test skipped: needs root and a built CLI (pnpm build)');

const namespaces = (): string[] =>
  execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter(Boolean);

/** Starts the CLI with --netns; resolves with its UI URL once it printed it. */
async function startCli(): Promise<{ cli: ChildProcess; url: string; exited: Promise<number | null> }> {
  const cli = spawn(process.execPath, [MAIN, '--netns', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const lines = readline.createInterface({ input: cli.stdout! });
    lines.on('line', (l) => {
      const m = /^open (http:\/\/127\.0\.0\.1:\d+\/)$/.exec(l);
      if (m) resolve(m[1]!);
    });
    void exited.then((code) => reject(new Error(`the CLI exited (${code}) before serving the UI`)));
  });
  return { cli, url, exited };
}

describe.skipIf(!available)('playground --netns', () => {
  let running: ChildProcess | undefined;
  afterEach(() => {
    // On a failed test: kill the CLI and remove its namespace ourselves.
    if (!running?.pid) return;
    running.kill('SIGKILL');
    const ns = `cllab${running.pid}`;
    if (namespaces().includes(ns)) {
      for (const pid of execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' })
        .split(/\s+/)
        .filter(Boolean))
        process.kill(Number(pid), 'SIGKILL');
      execFileSync('ip', ['netns', 'del', ns]);
    }
    running = undefined;
  });

  it('serves the lab from its namespace through the host proxy and removes the namespace on Ctrl-C', async () => {
    const { cli, url, exited } = await startCli();
    running = cli;
    const ns = `cllab${cli.pid}`;
    expect(namespaces()).toContain(ns);
    // The devices inside discover each other (mDNS on the namespace's loopback).
    await expect
      .poll(
        async () => {
          const s = (await (await fetch(`${url}api/state`)).json()) as LabState;
          return s.devices.map((d) => d.sees.length);
        },
        { timeout: 20_000 },
      )
      .toEqual([2, 2, 2]);
    // The WebSocket crosses the proxy too.
    const ws = new WebSocket(`${url.replace('http', 'ws')}ws`);
    const first = await new Promise<ServerMessage>((resolve, reject) => {
      ws.once('message', (m) => resolve(JSON.parse(String(m)) as ServerMessage));
      ws.once('error', reject);
    });
    expect(first.t).toBe('state');
    ws.close();

    cli.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(namespaces()).not.toContain(ns);
  });

  it('removes the namespace when the lab inside crashes', async () => {
    const { cli, exited } = await startCli();
    running = cli;
    const ns = `cllab${cli.pid}`;
    const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split(/\s+/).filter(Boolean);
    expect(pids.length).toBeGreaterThan(0);
    for (const pid of pids) process.kill(Number(pid), 'SIGKILL');
    expect(await exited).not.toBe(0);
    expect(namespaces()).not.toContain(ns);
  });

  // Needs a checkout `nobody` can read (CI may clone into a 0700 temporary directory).
  it.skipIf(!nobodyCanRun)('refuses to run without root, with a clear error', async () => {
    const cli = spawn(process.execPath, [MAIN, '--netns'], {
      uid: 65534,
      gid: 65534,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    cli.stderr!.on('data', (d: Buffer) => (err += d));
    const code = await new Promise<number | null>((resolve) => cli.once('exit', resolve));
    expect(code).toBe(2);
    expect(err).toMatch(/--netns needs root/);
  });
});
