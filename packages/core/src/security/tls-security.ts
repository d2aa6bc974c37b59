import type { X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContext, TLSSocket, connect as tlsConnect } from 'node:tls';
import { type Observable, Subject } from 'rxjs';
import type { HandshakeProgress, ReportingSecurityUpgrade } from '../admission.js';
import { ColinkError, closeReason, ErrorCode } from '../errors.js';
import type { LinkRole, VerifiedPeer } from '../link.js';
import { logger } from '../log.js';
import type { Conduit, Medium } from '../transport.js';
import type { AccountKey } from './account.js';
import { bindingCode } from './binding-code.js';
import { clientHelloRecordLength } from './client-hello.js';
import { ConduitDuplex, NORMAL_END } from './conduit-duplex.js';
import {
  ACCOUNT_EXPORTER_LABEL,
  BINDING_EXPORTER_LABEL,
  EXPORTER_BYTES,
  MAX_CONCURRENT_BINDING_PROMPTS,
  TLS_ALPN,
  TLS_CIPHER_SUITES,
  TLS_SECURITY_NAME,
  TLS_SOCKET_HIGH_WATER_MARK,
  TLS_VERSION,
  TRUST_MESSAGE_BYTES,
  VERDICT_LINGER_MS,
} from './constants.js';
import { type DeviceIdentity, fingerprintOf, networkIdOf } from './identity.js';
import { SecureConduit } from './secure-conduit.js';
import {
  decodeTrust,
  encodeTrust,
  encodeVerdict,
  handshakeError,
  type TrustMessage,
  untrustedError,
  type Verdict,
  verdictOf,
} from './trust-messages.js';
import type { Binding, TrustStore } from './trust-store.js';

const log = logger('security');

/** Exporter context: empty (RFC 8446 §7.5 treats no context and an empty one alike). */
const NO_CONTEXT = Buffer.alloc(0);

/** Why a peer is trusted. */
export type TrustBasis = 'account' | 'bound' | 'new-binding';

/** What the application sees when asked to confirm a binding (HarmonyOS: the PIN / confirm dialog). */
export interface BindingRequest {
  /** The 6-digit code; the user checks that the other device shows the same. */
  readonly code: string;
  /** The peer's networkId (proven by its key). Its name comes from discovery: `directory.get(networkId)`. */
  readonly networkId: string;
  /** Hex SHA-256 of the peer's certificate. */
  readonly fingerprint: string;
  /** Which side of the Link this device is. */
  readonly role: LinkRole;
  readonly medium: Medium;
  readonly remoteAddress: string;
  /** Aborts when the connection fails before the user answered (dismiss the prompt). */
  readonly signal: AbortSignal;
}

/** Confirms (true) or declines (false) a binding after showing `request.code` to the user. */
export type ConfirmBinding = (request: BindingRequest) => boolean | Promise<boolean>;

/** One trust decision, made at each handshake (see {@link TlsSecurity.trust$}). */
export interface TrustEvent {
  readonly networkId: string;
  readonly fingerprint: string;
  readonly trust: 'trusted' | 'untrusted';
  /** Set when trusted. */
  readonly basis?: TrustBasis;
  /** Why, when untrusted (also the Link's close message). */
  readonly reason?: string;
}

/** Options of {@link TlsSecurity}. */
export interface TlsSecurityOptions {
  /** This device's identity ({@link loadOrCreateIdentity}). */
  readonly identity: DeviceIdentity;
  /** Same-account trust: the key from {@link deriveAccountKey}. Without it, only bound devices are trusted. */
  readonly account?: AccountKey;
  /** Bound devices. Without it, only same-account devices are trusted and binding is unavailable. */
  readonly trustStore?: TrustStore;
  /**
   * Asked when a device that is not trusted asks to bind (it called {@link TlsSecurity.bind}). Without it, such
   * requests are declined.
   */
  readonly onBindRequest?: ConfirmBinding;
  /**
   * As the responder, start TLS only once the initiator's first TLS record (the one that opens its ClientHello, at
   * most 5 + 2^14 bytes) is whole ({@link TlsSecurity.firstFlightLength}): a stranger that stops inside it holds no
   * `TLSSocket` or OpenSSL state — and, on a `LocalDevice`, no Link — and a first record that cannot open a
   * ClientHello is refused before TLS starts. Default `false`, because it slows what this side receives for the
   * Link's whole life: the ClientHello, read before TLS exists, has to be handed to node:tls from JS
   * (`TLSWrap::Receive`), and node:tls then sizes the first buffer of its encrypted-input ring to those bytes (1 KiB)
   * instead of the 64 KiB a socket read asks for. That buffer stays in the ring, so socket reads alternate between
   * 16 KiB and 1 KiB: 4.5× the read system calls (1 GiB in 125,000 reads against 28,000) and 0.7–0.8× the throughput
   * on loopback between two processes (median 770 against 955 MB/s over 512 MiB, eight alternating pairs).
   */
  readonly clientHelloFirst?: boolean;
}

interface BindIntent {
  readonly confirm: ConfirmBinding;
  readonly resolve: (b: Binding) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * The colink security stage (PROTOCOL.md §2.2): mutually authenticated TLS 1.3 over the Link's byte stream, then a
 * trust exchange, then the Link's frames inside TLS.
 *
 * 1. TLS 1.3 only (`minVersion` = `maxVersion` = TLSv1.3, RFC 8446), ALPN `colink/1`: ECDHE key exchange (forward
 *    secrecy), AEAD records, no renegotiation (TLS 1.3 has none), no session resumption (every connection is a
 *    full handshake). Both sides present their self-signed certificate; the peer's networkId is the SHA-256 of the
 *    public key in the certificate it proved possession of (TLS CertificateVerify), so identities are pinned keys.
 * 2. Trust exchange inside TLS (README "Security"): the initiator sends TRUST (its same-account proof, an
 *    HMAC-SHA256 over the TLS exporter value, and whether it wants to bind); the responder answers with its own
 *    proof only if the initiator's was valid (a stranger never learns anything to guess the credential from). Each
 *    side then trusts the peer when the proof checks out (same account), the trust store holds the peer's key
 *    (bound), or both confirmed the 6-digit code of a binding; it sends its VERDICT and reads the peer's.
 * 3. Only when both accept does `upgrade()` resolve; otherwise it rejects with `ERR_UNTRUSTED` (Link close reason
 *    `handshake-failed`, message saying who refused and why) before any application frame.
 *
 * Records failing authentication later close the Link with `integrity`.
 *
 * @example
 * ```ts
 * const security = await createDeviceSecurity({ stateDir: '/var/lib/colink', account: process.env.COLINK_ACCOUNT });
 * const device = new LocalDevice({ advert: { networkId: security.networkId, deviceName: 'pc', deviceType: 'pc' },
 *   transports: [tcp], security });
 * ```
 */
export class TlsSecurity implements ReportingSecurityUpgrade {
  readonly name = TLS_SECURITY_NAME;
  /** This device's identity. */
  readonly identity: DeviceIdentity;
  /** The trust store of bound devices, when configured. */
  readonly trustStore: TrustStore | undefined;
  /** Handler of incoming binding requests; may be set or replaced at any time. */
  onBindRequest: ConfirmBinding | undefined;
  /** Binding prompts open now because a peer asked (at most {@link MAX_CONCURRENT_BINDING_PROMPTS}). */
  private peerPrompts = 0;

  private readonly account: AccountKey | undefined;
  private readonly context: SecureContext;
  private readonly trustSubject = new Subject<TrustEvent>();
  private readonly intents = new Map<string, BindIntent>();

  constructor(options: TlsSecurityOptions) {
    this.identity = options.identity;
    this.account = options.account;
    this.trustStore = options.trustStore;
    this.onBindRequest = options.onBindRequest;
    if (options.clientHelloFirst) this.firstFlightLength = clientHelloRecordLength;
    this.context = createSecureContext({
      key: options.identity.privateKey.export({ type: 'pkcs8', format: 'pem' }),
      cert: options.identity.certificatePem,
      minVersion: TLS_VERSION,
      maxVersion: TLS_VERSION,
      ciphers: TLS_CIPHER_SUITES,
    });
  }

  /** This device's networkId (put it in the advert). */
  get networkId(): string {
    return this.identity.networkId;
  }

  /** Whether a same-account key is configured. */
  get hasAccount(): boolean {
    return this.account !== undefined;
  }

  /** Every trust decision, one per handshake that got as far as the trust exchange (hot). */
  get trust$(): Observable<TrustEvent> {
    return this.trustSubject.asObservable();
  }

  /**
   * Arms a binding with `networkId`: the next handshake with that device (dial it, e.g. `device.connect(networkId)`,
   * or let it dial) runs the short-code ceremony when it is not trusted yet; `confirm` shows the code and answers.
   * Resolves with the stored binding once both users confirmed (or at once with the existing binding when it is
   * already bound); rejects with `ERR_UNTRUSTED` when either side declines, `ERR_ABORTED` on `signal`.
   * The Link's `handshakeTimeoutMs` must leave the users time to compare codes (e.g. 60_000).
   * @throws ColinkError `ERR_INVALID_ARGUMENT` without a trust store; `ERR_CONFLICT` when a binding with that device
   *   is already armed.
   */
  bind(networkId: string, confirm: ConfirmBinding, options: { signal?: AbortSignal } = {}): Promise<Binding> {
    if (!this.trustStore) throw new ColinkError(ErrorCode.INVALID_ARGUMENT, 'binding needs a trust store');
    if (this.intents.has(networkId)) {
      throw new ColinkError(
        ErrorCode.CONFLICT,
        `a binding with ${networkId.slice(0, 12)}… is already in progress`,
      );
    }
    return new Promise<Binding>((resolve, reject) => {
      const done = (): void => {
        this.intents.delete(networkId);
        options.signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        done();
        reject(new ColinkError(ErrorCode.ABORTED, 'binding aborted'));
      };
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort);
      this.intents.set(networkId, {
        confirm,
        resolve: (b) => {
          done();
          resolve(b);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
    });
  }

  /**
   * `SecurityUpgrade.firstFlightLength`, with {@link TlsSecurityOptions.clientHelloFirst} only (else undefined): the
   * responder starts TLS only once the initiator's first TLS record (the one that opens its ClientHello, at most
   * 5 + 2^14 bytes) is whole, so a stranger that stops part way through it holds no `TLSSocket` and no OpenSSL state,
   * only its bytes ({@link clientHelloRecordLength}). Returns the record's size in bytes, or 0 while fewer than 6
   * bytes arrived; throws ColinkError `ERR_HANDSHAKE_FAILED` when the bytes are not a TLS handshake record opening a
   * ClientHello (the Link closes with `handshake-failed` before TLS starts).
   */
  readonly firstFlightLength?: (head: Uint8Array) => number;

  /** Whether this device trusts `networkId` without a handshake: it is bound. (Account trust needs a handshake.) */
  isBound(networkId: string): boolean {
    return this.trustStore?.has(networkId) ?? false;
  }

  /**
   * `SecurityUpgrade.upgrade`: TLS 1.3 + trust exchange over `conduit`. Reports to `progress` (when given)
   * `trusted()` as soon as this side trusts the peer (same account or bound; before the verdicts are exchanged) or
   * `confirmingBinding()` just before the user is asked to confirm a binding: `LocalDevice` ends the
   * pre-authentication deadline there.
   */
  async upgrade(
    conduit: Conduit,
    role: LinkRole,
    progress?: HandshakeProgress,
  ): Promise<{ conduit: Conduit; peer: VerifiedPeer }> {
    let secure: SecureConduit | undefined;
    // Over a socket, TLS runs natively on its handle; otherwise over a duplex subscribed to the conduit now, so
    // bytes that arrive from here on wait in it for TLS.
    const native = conduit.detachSocket?.();
    const duplex = native ? undefined : new ConduitDuplex(conduit, () => secure?.closeReason ?? NORMAL_END);
    const stream = native ?? duplex!;
    // A Link that finds the peer's preamble already waiting calls us from inside its constructor, before it wrote
    // its own preamble; the TLS client writes its ClientHello synchronously. Start TLS one microtask later.
    await Promise.resolve();
    const options = {
      secureContext: this.context,
      minVersion: TLS_VERSION,
      maxVersion: TLS_VERSION,
      ALPNProtocols: [TLS_ALPN],
      // Node's default 16 KiB would stop the Link after every batch until the TLS layer drained it.
      highWaterMark: TLS_SOCKET_HIGH_WATER_MARK,
      // Self-signed certificates: chain verification is off; identity comes from the key (verifyPeer below).
      rejectUnauthorized: false,
    } as const;
    const socket =
      role === 'initiator'
        ? tlsConnect({ ...options, socket: stream, checkServerIdentity: () => undefined })
        : new TLSSocket(stream, { ...options, isServer: true, requestCert: true });
    secure = new SecureConduit(socket, conduit, duplex);
    const s = secure;
    try {
      await handshake(socket, role, s);
      s.established = true;
      const peerCert = verifyPeer(socket, this.identity.networkId);
      const peer = { networkId: networkIdOf(peerCert), fingerprint: fingerprintOf(peerCert) };
      const intent = this.intents.get(peer.networkId);
      let basis: TrustBasis;
      try {
        basis = await this.exchangeTrust(s, role, peer, intent, progress);
      } catch (e) {
        intent?.reject(e); // the binding failed with this connection; the caller may arm it again
        throw e;
      }
      s.open();
      const cipher = socket.getCipher();
      log.debug('%s %s trusted (%s) over %s', role, peer.networkId.slice(0, 12), basis, cipher.name);
      return {
        conduit: s,
        peer: {
          networkId: peer.networkId,
          detail: {
            fingerprint: peer.fingerprint,
            trust: basis,
            protocol: socket.getProtocol(),
            cipher: cipher.name,
          },
        },
      };
    } catch (e) {
      if (!s.closeReason)
        s.destroy(closeReason('handshake-failed', e instanceof Error ? e.message : String(e)));
      throw e;
    }
  }

  private async exchangeTrust(
    s: SecureConduit,
    role: LinkRole,
    peer: { networkId: string; fingerprint: string },
    intent: BindIntent | undefined,
    progress: HandshakeProgress | undefined,
  ): Promise<TrustBasis> {
    const self = this.identity.networkId;
    const peerRole: LinkRole = role === 'initiator' ? 'responder' : 'initiator';
    const accountExporter = s.tls.exportKeyingMaterial(EXPORTER_BYTES, ACCOUNT_EXPORTER_LABEL, NO_CONTEXT);
    const ownProof = (): Uint8Array | undefined =>
      this.account?.proof(role, self, peer.networkId, accountExporter);
    let theirs: TrustMessage;
    let accountOk: boolean;
    if (role === 'initiator') {
      await s.writeFlushed(encodeTrust(ownProof(), intent !== undefined));
      theirs = decodeTrust(await s.read(TRUST_MESSAGE_BYTES));
      accountOk = this.checkProof(theirs, peerRole, peer.networkId, self, accountExporter);
    } else {
      theirs = decodeTrust(await s.read(TRUST_MESSAGE_BYTES));
      accountOk = this.checkProof(theirs, peerRole, peer.networkId, self, accountExporter);
      // Reveal our proof only to a proven member: strangers get nothing to guess the credential from.
      await s.writeFlushed(encodeTrust(accountOk ? ownProof() : undefined, intent !== undefined));
    }

    const bound = this.trustStore?.get(peer.networkId);
    let basis: TrustBasis | undefined = accountOk ? 'account' : bound ? 'bound' : undefined;
    let verdict: Verdict = { verdict: 'accept', reason: '' };
    /** This side's user declined the binding: an answer the peer must get (see VERDICT_LINGER_MS). */
    let userDeclined = false;
    if (basis) progress?.trusted();
    const confirm = intent?.confirm ?? (theirs.bind ? this.onBindRequest : undefined);
    const busy = !intent && this.peerPrompts >= MAX_CONCURRENT_BINDING_PROMPTS;
    if (!basis && confirm && this.trustStore && (intent || theirs.bind) && busy) {
      verdict = { verdict: 'declined', reason: 'busy: another binding is being confirmed on this device' };
    } else if (!basis && confirm && this.trustStore && (intent || theirs.bind)) {
      const code = bindingCode(
        s.tls.exportKeyingMaterial(EXPORTER_BYTES, BINDING_EXPORTER_LABEL, NO_CONTEXT),
      );
      let ok: boolean;
      progress?.confirmingBinding();
      if (!intent) this.peerPrompts++;
      try {
        ok = await this.askUser(confirm, s, role, peer, code);
      } catch (e) {
        // The peer may have refused while our user was still looking at the code: its VERDICT is read before the
        // close, so report its reason rather than a dropped connection.
        const refusal = await this.peerRefusal(s, peer.networkId);
        throw refusal ?? e;
      } finally {
        if (!intent) this.peerPrompts--;
      }
      if (ok) {
        basis = 'new-binding';
        progress?.trusted();
      } else {
        verdict = { verdict: 'declined', reason: 'the user declined the binding' };
        userDeclined = true;
      }
    } else if (!basis) {
      verdict = {
        verdict: 'untrusted',
        reason: theirs.bind
          ? 'device is not trusted and this device does not accept binding requests'
          : 'device is neither on the same account nor bound',
      };
    }
    // A side that refuses says so and stops at once; one that accepts waits for the peer's verdict. The verdict goes
    // out before the close (TLS is idle: the TRUST write completed), so the peer reads why before it sees the close.
    if (verdict.verdict !== 'accept') {
      s.write([encodeVerdict(verdict)]);
      if (s.tls.writableLength > 0) await s.writeFlushed(new Uint8Array(0));
      // A user's "no" is an answer the peer must see: as the responder our end is reset (the device's inbound gate),
      // which could discard the VERDICT unread, so the initiator closes first (VERDICT_LINGER_MS). Strangers refused
      // without asking anyone (untrusted, busy) are reset at once.
      if (userDeclined && role === 'responder') await s.peerGone(VERDICT_LINGER_MS);
      this.publish(peer, 'untrusted', undefined, verdict.reason);
      throw untrustedError(`peer ${peer.networkId.slice(0, 12)}… is untrusted: ${verdict.reason}`);
    }
    s.write([encodeVerdict(verdict)]);
    const theirVerdict = await readVerdict(s);
    if (theirVerdict.verdict !== 'accept') throw refusedBy(peer.networkId, theirVerdict);
    const store = this.trustStore;
    if (basis === 'new-binding' && store) {
      const b = await store.bind({ networkId: peer.networkId, fingerprint: peer.fingerprint });
      intent?.resolve(b);
    } else if (basis === 'bound' && store) {
      await store.updateFingerprint(peer.networkId, peer.fingerprint);
      intent?.resolve(store.get(peer.networkId)!);
    } else if (intent) {
      // Already trusted through the account: record the binding too, the user asked for it.
      intent.resolve(
        store?.get(peer.networkId) ??
          (await store!.bind({ networkId: peer.networkId, fingerprint: peer.fingerprint })),
      );
    }
    this.publish(peer, 'trusted', basis);
    return basis!;
  }

  /** The peer's refusal (its VERDICT, already received) as an `ERR_UNTRUSTED` error, or undefined. */
  private async peerRefusal(s: SecureConduit, networkId: string): Promise<ColinkError | undefined> {
    if (s.unreadBytes < 2) return undefined;
    const v = await readVerdict(s).catch(() => undefined);
    return v && v.verdict !== 'accept' ? refusedBy(networkId, v) : undefined;
  }

  private checkProof(
    t: TrustMessage,
    proverRole: LinkRole,
    prover: string,
    verifier: string,
    exporter: Buffer,
  ): boolean {
    if (!t.account || !this.account) return false;
    return this.account.verify(t.account, proverRole, prover, verifier, exporter);
  }

  private async askUser(
    confirm: ConfirmBinding,
    s: SecureConduit,
    role: LinkRole,
    peer: { networkId: string; fingerprint: string },
    code: string,
  ): Promise<boolean> {
    const abort = new AbortController();
    const sub = s.closed$.subscribe(() => abort.abort());
    // As the initiator, the responder's refusing VERDICT while our user still decides ends the prompt too (a responder
    // whose user declined no longer closes at once: VERDICT_LINGER_MS); its 'accept' does not, our user's answer is
    // still wanted. Not as the responder: there the peer asked to bind and may be anyone, and whatever it sends during
    // the prompt (a flood) must not end it.
    const unwatch =
      role === 'initiator'
        ? s.onUnread((first) => {
            if (verdictOf(first) !== 'accept') abort.abort();
          })
        : undefined;
    try {
      const answer = confirm({
        code,
        networkId: peer.networkId,
        fingerprint: peer.fingerprint,
        role,
        medium: s.medium,
        remoteAddress: s.remoteAddress,
        signal: abort.signal,
      });
      const closed = new Promise<never>((_, reject) =>
        abort.signal.addEventListener('abort', () =>
          reject(handshakeError('connection closed during binding')),
        ),
      );
      closed.catch(() => undefined);
      return (await Promise.race([Promise.resolve(answer), closed])) === true;
    } finally {
      sub.unsubscribe();
      unwatch?.();
    }
  }

  private publish(
    peer: { networkId: string; fingerprint: string },
    trust: 'trusted' | 'untrusted',
    basis: TrustBasis | undefined,
    reason?: string,
  ): void {
    this.trustSubject.next({
      networkId: peer.networkId,
      fingerprint: peer.fingerprint,
      trust,
      ...(basis ? { basis } : {}),
      ...(reason ? { reason } : {}),
    });
  }
}

/** Reads the peer's VERDICT (2-byte head, then its reason). */
async function readVerdict(s: SecureConduit): Promise<Verdict> {
  const head = await s.read(2);
  const verdict = verdictOf(head[0]!);
  const reason = head[1]! > 0 ? (await s.read(head[1]!)).toString('utf8') : verdict;
  return { verdict, reason };
}

/** The error for a peer that refused this device with `v`. */
function refusedBy(networkId: string, v: Verdict): ColinkError {
  return untrustedError(`peer ${networkId.slice(0, 12)}… does not trust this device: ${v.reason}`);
}

/** Waits for the TLS handshake (client `secureConnect`, server `secure`), or its failure. */
function handshake(socket: TLSSocket, role: LinkRole, s: SecureConduit): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const fail = (e?: unknown): void => {
      cleanup();
      const r = s.closeReason;
      const msg =
        e instanceof Error ? e.message : (r?.message ?? 'connection closed during the TLS handshake');
      reject(handshakeError(`TLS handshake failed: ${msg}`, e));
    };
    const ok = (): void => {
      cleanup();
      resolve();
    };
    const onClose = (): void => fail();
    const sub = s.closed$.subscribe(() => fail());
    const cleanup = (): void => {
      socket.off(role === 'initiator' ? 'secureConnect' : 'secure', ok);
      socket.off('error', fail);
      socket.off('close', onClose);
      sub.unsubscribe();
    };
    socket.once(role === 'initiator' ? 'secureConnect' : 'secure', ok);
    socket.once('error', fail);
    socket.once('close', onClose);
  });
}

/**
 * Checks what TLS established: version 1.3, ALPN `colink/1`, a self-signed certificate whose signature verifies
 * under its own key, of an accepted key type, that is not this device's own identity. Returns the certificate.
 * @throws ColinkError `ERR_HANDSHAKE_FAILED`.
 */
function verifyPeer(socket: TLSSocket, selfNetworkId: string): X509Certificate {
  if (socket.getProtocol() !== TLS_VERSION)
    throw handshakeError(`peer negotiated ${socket.getProtocol()}, not TLS 1.3`);
  if (socket.alpnProtocol !== TLS_ALPN) throw handshakeError(`peer does not speak ALPN ${TLS_ALPN}`);
  const cert = socket.getPeerX509Certificate();
  if (!cert) throw handshakeError('peer presented no certificate');
  const type = cert.publicKey.asymmetricKeyType;
  if (type !== 'ec' && type !== 'ed25519' && type !== 'ed448') {
    throw handshakeError(`peer certificate key type ${type} is not accepted (ECDSA or EdDSA)`);
  }
  if (!cert.verify(cert.publicKey)) throw handshakeError('peer certificate is not validly self-signed');
  if (networkIdOf(cert) === selfNetworkId) throw handshakeError('peer presents this device’s own identity');
  return cert;
}
