import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type Observable, Subject } from 'rxjs';
import { assertArgument, ColinkError, ErrorCode } from '../errors.js';
import { ensureStateDir, errText, readTextIfExists, writeFileAtomic } from './atomic-file.js';
import { MAX_TRUST_STORE_BYTES, TRUST_STORE_FILE } from './constants.js';

/** One bound device (HarmonyOS: a peer-to-peer bound group, DSoftBus group type 256). */
export interface Binding {
  /** The peer's networkId: hex SHA-256 of its public key — the pin. */
  readonly networkId: string;
  /** Hex SHA-256 of the certificate the peer presented when bound (or last renewed for the same key). */
  readonly fingerprint: string;
  /** Device name the peer announced when bound, for display. */
  readonly deviceName?: string;
  /** When the binding was made (ISO 8601). */
  readonly boundAt: string;
}

/** A change of the trust store. */
export interface TrustStoreChange {
  readonly type: 'bound' | 'revoked';
  readonly binding: Binding;
}

interface TrustFile {
  readonly version: 1;
  readonly bindings: readonly Binding[];
}

const NETWORK_ID = /^[0-9a-f]{64}$/;

/**
 * The devices this device is bound to, persisted as JSON (`{ "version": 1, "bindings": [...] }`) with atomic writes
 * (temporary file, fsync, rename) and mode 0600, so bindings survive restarts and a crash never leaves a torn file.
 * Revocation takes effect on the next handshake with that device. Writes are serialised within the process; the
 * store is the file's only writer.
 *
 * @example
 * ```ts
 * const store = await TrustStore.open('/var/lib/colink/trust.json');
 * store.list(); // [{ networkId, fingerprint, deviceName, boundAt }]
 * await store.revoke(networkId);
 * ```
 */
export class TrustStore {
  /** The JSON file backing the store. */
  readonly path: string;
  private readonly bindings = new Map<string, Binding>();
  private readonly changesSubject = new Subject<TrustStoreChange>();
  private writing: Promise<void> = Promise.resolve();

  private constructor(path: string) {
    this.path = path;
  }

  /**
   * Opens (or starts) the store at `path`; a missing file is an empty store, created on the first change.
   * @throws ColinkError `ERR_INVALID_ARGUMENT` when the file is larger than 4 MiB, not valid JSON, or malformed.
   */
  static async open(path: string): Promise<TrustStore> {
    await ensureStateDir(dirname(path));
    const store = new TrustStore(path);
    const s = await stat(path).catch(() => undefined);
    if (s && s.size > MAX_TRUST_STORE_BYTES) {
      throw new ColinkError(
        ErrorCode.INVALID_ARGUMENT,
        `trust store ${path} exceeds ${MAX_TRUST_STORE_BYTES} bytes`,
      );
    }
    const text = await readTextIfExists(path);
    if (text !== undefined) for (const b of parseTrustFile(text, path)) store.bindings.set(b.networkId, b);
    return store;
  }

  /** Opens `<stateDir>/trust.json`. */
  static openIn(stateDir: string): Promise<TrustStore> {
    return TrustStore.open(join(stateDir, TRUST_STORE_FILE));
  }

  /** Bound / revoked events (hot). */
  get changes$(): Observable<TrustStoreChange> {
    return this.changesSubject.asObservable();
  }

  /** The binding of `networkId`, if bound. */
  get(networkId: string): Binding | undefined {
    return this.bindings.get(networkId);
  }

  /** Whether `networkId` is bound. */
  has(networkId: string): boolean {
    return this.bindings.has(networkId);
  }

  /** Every binding, oldest first. */
  list(): readonly Binding[] {
    return [...this.bindings.values()];
  }

  /**
   * Adds (or replaces) the binding of `binding.networkId` and persists it before resolving.
   * @throws ColinkError `ERR_INVALID_ARGUMENT` when networkId or fingerprint is not 64 lower-case hex chars.
   */
  async bind(binding: Omit<Binding, 'boundAt'> & { readonly boundAt?: string }): Promise<Binding> {
    assertArgument(NETWORK_ID.test(binding.networkId), 'binding networkId must be 64 lower-case hex chars');
    assertArgument(
      NETWORK_ID.test(binding.fingerprint),
      'binding fingerprint must be 64 lower-case hex chars',
    );
    const b: Binding = {
      networkId: binding.networkId,
      fingerprint: binding.fingerprint,
      ...(binding.deviceName === undefined ? {} : { deviceName: binding.deviceName }),
      boundAt: binding.boundAt ?? new Date().toISOString(),
    };
    this.bindings.set(b.networkId, b);
    await this.persist();
    this.changesSubject.next({ type: 'bound', binding: b });
    return b;
  }

  /**
   * Removes the binding of `networkId` and persists that before resolving. Resolves false when it was not bound.
   * Links already open stay open; the next handshake with that device fails with `ERR_UNTRUSTED`.
   */
  async revoke(networkId: string): Promise<boolean> {
    const b = this.bindings.get(networkId);
    if (!b) return false;
    this.bindings.delete(networkId);
    await this.persist();
    this.changesSubject.next({ type: 'revoked', binding: b });
    return true;
  }

  /** @internal Records a renewed certificate of an already bound key. */
  async updateFingerprint(networkId: string, fingerprint: string): Promise<void> {
    const b = this.bindings.get(networkId);
    if (!b || b.fingerprint === fingerprint) return;
    this.bindings.set(networkId, { ...b, fingerprint });
    await this.persist();
  }

  private persist(): Promise<void> {
    const file: TrustFile = { version: 1, bindings: this.list() };
    const text = `${JSON.stringify(file, null, 2)}\n`;
    const next = this.writing.then(() => writeFileAtomic(this.path, text));
    this.writing = next.catch(() => undefined);
    return next;
  }
}

function parseTrustFile(text: string, path: string): Binding[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ColinkError(ErrorCode.INVALID_ARGUMENT, `trust store ${path} is not JSON: ${errText(e)}`, {
      cause: e,
    });
  }
  const f = data as Partial<TrustFile> | null;
  if (f?.version !== 1 || !Array.isArray(f.bindings)) {
    throw new ColinkError(ErrorCode.INVALID_ARGUMENT, `trust store ${path} is not a version 1 trust file`);
  }
  return f.bindings.map((b, i) => {
    if (
      !b ||
      typeof b.networkId !== 'string' ||
      !NETWORK_ID.test(b.networkId) ||
      typeof b.fingerprint !== 'string' ||
      !NETWORK_ID.test(b.fingerprint) ||
      typeof b.boundAt !== 'string' ||
      (b.deviceName !== undefined && typeof b.deviceName !== 'string')
    ) {
      throw new ColinkError(ErrorCode.INVALID_ARGUMENT, `trust store ${path}: binding ${i} is malformed`);
    }
    return b;
  });
}
