import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { filter, firstValueFrom, take, throwError, timeout, toArray } from 'rxjs';
import type { WpaCtrlClient, WpaEvent, WpaEventOf, WpaEventType } from '../src/index.js';

/** A fresh temp directory, removed by the returned cleanup. */
export function tempDir(prefix = 'wp2p-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Resolves with the next event of `type` (subscribed at once, so call before triggering it). */
export function nextEvent<T extends WpaEventType>(
  client: WpaCtrlClient,
  type: T,
  ms = 10_000,
): Promise<WpaEventOf<T>> {
  return firstValueFrom(
    client.events$.pipe(
      filter((e): e is WpaEventOf<T> => e.type === type),
      timeout({ first: ms, with: () => throwError(() => new Error(`no ${type} in ${ms} ms`)) }),
    ),
  );
}

/** Collects the next `n` events. */
export function nextEvents(client: WpaCtrlClient, n: number, ms = 10_000): Promise<WpaEvent[]> {
  return firstValueFrom(client.events$.pipe(take(n), toArray(), timeout(ms)));
}
