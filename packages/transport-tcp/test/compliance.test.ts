import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { describeTransportCompliance } from '@colink/core/compliance';
import { TcpTransport } from '../src/index.js';
import { loopbackDiscovery, randomPort } from './helpers.js';

/**
 * A loopback TCP listener that never answers a dial: a child process listens with backlog 1 (node treats 0 as its
 * default) and blocks its event loop, so the kernel queues backlog + 1 connections (taken by filler sockets here) and
 * drops every later SYN; a connect to it neither succeeds nor fails until the dialler's own time limit.
 */
async function silentListener(): Promise<{ address: string; close(): void }> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '-e',
      `const s = require('node:net').createServer().listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
        process.stdout.write(String(s.address().port) + '\\n');
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120000);
      });`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.once('data', (d) => resolve(Number(String(d).trim())));
  });
  const fillers = [net.connect(port, '127.0.0.1'), net.connect(port, '127.0.0.1')];
  await Promise.all(
    fillers.map(
      (f) =>
        new Promise<void>((resolve, reject) => {
          f.once('connect', resolve);
          f.once('error', reject);
        }),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    close: () => {
      for (const f of fillers) f.destroy();
      child.kill('SIGKILL');
    },
  };
}

// core's transport compliance suite over real loopback TCP, with DNS-SD in loopback mode on a private port.
describeTransportCompliance('tcp', async () => {
  const discovery = loopbackDiscovery(randomPort());
  let silent: { address: string; close(): void } | undefined;
  return {
    a: new TcpTransport({ host: '127.0.0.1', discovery }),
    b: new TcpTransport({ host: '127.0.0.1', discovery }),
    silentAddress: async () => {
      silent = await silentListener();
      return silent.address;
    },
    cleanup: async () => silent?.close(),
  };
});
