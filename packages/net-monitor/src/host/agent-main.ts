/**
 * Entry point of the namespace agent: started by `NetnsHost` as `ip netns exec <ns> node agent-main.js <config>`,
 * it opens a {@link LocalHost} inside the namespace (netlink sockets, `ip monitor`, sysfs, resolv.conf, probes and
 * DNS all see that namespace) and serves the JSON-lines protocol of `agent-protocol.ts` on stdin/stdout.
 * @module
 */
import { createInterface } from 'node:readline';
import { isColinkError } from '@colink/core';
import type { AgentConfig, AgentError, AgentMessage, AgentRequest } from './agent-protocol.js';
import { type Host, LocalHost } from './host.js';

function send(msg: AgentMessage): void {
  process.stdout.write(`${JSON.stringify(msg)}\n`);
}

function toAgentError(e: unknown): AgentError {
  if (isColinkError(e))
    return { code: e.code, message: e.message, ...(e.detail ? { detail: e.detail } : {}) };
  return { code: 'ERR_INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

async function serve(host: Host, req: AgentRequest): Promise<unknown> {
  switch (req.method) {
    case 'read':
      return host.read();
    case 'probe':
      return host.probe(req.params);
    case 'resolve':
      return host.resolve(req.params);
  }
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as AgentConfig;
  let host: Host;
  try {
    host = await LocalHost.open(config);
  } catch (e) {
    send({ type: 'fatal', error: toAgentError(e) });
    process.exit(1);
  }
  // One `changed` line per event-loop turn however many netlink datagrams arrived in it.
  let pending = false;
  host.changes.subscribe({
    next: () => {
      if (pending) return;
      pending = true;
      setImmediate(() => {
        pending = false;
        send({ type: 'changed' });
      });
    },
    // The source died (e.g. `ip monitor` killed): keep serving, polling instead, and tell the parent.
    error: (e: unknown) => {
      process.stderr.write(`net-monitor agent: source ${host.source} failed, polling: ${String(e)}\n`);
      setInterval(() => send({ type: 'changed' }), config.pollIntervalMs);
      send({ type: 'ready', source: 'poll', reader: host.reader });
    },
  });
  send({ type: 'ready', source: host.source, reader: host.reader });
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    let req: AgentRequest;
    try {
      req = JSON.parse(line) as AgentRequest;
    } catch {
      return;
    }
    serve(host, req).then(
      (result) => send({ type: 'result', id: req.id, result }),
      (e: unknown) => send({ type: 'error', id: req.id, error: toAgentError(e) }),
    );
  });
  // The parent closing our stdin is the shutdown signal.
  lines.on('close', () => {
    void host.close().finally(() => process.exit(0));
  });
}

void main();
