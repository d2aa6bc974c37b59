import { connect, type Socket } from 'node:net';
import { afterEach } from 'vitest';
import { TcpTransport, type TcpTransportOptions } from '../src/index.js';

/** A client connection `dial()` opened: `ended` resolves once it closed, `error()` gives its error code, if any. */
export interface DialledConnection {
  readonly socket: Socket;
  readonly ended: Promise<void>;
  error(): string | undefined;
  /** Its error code once it ended, or `'closed'` when it ended without one (a FIN). */
  outcome(): Promise<string>;
}

/**
 * The listener tests' set-up, registered on the calling test file: `listen()` starts a transport on 127.0.0.1 without
 * discovery, `dial()` connects to a port from a chosen loopback source address; both are ended after every test.
 * `Transport` is the class to start (a test that mocks a module of the package passes the class it imported).
 */
export function listenerHarness(Transport: typeof TcpTransport = TcpTransport) {
  const started: TcpTransport[] = [];
  const clients: Socket[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await Promise.all(started.splice(0).map((t) => t.stop()));
  });
  return {
    /** A started transport on 127.0.0.1, discovery off, with `options` on top; stopped after the test. */
    async listen(options: TcpTransportOptions = {}): Promise<TcpTransport> {
      const t = new Transport({ host: '127.0.0.1', discovery: false, ...options });
      await t.start();
      started.push(t);
      return t;
    },
    /** A connection to `port` on 127.0.0.1 from `from`; destroyed after the test. */
    dial(port: number, from = '127.0.0.1'): DialledConnection {
      const socket = connect({ host: '127.0.0.1', port, localAddress: from });
      clients.push(socket);
      let code: string | undefined;
      socket.on('error', (e: NodeJS.ErrnoException) => {
        code = e.code;
      });
      const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      return { socket, ended, error: () => code, outcome: () => ended.then(() => code ?? 'closed') };
    },
  };
}
