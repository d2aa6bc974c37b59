import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * Starts `benches/tcp-peer.ts` (the far end of the TCP comparisons: sinks and echoes for every stack) in its own
 * process, sinking `sinkBytes` per throughput round, and resolves with the process and the addresses it printed as
 * its first line (JSON, shape `T`). End it with `peer.stdin.end()`.
 */
export async function startTcpPeer<T>(sinkBytes: number): Promise<{ peer: ChildProcess; addr: T }> {
  const peer = spawn(
    process.execPath,
    [
      '--conditions=@colink/source',
      '--import',
      'tsx',
      new URL('../benches/tcp-peer.ts', import.meta.url).pathname,
    ],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
      cwd: new URL('..', import.meta.url).pathname,
      env: { ...process.env, BENCH_SINK_BYTES: String(sinkBytes) },
    },
  );
  const line = await new Promise<string>((resolve) =>
    createInterface({ input: peer.stdout! }).once('line', resolve),
  );
  return { peer, addr: JSON.parse(line) as T };
}
