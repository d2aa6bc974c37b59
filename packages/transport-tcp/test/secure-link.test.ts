import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Conduit, isColinkError, Link, type LinkRole } from '@colink/core';
import { createDeviceSecurity, type TlsSecurity } from '@colink/core/security';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, loopbackTransports } from './helpers.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function pair(): Promise<{ dialled: Conduit; accepted: Conduit }> {
  const [a, b] = await loopbackTransports((stop) => cleanups.push(stop));
  return connect(a, b);
}

async function security(account: string): Promise<TlsSecurity> {
  const dir = await mkdtemp(join(tmpdir(), 'cltcp-sec-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return createDeviceSecurity({ stateDir: dir, account });
}

function link(conduit: Conduit, role: LinkRole, sec: TlsSecurity, name: string): Link {
  const l = new Link(conduit, {
    role,
    local: { networkId: sec.networkId, deviceName: name, deviceType: 'pc' },
    security: sec,
    keepAliveIntervalMs: 0,
  });
  cleanups.push(() => l.abort({ code: 'normal' }));
  return l;
}

describe('TLS natively on the TCP socket (Conduit.detachSocket)', () => {
  it('hands the socket over once: the conduit stops reading and refuses writes, its close still reports', async () => {
    const { dialled, accepted } = await pair();
    const early = firstValueFrom(accepted.data$);
    dialled.write([Uint8Array.of(1)]);
    expect([...(await early)]).toEqual([1]);
    const socket = accepted.detachSocket?.();
    expect(socket).toBeDefined();
    expect(accepted.detachSocket?.()).toBeUndefined(); // only once
    let delivered = 0;
    accepted.data$.subscribe(() => delivered++);
    const closed = firstValueFrom(accepted.closed$);
    dialled.write([Uint8Array.of(2, 3)]);
    const raw = await new Promise<Buffer>((resolve) => socket!.once('data', resolve).resume());
    expect([...raw]).toEqual([2, 3]); // the bytes went to the new owner, not to data$
    expect(delivered).toBe(0);
    expect(() => accepted.write([Uint8Array.of(4)])).toThrow(
      expect.objectContaining({ code: 'ERR_CONFLICT' }),
    );
    dialled.destroy({ code: 'normal' });
    expect((await closed).code).toMatch(/normal|lost/);
  });

  it('carries 8 MiB each way byte-exact over a same-account secure Link on TcpTransport conduits', async () => {
    const [sa, sb] = await Promise.all([security('tcp-account'), security('tcp-account')]);
    const { dialled, accepted } = await pair();
    const a = link(dialled, 'initiator', sa, 'alpha');
    const b = link(accepted, 'responder', sb, 'beta');
    await Promise.all([a.opened, b.opened]);
    expect(a.verifiedPeer?.detail).toMatchObject({ protocol: 'TLSv1.3', trust: 'account' });
    // The TLS stage owns the sockets now: the raw conduits refuse writes.
    expect(() => dialled.write([Uint8Array.of(0)])).toThrow(
      expect.objectContaining({ code: 'ERR_CONFLICT' }),
    );
    const msg = new Uint8Array(1024 * 1024).map((_, i) => (i * 7) % 251);
    // Link.close() ends this side at once after flushing its own sends: wait for both directions first.
    const atB = lastValueFrom(b.messages$.pipe(take(8), toArray()));
    const atA = lastValueFrom(a.messages$.pipe(take(8), toArray()));
    await Promise.all([
      (async () => {
        for (let i = 0; i < 8; i++) await a.send(msg);
      })(),
      (async () => {
        for (let i = 0; i < 8; i++) await b.send(msg);
      })(),
    ]);
    const [gotB, gotA] = [await atB, await atA];
    await a.close();
    expect([gotB.length, gotA.length]).toEqual([8, 8]);
    for (const got of [gotB, gotA]) {
      expect(got).toHaveLength(8);
      for (const m of got) expect(Buffer.compare(Buffer.from(m), Buffer.from(msg))).toBe(0);
    }
    expect((await a.closed).code).toBe('normal');
    expect((await b.closed).code).toBe('normal');
  });

  it('reports a peer that vanishes mid-Link as lost', async () => {
    const [sa, sb] = await Promise.all([security('tcp-account'), security('tcp-account')]);
    const { dialled, accepted } = await pair();
    const a = link(dialled, 'initiator', sa, 'alpha');
    const b = link(accepted, 'responder', sb, 'beta');
    await Promise.all([a.opened, b.opened]);
    dialled.destroy({ code: 'lost' }); // the socket dies under TLS, no close_notify, no GOAWAY
    expect((await b.closed).code).toBe('lost');
    const err = await b.send(Uint8Array.of(1)).catch((e: unknown) => e);
    expect(isColinkError(err, 'ERR_CLOSED')).toBe(true);
  });
});
