import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  addNetns,
  deleteNetns,
  FakeP2pMedium,
  type FakeWpaSupplicant,
} from '@colink/transport-wifi-p2p/testing';
import { configureWifiP2p } from '../src/wifi/registry.js';
import { memoryRuntime } from './helpers.js';

/** A loopback fake medium and a temp dir for the daemons' control sockets. */
export function fakeWorld(): {
  medium: FakeP2pMedium;
  dir: string;
  daemon(ifname: string, deviceName: string): FakeWpaSupplicant;
  close(): Promise<void>;
} {
  const medium = new FakeP2pMedium({ dataPath: 'loopback' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'colink-wifi-api-'));
  return {
    medium,
    dir,
    daemon: (ifname, deviceName) => medium.addDaemon({ ctrlDir: path.join(dir, ifname), ifname, deviceName }),
    async close() {
      await configureWifiP2p(undefined);
      await medium.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Points wifiManager at `daemon` (fresh backend, no listeners). */
export async function useDaemon(medium: FakeP2pMedium, daemon: FakeWpaSupplicant | undefined): Promise<void> {
  await configureWifiP2p({
    ctrlPath: daemon?.ctrlPath,
    service: { addressing: medium.addressing },
    client: { reattachRetryMs: 100 },
  });
}

/** Makes the current device runtime hold exactly `permissions` ('all' = every one) and be a system app or not. */
export function grant(permissions: string, systemApp = false): void {
  memoryRuntime(`wifi${process.pid}`, {
    COLINK_PERMISSIONS: permissions,
    COLINK_SYSTEM_APP: systemApp ? '1' : '0',
  });
}

/** Collects the payloads of an event and lets a test await the first matching one. */
export class Recorder<T> {
  readonly seen: T[] = [];
  private waiters: Array<{ pred: (v: T) => boolean; resolve: (v: T) => void }> = [];
  readonly listener = (v: T): void => {
    this.seen.push(v);
    for (const w of [...this.waiters])
      if (w.pred(v)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(v);
      }
  };
  next(pred: (v: T) => boolean = () => true, ms = 10_000): Promise<T> {
    const hit = this.seen.find(pred);
    if (hit !== undefined) return Promise.resolve(hit);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no matching event in ${ms} ms; seen ${JSON.stringify(this.seen)}`)),
        ms,
      );
      this.waiters.push({
        pred,
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
      });
    });
  }
  clear(): void {
    this.seen.length = 0;
  }
}

/** The synchronous Wi-Fi error a function throws (fails the test when it does not throw). */
export function thrown(fn: () => unknown): { code: unknown; message: string; isError: boolean } {
  try {
    fn();
  } catch (e) {
    return {
      code: (e as { code: unknown }).code,
      message: (e as Error).message,
      isError: e instanceof Error,
    };
  }
  throw new Error('expected a throw');
}

/**
 * The wifi-p2p guide's two devices in two network namespaces (`clwm<pid><tag>a` / `…b`), each with its own fake
 * wpa_supplicant on one medium whose group data path is a veth between them: the group owner `my_test_device` the
 * seed's client looks for (wlan0, `nsA`) and `seed-client` (wlan1, `nsB`), their control sockets below `dir`.
 * Needs root.
 */
export class SeedP2pWorld {
  readonly nsA: string;
  readonly nsB: string;
  readonly medium = new FakeP2pMedium({ dataPath: 'netns' });

  constructor(
    tag: string,
    private readonly dir: string,
  ) {
    this.nsA = `clwm${process.pid % 100000}${tag}a`;
    this.nsB = `clwm${process.pid % 100000}${tag}b`;
  }

  async setUp(): Promise<void> {
    await addNetns(this.nsA);
    await addNetns(this.nsB);
  }

  /** Starts both daemons: `go` (my_test_device) in `nsA`, `client` (seed-client) in `nsB`. */
  daemons(): { go: FakeWpaSupplicant; client: FakeWpaSupplicant } {
    return {
      go: this.medium.addDaemon({
        ctrlDir: path.join(this.dir, 'wpa-a'),
        ifname: 'wlan0',
        netns: this.nsA,
        deviceName: 'my_test_device',
      }),
      client: this.medium.addDaemon({
        ctrlDir: path.join(this.dir, 'wpa-b'),
        ifname: 'wlan1',
        netns: this.nsB,
        deviceName: 'seed-client',
      }),
    };
  }

  /** Closes the medium (its daemons and groups), then removes both namespaces. */
  async tearDown(): Promise<void> {
    try {
      await this.medium.close();
    } finally {
      await deleteNetns(this.nsA);
      await deleteNetns(this.nsB);
    }
  }
}
