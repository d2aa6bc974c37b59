// Harness (not a seed block): observes the server "demo" a seed example started on this device, to show what the
// client examples do to the peer: every connection it accepts reports {"ev":"peerDisconnected","reason"} when the
// client disconnects or closes. The example keeps its Server object to itself, so this reaches it through the
// device's linkEnhance service (test-only; the same module instance the seed's @kit import uses).
import { getRuntime } from '@colink/api-compat/runtime';
import { linkEnhanceService } from '../../../src/link-enhance/registry.js';
import type { Connection } from '../../../src/link-enhance/service.js';

type Observed = { listeners: { on(type: string, cb: (c: Connection) => void, argc: number): void } };
const svc = linkEnhanceService(getRuntime()) as unknown as { servers: Map<string, Observed> };
const server = svc.servers.get('demo');
if (server === undefined) throw new Error('no server "demo" on this device');
let accepted = 0;
server.listeners.on(
  'connectionAccepted',
  (connection) => {
    const n = ++accepted;
    connection.on('disconnected', (reason: number) => {
      process.stdout.write(`${JSON.stringify({ ev: 'peerDisconnected', connection: n, reason })}\n`);
    });
  },
  2,
);
process.stdout.write(`${JSON.stringify({ ev: 'watching' })}\n`);
