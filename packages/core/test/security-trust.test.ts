import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceDirectory } from '../src/directory.js';
import { trackTrust } from '../src/security/device-security.js';
import type { BindingRequest } from '../src/security/tls-security.js';
import { TrustStore } from '../src/security/trust-store.js';
import {
  cleanup,
  HANDSHAKE_REFUSAL,
  securedLinks,
  security,
  stateDir,
  tcpConduitPair,
} from './security-helpers.js';

afterEach(cleanup);

describe('TlsSecurity: binding', () => {
  it('binds two devices after both users confirm the same 6-digit code, and the binding survives restarts', async () => {
    const [dirA, dirB] = await Promise.all([stateDir(), stateDir()]);
    const asked: BindingRequest[] = [];
    const sa = await security({ stateDir: dirA });
    const sb = await security({
      stateDir: dirB,
      onBindRequest: (r) => {
        asked.push(r);
        return true;
      },
    });
    const shown: BindingRequest[] = [];
    const bound = sa.bind(sb.networkId, async (r) => {
      shown.push(r);
      return true;
    });
    const [a, b] = securedLinks(sa, sb, { conduits: await tcpConduitPair() });
    await Promise.all([a.opened, b.opened]);
    expect(shown).toHaveLength(1);
    expect(asked).toHaveLength(1);
    expect(shown[0]!.code).toMatch(/^\d{6}$/);
    expect(asked[0]!.code).toBe(shown[0]!.code);
    expect(shown[0]).toMatchObject({ networkId: sb.networkId, role: 'initiator', medium: 'tcp' });
    expect(asked[0]).toMatchObject({
      networkId: sa.networkId,
      fingerprint: sa.identity.fingerprint,
      role: 'responder',
    });
    expect((await bound).networkId).toBe(sb.networkId);
    expect(a.verifiedPeer?.detail?.trust).toBe('new-binding');
    expect(sa.trustStore?.get(sb.networkId)?.fingerprint).toBe(sb.identity.fingerprint);
    expect(sb.trustStore?.get(sa.networkId)?.fingerprint).toBe(sa.identity.fingerprint);
    const mode = (await stat(join(dirA, 'trust.json'))).mode & 0o777;
    expect(mode).toBe(0o600);
    await a.close();

    // "Restart": fresh objects from the same state directories, no prompt handler at all.
    const sa2 = await security({ stateDir: dirA });
    const sb2 = await security({ stateDir: dirB });
    expect(sa2.networkId).toBe(sa.networkId);
    const [a2, b2] = securedLinks(sb2, sa2, { conduits: await tcpConduitPair() });
    await Promise.all([a2.opened, b2.opened]);
    expect(a2.verifiedPeer?.detail?.trust).toBe('bound');
    expect(b2.verifiedPeer?.detail?.trust).toBe('bound');
  });

  it('stores nothing and opens nothing when a user declines the code', async () => {
    const sb = await security({ onBindRequest: () => false });
    const sa = await security();
    const bound = sa.bind(sb.networkId, () => true);
    bound.catch(() => undefined); // asserted below
    const [a, b] = securedLinks(sa, sb, { conduits: await tcpConduitPair() });
    await expect(a.opened).rejects.toMatchObject({ code: HANDSHAKE_REFUSAL });
    await expect(b.opened).rejects.toMatchObject({ code: HANDSHAKE_REFUSAL });
    expect((await a.closed).message).toMatch(/does not trust this device: the user declined the binding/);
    expect(await b.closed).toMatchObject({ code: 'handshake-failed' });
    await expect(bound).rejects.toMatchObject({ code: 'ERR_UNTRUSTED' });
    expect(sa.trustStore?.list()).toEqual([]);
    expect(sb.trustStore?.list()).toEqual([]);
  });

  it('reports the peer declining while this user still looks at the code as a refusal, not a dropped connection', async () => {
    const sb = await security({ onBindRequest: () => false }); // declines at once
    const sa = await security();
    let dismissed = false;
    const bound = sa.bind(sb.networkId, (request) => {
      request.signal.addEventListener('abort', () => {
        dismissed = true;
      });
      return new Promise<boolean>((r) => setTimeout(() => r(true), 300)); // our user is slower
    });
    bound.catch(() => undefined); // asserted below
    const [a] = securedLinks(sa, sb, { conduits: await tcpConduitPair() });
    await expect(a.opened).rejects.toBeDefined();
    await expect(bound).rejects.toMatchObject({
      code: 'ERR_UNTRUSTED',
      message: expect.stringMatching(/does not trust this device: the user declined the binding/),
    });
    expect(dismissed).toBe(true); // the prompt was dismissed when the peer went away
    expect(sa.trustStore?.list()).toEqual([]);
  });

  it('declines binding requests when the device has no handler, without asking anyone', async () => {
    const sb = await security();
    const sa = await security();
    let asked = 0;
    const bound = sa.bind(sb.networkId, () => {
      asked++;
      return true;
    });
    bound.catch(() => undefined); // asserted below
    const [a] = securedLinks(sa, sb, { conduits: await tcpConduitPair() });
    await expect(a.opened).rejects.toBeDefined();
    expect((await a.closed).message).toMatch(/does not accept binding requests/);
    await expect(bound).rejects.toMatchObject({ code: 'ERR_UNTRUSTED' });
    expect(asked).toBe(1); // only the side that asked to bind was prompted
  });

  it('shows one peer-requested binding prompt at a time: a second request while it is open is declined as busy', async () => {
    const sb = await security({
      onBindRequest: (r) => {
        prompts.push(r);
        return new Promise<boolean>((resolve) => {
          answer = resolve;
        });
      },
    });
    const prompts: BindingRequest[] = [];
    let answer: ((ok: boolean) => void) | undefined;
    const [s1, s2] = await Promise.all([security(), security()]);
    const first = s1.bind(sb.networkId, () => true);
    const [a1, b1] = securedLinks(s1, sb, { conduits: await tcpConduitPair() });
    await expect.poll(() => prompts.length, { timeout: 10_000 }).toBe(1);

    const second = s2.bind(sb.networkId, () => true);
    second.catch(() => undefined); // asserted below
    const [a2] = securedLinks(s2, sb, { conduits: await tcpConduitPair() });
    await expect(a2.opened).rejects.toBeDefined();
    expect((await a2.closed).message).toMatch(/busy/);
    await expect(second).rejects.toMatchObject({ code: 'ERR_UNTRUSTED' });
    expect(prompts).toHaveLength(1); // the second request never reached the user

    answer!(true);
    await Promise.all([a1.opened, b1.opened]);
    await expect(first).resolves.toMatchObject({ networkId: sb.networkId });
  });

  it('revoking a binding takes effect on the next connect', async () => {
    const sa = await security();
    const sb = await security({ onBindRequest: () => true });
    const bound = sa.bind(sb.networkId, () => true);
    const [a1, b1] = securedLinks(sa, sb);
    await Promise.all([a1.opened, b1.opened, bound]);

    const [a2, b2] = securedLinks(sa, sb);
    await Promise.all([a2.opened, b2.opened]); // bound: connects again without prompts

    expect(await sb.trustStore!.revoke(sa.networkId)).toBe(true);
    expect(await sb.trustStore!.revoke(sa.networkId)).toBe(false);
    const reopened = await TrustStore.open(sb.trustStore!.path);
    expect(reopened.has(sa.networkId)).toBe(false); // persisted

    expect(a2.state).toBe('open'); // open Links stay open
    const [a3, b3] = securedLinks(sa, sb, { conduits: await tcpConduitPair() });
    await expect(a3.opened).rejects.toBeDefined();
    await expect(b3.opened).rejects.toBeDefined();
    expect(await b3.closed).toMatchObject({ code: 'handshake-failed' });
    expect((await b3.closed).message).toMatch(/untrusted/);
    expect((await a3.closed).message).toMatch(/does not trust this device/);
  });

  it('marks devices trusted / untrusted in a DeviceDirectory', async () => {
    const sa = await security({ account: 'k' });
    const sb = await security({ account: 'k' });
    const sc = await security({ account: 'other' });
    const dir = new DeviceDirectory(sa.networkId);
    for (const s of [sb, sc])
      dir.ingest({
        type: 'found',
        peer: {
          networkId: s.networkId,
          deviceName: 'x',
          deviceType: 'pc',
          medium: 'memory',
          address: 'm' + s.networkId,
        },
      });
    const sub = trackTrust(dir, sa);
    expect(dir.get(sb.networkId)?.trust).toBe('unknown');
    const [a1, b1] = securedLinks(sa, sb);
    await Promise.all([a1.opened, b1.opened]);
    expect(dir.get(sb.networkId)?.trust).toBe('trusted');
    const [a2] = securedLinks(sa, sc);
    await a2.closed;
    expect(dir.get(sc.networkId)?.trust).toBe('untrusted'); // still listed, marked untrusted
    await sa.trustStore!.bind({ networkId: sc.networkId, fingerprint: sc.identity.fingerprint });
    expect(dir.get(sc.networkId)?.trust).toBe('trusted');
    await sa.trustStore!.revoke(sc.networkId);
    expect(dir.get(sc.networkId)?.trust).toBe('untrusted');
    sub.unsubscribe();
  });
});
