import { afterEach, describe, expect, it, onTestFailed } from 'vitest';
import {
  backInRange,
  canNetns,
  type DeviceProc,
  HandoverLab,
  type Line,
  outOfRange,
  portOf,
  run,
} from './handover/index.js';

// Issue 15's acceptance test over real media: two device processes linked by real TCP (a veth pair between two
// network namespaces when root, else loopback) and the virtual BLE radio (the real noble/bleno stacks in each
// process, the radio in this one behind a RadioBroker). One session carries 10,000 numbered messages and 64 MiB one
// way, 10,000 messages and 16 MiB the other, while the media change under it.

const MESSAGES = 10_000;
const DATA = 64 * 1024 * 1024;
/** What the accepting side sends back on the same session, beside 10,000 messages of its own. */
const BACK_DATA = 16 * 1024 * 1024;
const CHUNK = 64 * 1024;
/**
 * Largest data rate of the forward stream, bytes/s (a quarter of it back): the 64 MiB take at least 4 s, so the test
 * can inject each fault while the transfer runs (unpaced, TCP on a veth moves them in well under a second).
 */
const RATE = 16 * 1024 * 1024;
/** Keep-alive of the devices' Links (ms): PING interval and the silence after which a Link is lost. */
const KEEPALIVE_MS = 500;
const IDLE_MS = 2_000;

const lab = new HandoverLab();
afterEach(() => lab.tearDown(), 60_000);

const root = canNetns();

async function world(opts: { graceMs?: number } = {}) {
  const { radio, socketPath } = await lab.radio();
  const ns = root ? await lab.veth('m', '10.151.0') : undefined;
  const start = (name: string, mac: string, host: string, netns: string | undefined) =>
    lab.coreDevice(
      {
        name,
        tcp: { host },
        ble: { radio: socketPath, mac },
        keepAliveIntervalMs: KEEPALIVE_MS,
        idleTimeoutMs: IDLE_MS,
        peerGraceMs: opts.graceMs ?? 10_000,
      },
      netns,
    );
  const [{ proc: a, ready: ra }, { proc: b, ready: rb }] = await Promise.all([
    start('alpha', 'AA:00:00:00:15:01', ns?.addrA ?? '127.0.0.1', ns?.a),
    start('beta', 'BB:00:00:00:15:02', ns?.addrB ?? '127.0.0.1', ns?.b),
  ]);
  return { radio, ns, a, b, ra, rb };
}

/** Waits until the receiver of the forward stream reports at least `n` messages delivered. */
function received(d: DeviceProc, n: number, timeoutMs = 60_000): Promise<Line> {
  return d.waitFor((l) => l.event === 'rx-progress' && l.dir === 'forward' && (l.messages as number) >= n, {
    what: `${n} messages received`,
    timeoutMs,
  });
}

/** Dials `medium` from `d` until it succeeds (a veth that just came up needs a moment). */
const dial = (d: DeviceProc, medium: 'tcp' | 'ble', address: string): Promise<Line> =>
  d.dial(medium, address, 20, 30_000);

describe('a session over TCP and the virtual BLE radio between two device processes', () => {
  it('carries 10,000 messages and 64 MiB exactly once through BLE→TCP upgrade, TCP cuts and BLE range loss', async () => {
    const t0 = Date.now();
    const { radio, ns, a, b, ra, rb } = await world();
    const macA = String(ra.ble);
    const macB = String(rb.ble);
    const tcpA = String(ra.tcp);
    const log = (d: DeviceProc): string =>
      d.lines
        .filter((l) =>
          ['link-open', 'link-closed', 'move', 'pc-state', 'dialed', 'disconnect'].includes(l.event),
        )
        .map((l) => {
          const { t, ...rest } = l;
          return `${((t - t0) / 1000).toFixed(2)} ${JSON.stringify(rest)}`;
        })
        .join('\n  ');
    onTestFailed(() => console.log(`alpha:\n  ${log(a)}\nbeta:\n  ${log(b)}`));
    const timeline: string[] = [];
    const mark = (what: string): void => {
      const rx = a
        .events('rx-progress')
        .filter((l) => l.dir === 'forward')
        .at(-1);
      const at = rx
        ? ` [${rx.messages} messages, ${((rx.dataBytes as number) / 2 ** 20).toFixed(1)} MiB received]`
        : '';
      timeline.push(`${((Date.now() - t0) / 1000).toFixed(1)} s ${what}${at}`);
    };

    // (1) The session starts on BLE …
    await dial(b, 'ble', macA);
    b.send({
      cmd: 'session',
      peer: ra.networkId,
      plan: {
        messages: MESSAGES,
        dataBytes: DATA,
        chunk: CHUNK,
        rate: RATE,
        back: { messages: MESSAGES, dataBytes: BACK_DATA, chunk: CHUNK, rate: RATE / 4 },
      },
    });
    expect((await b.next('session', { from: 0 })).medium).toBe('ble');
    await received(a, 100);
    mark('100 messages over BLE');
    // … and upgrades to TCP, make-before-break.
    let fromA = a.lines.length;
    let fromB = b.lines.length;
    const up = await dial(b, 'tcp', tcpA);
    await Promise.all([a.movedTo('tcp', fromA), b.movedTo('tcp', fromB)]);
    mark(`upgraded to TCP (dial + TLS ${up.ms} ms)`);

    // (2a) A conduit fault: the TCP connection is killed under the running transfer (ss -K as root: the kernel
    // aborts the socket, the peer gets RST; else the device aborts its TCP Link as lost).
    await received(a, 2_500);
    fromA = a.lines.length;
    fromB = b.lines.length;
    if (root) run(ns?.a, 'ss', '-K', 'src', ns ? ns.addrA : '127.0.0.1', 'sport', '=', `:${portOf(tcpA)}`);
    else a.send({ cmd: 'abort', medium: 'tcp' });
    const cutAt = Date.now();
    await Promise.all([a.movedTo('ble', fromA), b.movedTo('ble', fromB)]);
    mark(`TCP conduit cut: traffic on BLE after ${Date.now() - cutAt} ms`);
    await dial(b, 'tcp', tcpA);
    await Promise.all([a.movedTo('tcp', fromA), b.movedTo('tcp', fromB)]);
    mark('back on TCP');

    // (2b) The veth taken down in a namespace (root only): the Links notice by keep-alive, BLE carries meanwhile.
    await received(a, 5_000);
    if (ns) {
      fromA = a.lines.length;
      fromB = b.lines.length;
      run(undefined, 'ip', '-n', ns.a, 'link', 'set', ns.vethA, 'down');
      const downAt = Date.now();
      await Promise.all([a.movedTo('ble', fromA), b.movedTo('ble', fromB)]);
      const detected = Date.now() - downAt;
      mark(`veth down: traffic on BLE after ${detected} ms (idle timeout ${IDLE_MS} ms)`);
      expect(detected).toBeLessThan(IDLE_MS + 10_000);
      // (3a) While BLE carries alone, the BLE device leaves range too: no medium is left, the peer connections wait
      // (reconnecting) within the grace period; back in range, BLE is dialled again and the transfer goes on.
      const rx =
        (a
          .events('rx-progress')
          .filter((l) => l.dir === 'forward')
          .at(-1)?.messages as number) ?? 0;
      await received(a, rx + 100);
      mark('BLE carried 100 messages alone');
      fromA = a.lines.length;
      fromB = b.lines.length;
      outOfRange(radio, macA, macB);
      await Promise.all(
        [
          [a, fromA],
          [b, fromB],
        ].map(([d, from]) =>
          (d as DeviceProc).waitFor((l) => l.event === 'pc-state' && l.state === 'reconnecting', {
            what: 'reconnecting',
            timeoutMs: 30_000,
            from: from as number,
          }),
        ),
      );
      mark('BLE out of range: no medium left, reconnecting');
      await new Promise((r) => setTimeout(r, 1_000));
      backInRange(radio, macA, macB);
      await dial(b, 'ble', macA);
      await Promise.all([a.movedTo('ble', fromA), b.movedTo('ble', fromB)]);
      mark('BLE back in range: traffic on BLE');
      await received(a, rx + 200);
      run(undefined, 'ip', '-n', ns.a, 'link', 'set', ns.vethA, 'up');
      await dial(b, 'tcp', tcpA);
      await Promise.all([a.movedTo('tcp', fromA), b.movedTo('tcp', fromB)]);
      mark('veth up: back on TCP');
    } else {
      console.warn('handover-media: not root (or no `ip netns`): the veth-down cut is skipped');
    }

    // (3) The BLE device leaves range (adverts lost, connections refused, its links dropped) and comes back.
    await received(a, 7_500);
    fromA = a.lines.length;
    expect(outOfRange(radio, macA, macB)).toBeGreaterThan(0);
    await a.waitFor((l) => l.event === 'link-closed' && l.medium === 'ble', {
      timeoutMs: 30_000,
      from: fromA,
    });
    mark('BLE out of range');
    await received(a, 8_000);
    backInRange(radio, macA, macB);
    await dial(b, 'ble', macA);
    mark('BLE back in range');

    const [got, sent, gotBack, sentBack] = await Promise.all([
      a.waitFor((l) => l.event === 'received' && l.dir === 'forward', { timeoutMs: 120_000 }),
      b.waitFor((l) => l.event === 'sent' && l.dir === 'forward', {
        timeoutMs: 120_000,
        failOn: ['send-failed'],
      }),
      b.waitFor((l) => l.event === 'received' && l.dir === 'back', { timeoutMs: 120_000 }),
      a.waitFor((l) => l.event === 'sent' && l.dir === 'back', {
        timeoutMs: 120_000,
        failOn: ['send-failed'],
      }),
    ]);
    mark('all delivered');
    console.log(`handover-media timeline:\n  ${timeline.join('\n  ')}`);
    expect(got.errors).toEqual([]);
    expect(got.messages).toBe(MESSAGES);
    expect(got.dataBytes).toBe(DATA);
    expect(got.sha256).toBe(sent.sha256);
    expect(gotBack.errors).toEqual([]);
    expect(gotBack.messages).toBe(MESSAGES);
    expect(gotBack.dataBytes).toBe(BACK_DATA);
    expect(gotBack.sha256).toBe(sentBack.sha256);
    // The apps saw no disconnect; the peer connections only waited (reconnecting, while no medium was left), never
    // gave up.
    expect(a.events('disconnect')).toEqual([]);
    expect(b.events('disconnect')).toEqual([]);
    const waited = root ? ['reconnecting'] : [];
    for (const d of [a, b])
      expect(
        d
          .events('pc-state')
          .map((l) => l.state)
          .filter((s) => s !== 'connected'),
      ).toEqual(waited);
  }, 180_000);

  // `kill -9`: the kernel closes the dead process's sockets and the broker takes its controllers off the radio, so the
  // loss shows at once. `frozen`: SIGSTOP first (a hung or powered-off device: sockets and BLE links stay up, nothing
  // answers), so only the Links' keep-alive can tell; kill -9 follows after the loss is reported.
  it.each(['kill -9', 'frozen, then kill -9'])(
    '%s of the receiving process mid-transfer: the sender reports the loss within the keep-alive timeout',
    async (how) => {
      const graceMs = 1_500;
      const { a, b, ra } = await world({ graceMs });
      await dial(b, 'ble', String(ra.ble));
      await dial(b, 'tcp', String(ra.tcp));
      b.send({
        cmd: 'session',
        peer: ra.networkId,
        plan: { messages: MESSAGES, dataBytes: DATA, chunk: CHUNK, rate: RATE },
      });
      await received(a, 2_000);
      const from = b.lines.length;
      const frozen = how.startsWith('frozen');
      a.child.kill(frozen ? 'SIGSTOP' : 'SIGKILL');
      const killedAt = Date.now();
      const lost = await b.waitFor((l) => l.event === 'pc-state' && l.state === 'reconnecting', {
        timeoutMs: 30_000,
        from,
      });
      const detectMs = lost.t - killedAt;
      if (frozen) a.child.kill('SIGKILL');
      const ended = await b.waitFor((l) => l.event === 'disconnect', { timeoutMs: 30_000, from });
      const endMs = ended.t - killedAt;
      // The sender's blocked send ends with the session instead of waiting for ever.
      const failed = await b.waitFor((l) => l.event === 'send-failed', { timeoutMs: 30_000, from });
      console.log(
        `${how}: loss reported after ${detectMs} ms (keep-alive ${KEEPALIVE_MS} ms, idle timeout ${IDLE_MS} ms); ` +
          `session ended (${ended.reason}) after ${endMs} ms (grace ${graceMs} ms); send failed: ${String(failed.error)}`,
      );
      expect(await a.exited).toBe(null); // killed by the signal
      expect(detectMs).toBeLessThan(IDLE_MS + 5_000);
      expect(ended.reason).toBe('network-disconnected');
      expect(endMs).toBeGreaterThanOrEqual(graceMs - 50);
      expect(b.events('disconnect')).toHaveLength(1);
      const closed = b.events('link-closed').filter((l) => l.t >= killedAt - 5);
      expect(closed.map((l) => l.medium).sort()).toEqual(['ble', 'tcp']);
    },
    120_000,
  );
});
