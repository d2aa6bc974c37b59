import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Channel, type Conduit, Link, type LinkRole, PeerConnection } from '@colink/core';
import { createDeviceSecurity, type TlsSecurity } from '@colink/core/security';
import { firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { TcpTransport } from '../src/index.js';
import { loopbackTransports } from './helpers.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const transports = (): Promise<[TcpTransport, TcpTransport]> =>
  loopbackTransports((stop) => cleanups.push(stop));

async function security(account: string): Promise<TlsSecurity> {
  const dir = await mkdtemp(join(tmpdir(), 'cltcp-hand-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return createDeviceSecurity({ stateDir: dir, account });
}

function message(i: number, size: number): Uint8Array {
  const m = new Uint8Array(size);
  new DataView(m.buffer).setUint32(0, i);
  for (let k = 4; k < size; k++) m[k] = (i * 31 + k) & 0xff;
  return m;
}

describe('a peer connection over real TCP with TLS', () => {
  it('moves a running transfer to the second TCP Link when the first socket is destroyed: every message once, in order, SHA-256 equal', async () => {
    const [ta, tb] = await transports();
    const [sa, sb] = await Promise.all([security('handover'), security('handover')]);
    const pa = new PeerConnection({ local: sa.networkId, peer: sb.networkId });
    const pb = new PeerConnection({ local: sb.networkId, peer: sa.networkId });
    cleanups.push(
      () => pa.close(),
      () => pb.close(),
    );
    const conduits: Array<{ a: Conduit; b: Conduit }> = [];
    const mk = (c: Conduit, role: LinkRole, sec: TlsSecurity, pc: PeerConnection, name: string): Link => {
      const l = new Link(c, {
        role,
        local: { networkId: sec.networkId, deviceName: name, deviceType: 'pc' },
        security: sec,
        connectionOwner: (x) => pc.adopt(x),
      });
      cleanups.push(() => l.abort({ code: 'normal' }));
      return l;
    };
    const dial = async (): Promise<[Link, Link]> => {
      const accepted = firstValueFrom(tb.incoming$);
      const a = await ta.dial(tb.localAddress!);
      const b = await accepted;
      conduits.push({ a, b });
      const la = mk(a, 'initiator', sa, pa, 'alpha');
      const lb = mk(b, 'responder', sb, pb, 'beta');
      await Promise.all([la.opened, lb.opened]);
      return [la, lb];
    };
    const [first] = await dial();
    const [second] = await dial();
    const incoming = firstValueFrom(pb.incomingChannels$);
    const ch = pa.openChannel({ proto: 'transfer' });
    const rx: Channel = await incoming;

    const n = 2000;
    const size = 8 * 1024;
    const sent = createHash('sha256');
    const got = createHash('sha256');
    let expected = 0;
    let error: string | undefined;
    const done = new Promise<void>((resolve) => {
      rx.messages$.subscribe((m) => {
        const i = new DataView(m.buffer, m.byteOffset).getUint32(0);
        if (i !== expected) error ??= `message ${i} arrived, expected ${expected}`;
        expected++;
        got.update(m);
        if (expected === n) resolve();
      });
    });
    const carrier = pa.carrier!;
    const cutAt = 700;
    let deliveredAtCut = -1;
    let unackedAtCut = -1;
    for (let i = 0; i < n; i++) {
      const m = message(i, size);
      sent.update(m);
      await ch.send(m);
      if (i === cutAt) {
        // Destroy the carrier's socket under TLS: the medium fails (no GOAWAY).
        deliveredAtCut = expected;
        unackedAtCut = ch.unacknowledgedBytes;
        const idx = carrier === first ? 0 : 1;
        conduits[idx]!.b.destroy({ code: 'lost', message: 'test cut' });
      }
    }
    await done;
    expect(deliveredAtCut).toBeLessThan(n); // the cut came mid-transfer
    expect(unackedAtCut).toBeGreaterThan(0); // with data in flight, which had to be resent
    expect(error).toBeUndefined();
    expect(expected).toBe(n);
    expect(got.digest('hex')).toBe(sent.digest('hex'));
    expect(pa.carrier).toBe(carrier === first ? second : first);
    expect(pa.state).toBe('connected');
    expect((await carrier.closed).code).toMatch(/lost|integrity/);
  }, 60_000);
});
