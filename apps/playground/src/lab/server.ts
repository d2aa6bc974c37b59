import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { WebSocketServer } from 'ws';
import type { Lab } from './lab.js';
import type { Command, LabEvent, ServerMessage } from './protocol.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

/** A running lab server. */
export interface LabServer {
  /** `http://127.0.0.1:<port>/`, or `unix:<path>` when it listens on a unix socket. */
  readonly url: string;
  close(): Promise<void>;
}

/** Options of {@link serveLab}. */
export interface ServeLabOptions {
  /** The built web UI (`dist/ui`). */
  readonly uiDir: string;
  /** TCP port on 127.0.0.1 (0: any free port). Default 0. */
  readonly port?: number;
  /** Listen on this unix socket instead of TCP (the `--netns` lab; the CLI on the host proxies to it). */
  readonly socketPath?: string;
}

/**
 * Serves the built web UI (`dist/ui`) and a WebSocket at `/ws` that streams the lab's state (throttled to 10 per
 * second) and events, and takes commands. Listens on 127.0.0.1 only, or on a unix socket.
 */
export async function serveLab(lab: Lab, options: ServeLabOptions): Promise<LabServer> {
  const root = path.resolve(options.uiDir);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/api/state') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(lab.state()));
      return;
    }
    const file = path.resolve(root, `.${url.pathname === '/' ? '/index.html' : url.pathname}`);
    if (!file.startsWith(root) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end(
        fs.existsSync(path.join(root, 'index.html'))
          ? 'not found'
          : 'the UI is not built: run `pnpm build` first',
      );
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-cache',
    });
    fs.createReadStream(file).pipe(res);
  });
  const socketPath = options.socketPath;
  if (socketPath) fs.rmSync(socketPath, { force: true });
  // Listen first: a port that is taken fails here, before anything subscribes to the lab.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (socketPath) server.listen(socketPath, resolve);
    else server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const wss = new WebSocketServer({ server, path: '/ws', maxPayload: 64 * 1024 });
  const send = (ws: import('ws').WebSocket, m: ServerMessage): void => {
    if (ws.readyState === ws.OPEN && ws.bufferedAmount < 4 * 1024 * 1024) ws.send(JSON.stringify(m));
  };
  const broadcast = (m: ServerMessage): void => {
    for (const ws of wss.clients) send(ws, m);
  };
  let pending = false;
  const stateSub = lab.changed$.subscribe(() => {
    if (pending) return;
    pending = true;
    setTimeout(() => {
      pending = false;
      broadcast({ t: 'state', state: lab.state() });
    }, 100);
  });
  let batch: LabEvent[] = [];
  const eventSub = lab.events$.subscribe((e) => {
    batch.push(e);
    if (batch.length === 1) {
      setTimeout(() => {
        broadcast({ t: 'events', events: batch });
        batch = [];
      }, 50);
    }
  });
  wss.on('connection', (ws) => {
    send(ws, { t: 'state', state: lab.state() });
    send(ws, { t: 'events', events: lab.recentEvents() });
    ws.on('message', (raw) => {
      let cmd: Command;
      try {
        cmd = JSON.parse(String(raw)) as Command;
      } catch {
        send(ws, { t: 'error', text: 'malformed command' });
        return;
      }
      lab
        .command(cmd)
        .catch((e: unknown) => send(ws, { t: 'error', text: e instanceof Error ? e.message : String(e) }));
    });
  });
  // Only the user (root, with --netns) may talk to the lab through its socket.
  if (socketPath) fs.chmodSync(socketPath, 0o600);
  const url = socketPath
    ? `unix:${socketPath}`
    : `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}/`;
  return {
    url,
    close: async () => {
      stateSub.unsubscribe();
      eventSub.unsubscribe();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
