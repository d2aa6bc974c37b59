/**
 * The transport compliance suite: the promise core makes to people writing transports. Call
 * {@link describeTransportCompliance} from a vitest test file of your transport package; it registers `describe`/`it`
 * blocks that run your transport through core's Link, channels and discovery.
 *
 * @example
 * ```ts
 * // packages/transport-foo/test/compliance.test.ts
 * import { describeTransportCompliance } from '@colink/core/compliance';
 * import { FooTransport } from '../src/index.js';
 *
 * describeTransportCompliance('foo', async () => {
 *   const a = new FooTransport(), b = new FooTransport();
 *   return { a, b, cleanup: async () => { await a.stop(); await b.stop(); } };
 * });
 * ```
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { filter, firstValueFrom, type Observable, take, timeout, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameType } from './codec.js';
import { type CloseCode, closeReason } from './errors.js';
import { Link, type LinkOptions } from './link.js';
import {
  type Conduit,
  type DeviceAdvert,
  type Discovery,
  type DiscoveryEvent,
  hasDiscovery,
  type Transport,
} from './transport.js';

/** Two fresh transports of the medium under test, not yet started, that can reach each other. */
export interface CompliancePair {
  readonly a: Transport;
  readonly b: Transport;
  /** Undo everything the factory set up (namespaces, radios…). Transports are stopped by the suite. */
  cleanup?(): Promise<void>;
  /**
   * Breaks the medium under a conduit of `a` abruptly (cable pulled, out of range). Default: `b.stop()`, which ends
   * b's conduits; a's side must then see its Link close with {@link ComplianceOptions.linkLossCode}. The default
   * fits media where a stopped peer simply vanishes (TCP: a FIN without GOAWAY); a medium that tells the peer why
   * its end stopped (the in-memory pair reports `going-away`) must pass a real break.
   */
  breakLink?(conduitOfA: Conduit): Promise<void>;
  /**
   * An address of this medium at which nobody listens, for the `ERR_DIAL_FAILED` check. Default: `b`'s address
   * after `b` has started and stopped again.
   */
  unreachableAddress?(): Promise<string>;
  /**
   * An address of this medium at which a dial neither connects nor fails by itself (a device that never answers),
   * for the `timeoutMs` check; without it that check is reported as skipped (an instant medium cannot time out).
   */
  silentAddress?(): Promise<string>;
}

/** Options of {@link describeTransportCompliance}. */
export interface ComplianceOptions {
  /** Size of the byte-exact transfer in each direction (bytes). Default 4 MiB. */
  readonly largeMessageBytes?: number;
  /** Number of concurrent Links a → b. Default 8. */
  readonly concurrentLinks?: number;
  /** Number of 64 KiB messages in the backpressure test. Default: enough to outrun the receiver's channel window plus the sender's send buffer by 1 MiB. */
  readonly backpressureMessages?: number;
  /**
   * Run the discovery tests. Default true: they run when both transports implement {@link Discovery}
   * ({@link hasDiscovery}) and report as skipped otherwise; `false` leaves them out.
   */
  readonly discovery?: boolean;
  /** Per-test timeout in ms. Default 60_000. */
  readonly timeoutMs?: number;
  /**
   * The close code a's Link must report after {@link CompliancePair.breakLink}. Default `'lost'` (the peer vanished
   * without GOAWAY). A medium that detects loss by a timer of its own and documents it may say so, e.g. BLE's
   * supervision timeout (HCI reason 0x08) is `'timeout'` (errors.ts).
   */
  readonly linkLossCode?: CloseCode;
  /**
   * The code a dial to an address nobody listens on must reject with. Default `'ERR_DIAL_FAILED'` (the `Transport`
   * contract). A medium that cannot tell absence from silence and documents it may say `'ERR_TIMEOUT'`; the check
   * then dials with a 1 s time limit (5 s otherwise).
   */
  readonly unreachableCode?: 'ERR_DIAL_FAILED' | 'ERR_TIMEOUT';
  /** Extra Link options (e.g. a security upgrade). */
  readonly link?: Partial<Omit<LinkOptions, 'role' | 'local'>>;
}

/**
 * The dial time limit, ms, of the unreachable-address check for a medium that declares
 * `unreachableCode: 'ERR_TIMEOUT'`: the check is about the code, and the `timeoutMs` check already uses 500 ms.
 */
const UNREACHABLE_TIMEOUT_MS = 1_000;

function advert(name: string): DeviceAdvert {
  return {
    networkId: createHash('sha256').update(`compliance-${name}`).digest('hex'),
    deviceName: name,
    deviceType: 'pc',
    services: ['compliance'],
  };
}

function sha(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

function within<T>(o: Observable<T>, ms: number, what: string): Promise<T> {
  return firstValueFrom(
    o.pipe(timeout({ first: ms, with: () => Promise.reject(new Error(`timed out waiting for ${what}`)) })),
  );
}

/**
 * Registers the compliance tests for a transport. `factory` is called once per test.
 * Tests: listen and dial, HELLO over the medium; byte-exact large transfers both ways; backpressure with a paused
 * reader (upper bounds: the receiver holds at most its window plus one message, the sender queues at most its send
 * buffer); close from either side; link loss; many concurrent links; idempotent `start()`/`stop()`; dial errors
 * (`ERR_NOT_STARTED`, `ERR_DIAL_FAILED` for an address nobody listens on, `ERR_ABORTED` from the signal, `ERR_TIMEOUT`
 * or `ERR_DIAL_FAILED` after `timeoutMs`); when both transports implement {@link Discovery}: found, replayed to a late
 * subscriber, and lost (goodbye).
 */
export function describeTransportCompliance(
  name: string,
  factory: () => Promise<CompliancePair>,
  options: ComplianceOptions = {},
): void {
  const big = options.largeMessageBytes ?? 4 * 1024 * 1024;
  const concurrent = options.concurrentLinks ?? 8;
  const t = options.timeoutMs ?? 60_000;
  const linkOpts = options.link ?? {};

  describe(`transport compliance: ${name}`, () => {
    let current: CompliancePair | undefined;

    afterEach(async () => {
      const p = current;
      current = undefined;
      if (!p) return;
      await Promise.allSettled([p.a.stop(), p.b.stop()]);
      await p.cleanup?.();
    });

    /** A started pair and one conduit from a to b: [dialled end, accepted end]. */
    async function dialled(): Promise<{ p: CompliancePair; ca: Conduit; cb: Conduit }> {
      const p = await factory();
      current = p;
      await p.a.start();
      await p.b.start();
      const incoming = firstValueFrom(p.b.incoming$);
      const ca = await p.a.dial(p.b.localAddress!);
      return { p, ca, cb: await incoming };
    }

    async function connected(): Promise<{ p: CompliancePair; la: Link; lb: Link; ca: Conduit }> {
      const { p, ca, cb } = await dialled();
      const la = new Link(ca, { ...linkOpts, role: 'initiator', local: advert('a') });
      const lb = new Link(cb, { ...linkOpts, role: 'responder', local: advert('b') });
      await Promise.all([la.opened, lb.opened]);
      return { p, la, lb, ca };
    }

    it(
      'reports a medium and sane capabilities',
      async () => {
        const p = await factory();
        current = p;
        expect(typeof p.a.medium).toBe('string');
        expect(p.a.capabilities.reliable).toBe(true);
        expect(p.a.capabilities.maxFrameSize).toBeGreaterThanOrEqual(20);
        expect(p.a.localAddress).toBeUndefined();
        await p.a.start();
        expect(typeof p.a.localAddress).toBe('string');
      },
      t,
    );

    it(
      'dials and accepts: both Links open and exchange HELLO',
      async () => {
        const { la, lb } = await connected();
        expect(la.remote?.deviceName).toBe('b');
        expect(lb.remote?.deviceName).toBe('a');
        expect(la.medium).toBe(lb.medium);
      },
      t,
    );

    it(
      `moves ${big} bytes byte-exact in both directions at once`,
      async () => {
        const { la, lb } = await connected();
        const x = new Uint8Array(randomBytes(big));
        const y = new Uint8Array(randomBytes(big));
        const gotB = firstValueFrom(lb.messages$);
        const gotA = firstValueFrom(la.messages$);
        await Promise.all([la.send(x), lb.send(y)]);
        const [mb, ma] = await Promise.all([gotB, gotA]);
        expect(sha(mb)).toBe(sha(x));
        expect(sha(ma)).toBe(sha(y));
      },
      t,
    );

    it(
      'keeps message order and boundaries for many small messages',
      async () => {
        const { la, lb } = await connected();
        const n = 500;
        const got = firstValueFrom(lb.messages$.pipe(take(n), toArray()));
        for (let i = 0; i < n; i++) void la.send(new TextEncoder().encode(`m${i}`));
        const msgs = (await got).map((m) => new TextDecoder().decode(m));
        expect(msgs).toEqual(Array.from({ length: n }, (_, i) => `m${i}`));
      },
      t,
    );

    it(
      'applies backpressure end to end: a paused reader holds the sender within the Link’s bounds, nothing is lost',
      async () => {
        const { la, lb } = await connected();
        const chunk = new Uint8Array(64 * 1024);
        const bpCount =
          options.backpressureMessages ?? Math.ceil((lb.window + la.sendBufferBytes) / chunk.length) + 16;
        const ch = la.openChannel({ proto: 'compliance-bp' });
        const rx = await firstValueFrom(lb.incomingChannels$);
        rx.pause();
        let received = 0; // DATA payload bytes that reached b on this channel
        const frames = lb.frames$.subscribe((f) => {
          if (f.type === FrameType.DATA && f.channel === rx.id) received += f.length;
        });
        let sent = 0;
        let maxQueued = 0;
        const sends: Promise<void>[] = [];
        for (let i = 0; i < bpCount; i++) {
          sends.push(ch.send(chunk).then(() => void sent++));
          maxQueued = Math.max(maxQueued, ch.bufferedAmount);
        }
        // Wait until nothing moves any more (the sender is held by the receiver's window), or 1.5 s on a slow
        // medium: the bounds hold at every moment, so sampling them early is still a valid check.
        const until = Date.now() + 1_500;
        let before = -1;
        while (received !== before && Date.now() < until) {
          before = received;
          await new Promise((r) => setTimeout(r, 100));
          maxQueued = Math.max(maxQueued, ch.bufferedAmount);
        }
        // Upper bounds (PROTOCOL.md §6): b holds at most its window plus the non-final fragments of one message
        // (credited back at once while nothing waits undelivered); a has handed to the medium no more than that and
        // queues at most its send buffer (or one message, when a message is larger).
        const held = lb.window + chunk.length;
        expect(received).toBeLessThanOrEqual(held);
        expect(sent * chunk.length).toBeLessThanOrEqual(held);
        expect(maxQueued).toBeLessThanOrEqual(Math.max(la.sendBufferBytes, chunk.length));
        expect(sent).toBeLessThan(bpCount);
        let delivered = 0;
        const all = new Promise<void>((resolve) =>
          rx.messages$.subscribe((m) => {
            expect(m.length).toBe(chunk.length);
            if (++delivered === bpCount) resolve();
          }),
        );
        rx.resume();
        await Promise.all([...sends, all]);
        frames.unsubscribe();
        expect(delivered).toBe(bpCount);
        expect(received).toBe(bpCount * chunk.length);
      },
      t,
    );

    it(
      'closes from the dialling side: the peer sees a remote normal close',
      async () => {
        const { la, lb } = await connected();
        await la.close(closeReason('normal', 'done'));
        const r = await lb.closed;
        expect(r.code).toBe('normal');
        expect(r.remote).toBe(true);
      },
      t,
    );

    it(
      'closes from the accepting side: the dialler sees a remote close',
      async () => {
        const { la, lb } = await connected();
        await lb.close(closeReason('going-away'));
        expect((await la.closed).code).toBe('going-away');
      },
      t,
    );

    it(
      "stop() ends the transport's own conduits with going-away (the Transport contract)",
      async () => {
        const { p, ca } = await connected();
        const local = firstValueFrom(ca.closed$);
        await p.a.stop();
        expect((await local).code).toBe('going-away');
      },
      t,
    );

    it(
      'refuses writes once a conduit is ended or destroyed (ERR_CLOSED), on both ends',
      async () => {
        const { ca, cb } = await dialled();
        const remoteClosed = firstValueFrom(cb.closed$);
        cb.data$.subscribe(); // a conduit reads (and sees the peer's end) once data$ has a subscriber
        ca.end(closeReason('normal', 'done'));
        expect(() => ca.write([Uint8Array.of(1)])).toThrow(expect.objectContaining({ code: 'ERR_CLOSED' }));
        await remoteClosed;
        expect(() => cb.write([Uint8Array.of(1)])).toThrow(expect.objectContaining({ code: 'ERR_CLOSED' }));
      },
      t,
    );

    it(
      'detects link loss',
      async () => {
        const { p, la, ca } = await connected();
        if (p.breakLink) await p.breakLink(ca);
        else await p.b.stop();
        const r = await Promise.race([
          la.closed,
          new Promise<never>((_, rej) =>
            setTimeout(() => rej(new Error('link loss not detected')), t - 1000),
          ),
        ]);
        // The peer vanished without GOAWAY: the Link reports `lost` (link.ts), or the medium's documented code.
        expect(r.code).toBe(options.linkLossCode ?? 'lost');
      },
      t,
    );

    it(
      `carries ${concurrent} concurrent Links independently`,
      async () => {
        const p = await factory();
        current = p;
        await p.a.start();
        await p.b.start();
        const accepted: Link[] = [];
        const sub = p.b.incoming$.subscribe((c) => {
          const l = new Link(c, { ...linkOpts, role: 'responder', local: advert('b') });
          accepted.push(l);
          l.messages$.subscribe((m) => void l.send(m)); // echo
        });
        const links = await Promise.all(
          Array.from({ length: concurrent }, async () => {
            const l = new Link(await p.a.dial(p.b.localAddress!), {
              ...linkOpts,
              role: 'initiator',
              local: advert('a'),
            });
            await l.opened;
            return l;
          }),
        );
        const results = await Promise.all(
          links.map(async (l, i) => {
            const echo = firstValueFrom(l.messages$);
            await l.send(new TextEncoder().encode(`link ${i}`));
            return new TextDecoder().decode(await echo);
          }),
        );
        expect(results).toEqual(links.map((_, i) => `link ${i}`));
        expect(accepted.length).toBe(concurrent);
        await links[0]!.close();
        expect(links[1]!.state).toBe('open');
        sub.unsubscribe();
      },
      t,
    );

    it(
      'start() and stop() are idempotent: stop before start, start twice (also concurrently), stop twice',
      async () => {
        const p = await factory();
        current = p;
        await p.a.stop(); // never started: nothing to do
        await Promise.all([p.a.start(), p.a.start()]);
        const address = p.a.localAddress;
        expect(typeof address).toBe('string');
        await p.a.start();
        expect(p.a.localAddress).toBe(address);
        await p.b.start();
        const conduit = await p.b.dial(address!); // still one working listener
        conduit.destroy(closeReason('normal', 'compliance'));
        await p.a.stop();
        await p.a.stop();
      },
      t,
    );

    it(
      'rejects a dial before start() with ERR_NOT_STARTED',
      async () => {
        const p = await factory();
        current = p;
        await p.b.start();
        await expect(p.a.dial(p.b.localAddress!)).rejects.toMatchObject({ code: 'ERR_NOT_STARTED' });
      },
      t,
    );

    it(
      `rejects a dial to an address nobody listens on with ${options.unreachableCode ?? 'ERR_DIAL_FAILED'}`,
      async () => {
        const p = await factory();
        current = p;
        let address: string;
        if (p.unreachableAddress) address = await p.unreachableAddress();
        else {
          await p.b.start();
          address = p.b.localAddress!;
          await p.b.stop();
        }
        await p.a.start();
        // A medium that fails such a dial by itself gets 5 s to do so; one that can only time out (it cannot tell
        // absence from silence) is checked for its code, so a shorter limit spares every run the wait.
        const limitMs = options.unreachableCode === 'ERR_TIMEOUT' ? UNREACHABLE_TIMEOUT_MS : 5_000;
        await expect(
          p.a.dial(address, { timeoutMs: Math.min(Math.floor(t / 2), limitMs) }),
        ).rejects.toMatchObject({
          code: options.unreachableCode ?? 'ERR_DIAL_FAILED',
        });
      },
      t,
    );

    it(
      'rejects a dial with ERR_ABORTED when its AbortSignal is aborted, before or during the dial',
      async () => {
        const p = await factory();
        current = p;
        await p.a.start();
        await p.b.start();
        const accepted: Conduit[] = [];
        const sub = p.b.incoming$.subscribe((c) => accepted.push(c));
        await expect(p.a.dial(p.b.localAddress!, { signal: AbortSignal.abort() })).rejects.toMatchObject({
          code: 'ERR_ABORTED',
        });
        // Aborted right after the call: a dial still pending rejects with ERR_ABORTED; one whose outcome the medium
        // had already fixed (an instant in-memory dial) may resolve, and its conduit is closed here.
        const controller = new AbortController();
        const pending = p.a.dial(p.b.localAddress!, { signal: controller.signal });
        controller.abort();
        const settled = await pending.then(
          (c) => {
            c.destroy(closeReason('normal', 'compliance'));
            return 'resolved';
          },
          (e: { code?: string }) => e.code,
        );
        expect(['ERR_ABORTED', 'resolved']).toContain(settled);
        // an abandoned dial leaves the transport working
        const ok = await p.a.dial(p.b.localAddress!);
        expect(ok.medium).toBe(p.a.medium);
        ok.destroy(closeReason('normal', 'compliance'));
        sub.unsubscribe();
        for (const c of accepted) c.destroy(closeReason('normal', 'compliance'));
      },
      t,
    );

    it(
      'rejects a dial that cannot complete within timeoutMs with ERR_TIMEOUT or ERR_DIAL_FAILED',
      async (ctx) => {
        const p = await factory();
        current = p;
        if (!p.silentAddress) return ctx.skip('no silentAddress() for this medium');
        const address = await p.silentAddress();
        await p.a.start();
        await expect(p.a.dial(address, { timeoutMs: 500 })).rejects.toSatisfy(
          (e: { code?: string }) => e.code === 'ERR_TIMEOUT' || e.code === 'ERR_DIAL_FAILED',
        );
      },
      t,
    );

    if (options.discovery !== false) {
      it(
        'discovery: finds an advertising peer and loses it after unadvertise (goodbye)',
        async (ctx) => {
          const p = await factory();
          current = p;
          const [a, b] = [p.a, p.b];
          // A dial-only transport (no Discovery) has nothing to check here; the skip says so in the report.
          if (!hasDiscovery(a) || !hasDiscovery(b))
            return ctx.skip('the transport does not implement Discovery');
          await a.start();
          await b.start();
          const events: DiscoveryEvent[] = [];
          const sub = a.discover().subscribe((e) => events.push(e));
          const adv = advert('b');
          const found = within(
            a.discover().pipe(filter((e) => e.type !== 'lost' && e.peer.networkId === adv.networkId)),
            t - 5000,
            'found',
          );
          await b.advertise(adv);
          const f = await found;
          expect(f.peer).toMatchObject({
            networkId: adv.networkId,
            deviceName: 'b',
            deviceType: 'pc',
            medium: a.medium,
          });
          expect(typeof f.peer.address).toBe('string');
          // discover() is hot with replay: a late subscriber first gets `found` for every peer already known, at
          // once (before anything more happens on the medium).
          const replayed: DiscoveryEvent[] = [];
          a.discover()
            .subscribe((e) => replayed.push(e))
            .unsubscribe();
          expect(replayed).toContainEqual(
            expect.objectContaining({
              type: 'found',
              peer: expect.objectContaining({ networkId: adv.networkId, medium: a.medium }),
            }),
          );
          const lost = within(
            a.discover().pipe(filter((e) => e.type === 'lost' && e.peer.networkId === adv.networkId)),
            t - 5000,
            'lost',
          );
          await b.unadvertise();
          await lost;
          sub.unsubscribe();
          expect(events.some((e) => e.type === 'found')).toBe(true);
        },
        t,
      );
    }
  });
}
