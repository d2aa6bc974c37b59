import { MAX_PENDING_HANDSHAKES, MAX_PENDING_HANDSHAKES_PER_SOURCE, MAX_QUEUED_INBOUND } from '@colink/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCEPT_BURST_PER_SOURCE } from '../src/index.js';
import {
  type Attack,
  type AttackReport,
  describeReport,
  HostileScene,
  sh,
  TEST_PRE_AUTH_MS,
} from './hostile-helpers.js';

// A device with TLS security and a trusted session open, attacked by a hostile LAN neighbour (its own process) over
// real sockets: random bytes, slowloris mid-preamble and mid-TLS, huge frame lengths, 1,000 connections at once, a
// full TLS handshake with an untrusted identity and a flood. Throughout, the trusted session must answer, a new
// trusted device must dial in, every hostile socket must be closed by the device well before the Link handshake
// timeout (60 s, as api-compat sets it) — by the pre-authentication deadline (1 s here) or a pending cap — and memory
// must stay bounded. Each environment runs the same attacks: loopback, and a network namespace whose veth carries
// the hostile process (root only; the namespace, veth and addresses carry this process's pid and are removed after).
// A third runs a subset on loopback with the device behind transport-tcp's gatekeeper process (option `gatekeeper`).

const isRoot = process.getuid?.() === 0;
const tag = process.pid % 100_000;
/** Many source hosts, so the global cap (not only the per-source one) is reached. */
const SOURCES = 100;

/** A generous bound: far below the 60 s handshake timeout, far above the 1 s deadline on a loaded 2-core host. */
const CLOSE_BOUND_MS = TEST_PRE_AUTH_MS + 9_000;
/**
 * Bound on the trusted session's median RTT under attack, ms: `max(RTT_FACTOR_BOUND × idle, RTT_FLOOR_MS)`. The goal
 * is 2× idle; on the shared 2-core host (load average ~10 from other test runs) single round trips of an idle Link
 * already take 10–40 ms when the process is preempted, so the assertion is generous: it fails when the median trip
 * waits behind the attack's work as a whole (a storm handled in one go, pre-authentication work that blocks the
 * event loop), not on host noise. The figures measured are printed and kept in core's README.
 */
const RTT_FACTOR_BOUND = 20;
const RTT_FLOOR_MS = 10;
/** Generous bound on RSS growth of the device's process across one attack, MiB. */
const RSS_GROWTH_BOUND_MIB = 200;

interface Env {
  readonly name: string;
  readonly skip: string | false;
  /** The device listens through the gatekeeper process. */
  readonly gatekeeper?: boolean;
  /** Only these tests (ids below) run in this environment; the others are skipped for the reason given. */
  readonly only?: { readonly ids: readonly string[]; readonly reason: string };
  readonly setup: () => { listenHost: string; netns?: string; sources: string[] };
  readonly teardown: () => void;
}

const netns = {
  ns: `clhos${tag}`,
  host: `clhh${tag}`,
  far: `clhn${tag}`,
  net: `10.${150 + (tag % 50)}.${Math.floor(tag / 50) % 250}`,
};

const envs: Env[] = [
  {
    name: 'loopback',
    skip: false,
    // The whole of 127/8 reaches lo on Linux: 127.0.1.x are distinct sources for the per-source cap.
    setup: () => ({
      listenHost: '127.0.0.1',
      sources: Array.from({ length: SOURCES }, (_, i) => `127.0.1.${i + 1}`),
    }),
    teardown: () => undefined,
  },
  {
    name: 'loopback, gatekeeper',
    skip: false,
    gatekeeper: true,
    only: {
      ids: ['random', 'slow-preamble', 'slow-tls-one-source', 'silent-1000', 'untrusted-flood'],
      reason:
        'the storms the gatekeeper filters (random, mid-preamble, silent), its allowance and a TLS peer handed ' +
        'over; the rest reaches the device as without it, and this file runs alone (its time adds to every pnpm test)',
    },
    setup: () => ({
      listenHost: '127.0.0.1',
      sources: Array.from({ length: SOURCES }, (_, i) => `127.0.1.${i + 1}`),
    }),
    teardown: () => undefined,
  },
  {
    name: 'netns',
    skip: isRoot ? false : 'needs root to create a network namespace and a veth pair',
    setup: () => {
      const { ns, host, far, net } = netns;
      sh('ip', 'netns', 'add', ns);
      sh('ip', '-n', ns, 'link', 'set', 'lo', 'up');
      sh('ip', 'link', 'add', host, 'type', 'veth', 'peer', 'name', far, 'netns', ns);
      sh('ip', 'addr', 'add', `${net}.1/24`, 'dev', host);
      sh('ip', 'link', 'set', host, 'up');
      const sources = Array.from({ length: SOURCES }, (_, i) => `${net}.${i + 2}`);
      for (const a of sources) sh('ip', '-n', ns, 'addr', 'add', `${a}/24`, 'dev', far);
      sh('ip', '-n', ns, 'link', 'set', far, 'up');
      return { listenHost: `${net}.1`, netns: ns, sources };
    },
    teardown: () => {
      for (const cmd of [
        ['ip', 'netns', 'del', netns.ns],
        ['ip', 'link', 'del', netns.host],
      ]) {
        try {
          sh(...cmd);
        } catch {
          // already gone (deleting the namespace removes the veth pair)
        }
      }
    },
  },
];

for (const env of envs) {
  if (env.skip !== false) console.info(`[hostile] ${env.name} skipped: ${env.skip}`);
  /** `it`, or `it.skip` for a test outside the environment's subset (reason in `env.only`). */
  const test = (id: string) => (env.only && !env.only.ids.includes(id) ? it.skip : it);
  if (env.only) console.info(`[hostile] ${env.name}: only ${env.only.ids.join(', ')} (${env.only.reason})`);
  describe.skipIf(env.skip !== false)(`hostile peers over TCP (${env.name})`, () => {
    let scene: HostileScene;
    let sources: string[];
    const reports: string[] = [];

    beforeAll(async () => {
      const s = env.setup();
      sources = s.sources;
      scene = new HostileScene(s.listenHost, s.netns, { gatekeeper: env.gatekeeper ?? false });
      await scene.start();
    }, 60_000);

    afterAll(async () => {
      try {
        await scene?.stop();
      } finally {
        env.teardown();
        // The measured numbers (core README "Robustness").
        for (const r of reports) console.log(r);
      }
    }, 60_000);

    /** Runs `attack` and checks what holds for every attack. */
    async function survive(name: string, attack: Attack): Promise<AttackReport> {
      const r = await scene.attack(attack);
      reports.push(describeReport(env.name, name, r));
      const x = r.result;
      // Every socket that connected was closed by the device (none held to the hostile's 30 s end), in time.
      expect(x.connected).toBeGreaterThan(0);
      expect(x.held).toBe(0);
      expect(x.closedByServer).toBe(x.connected);
      expect(x.closeMsMax).toBeLessThan(CLOSE_BOUND_MS);
      // Pending handshakes and connections waiting for their turn stayed within their caps; the listener never
      // came near its 256 slots.
      expect(r.pendingMax).toBeLessThanOrEqual(MAX_PENDING_HANDSHAKES);
      expect(r.pendingHighWater).toBeLessThanOrEqual(MAX_PENDING_HANDSHAKES);
      expect(r.queuedHighWater).toBeLessThanOrEqual(MAX_QUEUED_INBOUND);
      expect(r.inboundMax).toBeLessThanOrEqual(MAX_PENDING_HANDSHAKES + MAX_QUEUED_INBOUND + 8);
      // The trusted session answered (rtt() throws otherwise), within the bound, and a new trusted device dialled in.
      expect(r.rttUnderAttackMs).toBeGreaterThan(0);
      expect(r.rttUnderAttackMs).toBeLessThanOrEqual(Math.max(RTT_FACTOR_BOUND * r.rttIdleMs, RTT_FLOOR_MS));
      expect(r.newcomerMs).toBeGreaterThan(0);
      expect(r.rssAfterMiB - r.rssBeforeMiB).toBeLessThan(RSS_GROWTH_BOUND_MIB);
      // The session still works after the attack.
      await scene.rtt(3);
      return r;
    }

    /**
     * Behind the gatekeeper, strangers that fail before the end of their preamble never reach the device: the only
     * connection handed over is the newcomer's, and the device's admission control had nobody else pending.
     */
    function filteredByGatekeeper(r: AttackReport): void {
      if (!env.gatekeeper) return;
      expect(r.gatekeeper).toBeDefined();
      expect(r.gatekeeper!.handed).toBeLessThanOrEqual(1);
      expect(r.pendingMax).toBeLessThanOrEqual(1); // sampled every 10 ms
    }

    test('random')(
      '(a) random bytes on 200 connections: refused at the preamble',
      { timeout: 90_000 },
      async () => {
        const r = await survive('random bytes', { kind: 'random', conns: 200, sources });
        expect(r.timedOut).toBe(0); // a bad preamble closes at once, no deadline needed
        filteredByGatekeeper(r);
      },
    );

    test('slow-preamble')(
      '(b) 500 slowloris sockets stopped mid-preamble: capped, then closed by the deadline',
      {
        timeout: 90_000,
      },
      async () => {
        const r = await survive('slowloris mid-preamble', { kind: 'slow-preamble', conns: 500, sources });
        expect(r.evicted).toBeGreaterThan(0); // 500 > the global cap of 64
        expect(r.timedOut).toBeGreaterThan(0);
        // Refused before authentication, each was reset (RST), not closed: every hostile socket saw ECONNRESET (some
        // before their connect completed in the attacker's process) and none a clean end.
        expect(r.result.errors).toEqual({ ECONNRESET: 500 });
      },
    );

    test('slow-tls-one-source')(
      '(b) 500 slowloris sockets from ONE source stopped mid-TLS: the per-source cap holds',
      {
        timeout: 90_000,
      },
      async () => {
        const r = await survive('slowloris mid-TLS, one source', {
          kind: 'slow-tls',
          conns: 500,
          sources: sources.slice(0, 1),
        });
        expect(r.pendingMax).toBeLessThanOrEqual(MAX_PENDING_HANDSHAKES_PER_SOURCE + 1); // + the newcomer
        // Past its accept allowance the listener resets the source's connections at once; of the rest, all but the
        // per-source cap are evicted from the queue or the pending set.
        expect(r.rateLimited).toBeGreaterThanOrEqual(500 - ACCEPT_BURST_PER_SOURCE - 50); // 50: refill meanwhile
        expect(r.rateLimited + r.queueRefused + r.evicted).toBeGreaterThanOrEqual(
          500 - MAX_PENDING_HANDSHAKES_PER_SOURCE,
        );
      },
    );

    test('slow-tls')(
      '(b) 500 slowloris sockets from many sources stopped mid-TLS',
      { timeout: 90_000 },
      async () => {
        const r = await survive('slowloris mid-TLS', { kind: 'slow-tls', conns: 500, sources });
        expect(r.timedOut).toBeGreaterThan(0);
      },
    );

    test('huge-frame')(
      '(c) frame headers announcing 2^31 bytes (plain preamble) and TLS records of 64 KiB (secure)',
      {
        timeout: 90_000,
      },
      async () => {
        await survive('2^31 frame length', { kind: 'huge-frame', conns: 100, sources });
        await survive('oversized TLS record', { kind: 'huge-frame', secure: true, conns: 100, sources });
      },
    );

    test('silent-1000')('(d) 1,000 silent connections at once', { timeout: 90_000 }, async () => {
      const r = await survive('1,000 at once', { kind: 'silent', conns: 1_000, sources });
      expect(r.evicted).toBeGreaterThan(0);
      expect(r.result.errors).toEqual({ ECONNRESET: 1_000 }); // each reset (RST), none closed with a FIN
      filteredByGatekeeper(r);
    });

    test('untrusted-flood')(
      '(e) TLS completed with an untrusted identity, then a flood: refused at the trust exchange',
      {
        timeout: 90_000,
      },
      async () => {
        const r = await survive('untrusted TLS + flood', { kind: 'untrusted-flood', conns: 20, sources });
        expect(r.result.tls).toBeGreaterThan(0);
        // Refused inside the Link's handshake, before it opened: reset (RST), so the flooding socket's next write or
        // read fails with ECONNRESET — not EPIPE, as after the FIN the device sent before handshake-level refusals
        // were reset.
        expect(r.result.errors).toEqual({ ECONNRESET: 20 });
      },
    );

    test('untrusted-silent')(
      '(e) TLS completed with an untrusted identity, then silence: closed by the deadline or the verdict',
      {
        timeout: 90_000,
      },
      async () => {
        const r = await survive('untrusted TLS + silence', { kind: 'untrusted-silent', conns: 100, sources });
        expect(r.result.tls).toBeGreaterThan(0);
      },
    );

    test('bind-flood')(
      '(e) an untrusted device asks to bind and floods while the user looks at the code: held, memory bounded',
      {
        timeout: 90_000,
      },
      async () => {
        // The user never answers: the binding confirmation (the Link's 60 s handshake timeout), not the 1 s
        // pre-authentication deadline, bounds the one prompt shown; the device shows one peer-requested prompt at a
        // time (MAX_CONCURRENT_BINDING_PROMPTS), so the other requests are declined as busy at once. The flood is not
        // read past 64 KiB per connection.
        let prompts = 0;
        /** The prompts' answers, given (no) after the attack: the held connection then closes, and the next attack
         * starts on an idle device (its prompt would otherwise hold the connection until the 60 s handshake timeout,
         * and `HostileScene.quiesce` waits at most 30 s). */
        const answers: Array<(yes: boolean) => void> = [];
        scene.serverSecurity.onBindRequest = () => {
          prompts++;
          return new Promise<boolean>((answer) => answers.push(answer));
        };
        try {
          const conns = 5;
          const r = await scene.attack({ kind: 'bind-flood', conns, sources, holdMs: 3_000 });
          reports.push(describeReport(env.name, 'bind request + flood (user never answers)', r));
          expect(r.result.tls).toBe(conns);
          expect(prompts).toBe(1);
          expect(r.result.held).toBe(1); // the prompted one is still open when the hostile gave up after 3 s (deadline: 1 s)
          expect(r.timedOut).toBe(0);
          expect(r.pendingMax).toBeLessThanOrEqual(conns + 1);
          // Without the 64 KiB bound the device read the flood into memory as fast as loopback carries it (480 MiB in
          // 5 s measured).
          expect(r.result.flooded).toBeLessThan(conns * 32 * 1024 * 1024);
          expect(r.rssAfterMiB - r.rssBeforeMiB).toBeLessThan(RSS_GROWTH_BOUND_MIB);
        } finally {
          scene.serverSecurity.onBindRequest = undefined;
          for (const answer of answers) answer(false);
        }
      },
    );

    for (const [label, from] of [
      ['one source', 1],
      ['100 sources', SOURCES],
    ] as const) {
      test('sustained')(
        `(b) sustained slowloris from ${label}: 500 slots reopened as soon as closed, for 4 s`,
        {
          timeout: 90_000,
        },
        async () => {
          // The "a client that reconnects keeps the lock-out going", at full speed instead of every 60 s.
          const r = await scene.attack({
            kind: 'slow-preamble',
            conns: 500,
            sources: sources.slice(0, from),
            sustainMs: 4_000,
            holdMs: 4_000,
            // 500 sockets from 100 sources connect at once and reconnect as soon as closed: the queue of connections
            // waiting for pre-authentication work (64) overflows at the start and its oldest are refused — the
            // newcomer's first dials can be among them. It retries as an app would (50, 100, … ms apart).
            newcomerAttempts: from === 1 ? 1 : 10,
          });
          reports.push(describeReport(env.name, `sustained slowloris, ${label}`, r));
          console.log(
            `[hostile ${env.name}] sustained slowloris, ${label}: ${r.result.reconnects} reconnections, ` +
              `${r.result.reconnectsClosedByServer} of them closed by the device, ` +
              `${r.result.reconnectsHeldToEnd} held to the end by the hostile`,
          );
          expect(r.result.reconnects).toBeGreaterThan(500);
          // Every round's errors count (the fixture counted the first round's only): each reconnection the device
          // ended — reset at accept, evicted, refused — saw a reset, none a FIN or another error; the only ones without
          // an error are those the hostile closed itself when the 4 s were over, at most the last one of each slot.
          // (The fixture ends a slot there: before, a hold timer firing a millisecond early could start one more
          // reconnection of the slot, also closed by the hostile, and CI once counted 9,122 resets of 9,623 where
          // `reconnects - 500` were expected — with no FIN from the device.)
          const x = r.result;
          expect(Object.keys(x.reconnectErrors)).toEqual(['ECONNRESET']);
          expect(x.reconnectsHeldToEnd).toBeLessThanOrEqual(500);
          expect(x.reconnectErrorsEndedByDevice).toEqual({
            ECONNRESET: x.reconnects - x.reconnectsHeldToEnd,
          });
          expect(r.pendingHighWater).toBeLessThanOrEqual(MAX_PENDING_HANDSHAKES);
          // The trusted session answered and the newcomer dialled in while the slots were being reopened.
          expect(r.rttUnderAttackMs).toBeGreaterThan(0);
          expect(r.rttUnderAttackMs).toBeLessThanOrEqual(
            Math.max(RTT_FACTOR_BOUND * r.rttIdleMs, RTT_FLOOR_MS),
          );
          expect(r.newcomerMs).toBeGreaterThan(0);
          expect(r.rssAfterMiB - r.rssBeforeMiB).toBeLessThan(RSS_GROWTH_BOUND_MIB);
          await scene.rtt(3);
        },
      );
    }
  });
}
