/**
 * The net service worker: owns the process's one `NetMonitor` (like HarmonyOS's netmanager service owns the
 * network state), mirrors its state and events to the main thread and answers DNS / revalidation requests.
 * Started by `service.ts`; never imported by application code.
 * @module
 */
import { workerData } from 'node:worker_threads';
import { isColinkError } from '@colink/core';
import { type NetEvent, NetMonitor } from '@colink/net-monitor';

import type { ServiceMessage, ServiceRequest, ServiceWorkerData } from './service-protocol.js';

const { options, port, flag } = workerData as ServiceWorkerData;
const signal = new Int32Array(flag);

function post(m: ServiceMessage): void {
  port.postMessage(m);
}

function settle(state: 1 | 2 | 3): void {
  Atomics.store(signal, 0, state);
  Atomics.notify(signal, 0);
}

let monitor: NetMonitor;
try {
  monitor = await NetMonitor.start({
    ...options,
    ...(options.metered ? { metered: [...options.metered] } : {}),
  });
} catch (e) {
  post({ type: 'failed', message: e instanceof Error ? e.message : String(e) });
  settle(2);
  port.close();
  throw e;
}

const state = () => ({ networks: monitor.networks, defaultNetId: monitor.defaultNetwork?.netId ?? 0 });

// One re-read emits its events synchronously: batch them so the main thread gets them with the state they produced.
let pending: NetEvent[] = [];
monitor.events$.subscribe((e) => {
  if (pending.length === 0)
    queueMicrotask(() => {
      const events = pending;
      pending = [];
      post({ type: 'update', events, ...state() });
    });
  pending.push(e);
});

post({ type: 'ready', source: monitor.source, ...state() });
settle(1);

port.on('message', (req: ServiceRequest) => {
  void handle(req).then(
    (value) => post({ type: 'reply', id: req.id, value }),
    (e: unknown) => {
      const message = e instanceof Error ? e.message : String(e);
      post({
        type: 'replyError',
        id: req.id,
        colinkCode: isColinkError(e) ? e.code : undefined,
        message,
      });
    },
  );
});

async function handle(req: ServiceRequest): Promise<unknown> {
  switch (req.type) {
    case 'resolve':
      return monitor.getAddressesByName(req.host, {
        family: req.family,
        ...(req.netId === undefined ? {} : { netId: req.netId }),
      });
    case 'revalidate':
      return monitor.revalidate(req.netId);
    case 'setBlocked':
      return monitor.setBlocked(req.netId, req.blocked);
    case 'close':
      await monitor.close();
      settle(3);
      setImmediate(() => port.close());
      return undefined;
  }
}
