/**
 * Stable error codes of colink: the string users match on (`e.code`), never changed once released. These codes stay
 * local to a process; what crosses the wire when something ends is a {@link CloseCode} (GOAWAY / channel RESET
 * frames, PROTOCOL.md §5).
 */
export const ErrorCode = {
  /** An argument failed validation. */
  INVALID_ARGUMENT: 'ERR_INVALID_ARGUMENT',
  /** The operation needs an open Link/channel/session and there is none. */
  NOT_CONNECTED: 'ERR_NOT_CONNECTED',
  /** The Link (or the channel, session) was closed; `reason` says why. */
  CLOSED: 'ERR_CLOSED',
  /** A time limit expired (dial, handshake, keep-alive, request). */
  TIMEOUT: 'ERR_TIMEOUT',
  /** The caller aborted the operation through its AbortSignal. */
  ABORTED: 'ERR_ABORTED',
  /** The medium could not open a conduit to the address. */
  DIAL_FAILED: 'ERR_DIAL_FAILED',
  /** No medium reaches the device. */
  UNREACHABLE: 'ERR_UNREACHABLE',
  /** A message exceeds the configured or negotiated maximum size. */
  MESSAGE_TOO_LARGE: 'ERR_MESSAGE_TOO_LARGE',
  /** The bounded send buffer is full; await the previous sends first. */
  SEND_BUFFER_FULL: 'ERR_SEND_BUFFER_FULL',
  /** The peer violated the wire protocol. */
  PROTOCOL: 'ERR_PROTOCOL',
  /** No common protocol version. */
  VERSION_MISMATCH: 'ERR_VERSION_MISMATCH',
  /** The security handshake failed (bad certificate, untrusted peer, replay). */
  HANDSHAKE_FAILED: 'ERR_HANDSHAKE_FAILED',
  /** The peer is not trusted (neither same account nor bound). */
  UNTRUSTED: 'ERR_UNTRUSTED',
  /** Received data failed its integrity check. */
  INTEGRITY: 'ERR_INTEGRITY',
  /** The peer rejected a session request. */
  REJECTED: 'ERR_REJECTED',
  /** The peer has no handler for the requested service. */
  NO_HANDLER: 'ERR_NO_HANDLER',
  /** A resource limit (links, channels, sessions) was reached. */
  LIMIT_EXCEEDED: 'ERR_LIMIT_EXCEEDED',
  /** The transport or device is not started. */
  NOT_STARTED: 'ERR_NOT_STARTED',
  /** The operation conflicts with existing state (duplicate name, already connected). */
  CONFLICT: 'ERR_CONFLICT',
  /**
   * A transfer was cancelled, by this side or the peer (`reason.code` is `cancelled`, `reason.message` the reason
   * given, `reason.remote` true when the peer cancelled).
   */
  CANCELLED: 'ERR_CANCELLED',
  /** An unexpected internal failure; a bug report is welcome. */
  INTERNAL: 'ERR_INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Why a Conduit, Link or channel ended. `code` is the stable category; `message` is for people; `remote` is true
 * when the peer reported it (GOAWAY/RESET); `detail` carries medium-specific data (e.g. `{ hciReason: 0x13 }`).
 */
export interface CloseReason {
  readonly code: CloseCode;
  readonly message?: string;
  readonly remote?: boolean;
  readonly detail?: Readonly<Record<string, unknown>>;
}

/**
 * Categories of close. Numbers are the wire values of GOAWAY/RESET (PROTOCOL.md §5).
 *
 * | code | wire | meaning |
 * |---|---|---|
 * | `normal` | 0 | closed on purpose by the side that reports it |
 * | `going-away` | 1 | the device is shutting down (app exit) |
 * | `timeout` | 2 | keep-alive, idle, connect or handshake time limit (BLE supervision timeout 0x08 maps here) |
 * | `lost` | 3 | the medium failed (reset, unreachable, out of range, interface down) |
 * | `protocol-error` | 4 | malformed frame or state violation |
 * | `version-mismatch` | 5 | no common protocol version |
 * | `handshake-failed` | 6 | security handshake failed or peer untrusted |
 * | `integrity` | 7 | authenticated decryption failed (tampered bytes) |
 * | `refused` | 8 | the peer refused (limits, no such service) |
 * | `replaced` | 9 | a duplicate Link to the same device was merged into another |
 * | `cancelled` | 10 | an app cancelled the transfer on the channel (PROTOCOL.md §7.4); the message is its reason |
 *
 * A build that predates a code reads it as `normal` (PROTOCOL.md §5).
 */
export type CloseCode =
  | 'normal'
  | 'going-away'
  | 'timeout'
  | 'lost'
  | 'protocol-error'
  | 'version-mismatch'
  | 'handshake-failed'
  | 'integrity'
  | 'refused'
  | 'replaced'
  | 'cancelled';

/** Wire values of {@link CloseCode}, index = value. */
export const CLOSE_CODES: readonly CloseCode[] = [
  'normal',
  'going-away',
  'timeout',
  'lost',
  'protocol-error',
  'version-mismatch',
  'handshake-failed',
  'integrity',
  'refused',
  'replaced',
  'cancelled',
];

/** Builds a {@link CloseReason}. */
export function closeReason(
  code: CloseCode,
  message?: string,
  extra: Omit<CloseReason, 'code' | 'message'> = {},
): CloseReason {
  return message === undefined ? { code, ...extra } : { code, message, ...extra };
}

/**
 * The one error class of colink. Every failure is a `ColinkError` with a stable {@link ErrorCode}; `reason` is set
 * when the failure is the end of a Link or channel.
 *
 * @example
 * ```ts
 * try { await link.send(bytes) } catch (e) { if (isColinkError(e, 'ERR_CLOSED')) reconnect() }
 * ```
 */
export class ColinkError extends Error {
  override readonly name = 'ColinkError';
  readonly code: ErrorCode;
  readonly reason: CloseReason | undefined;
  readonly detail: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; reason?: CloseReason; detail?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.reason = options.reason;
    this.detail = options.detail;
  }

  /** An error for an operation on something that closed for `reason`. */
  static closed(what: string, reason: CloseReason): ColinkError {
    return new ColinkError(
      ErrorCode.CLOSED,
      `${what} closed (${reason.code}${reason.message ? `: ${reason.message}` : ''})`,
      { reason },
    );
  }
}

/** Every {@link ErrorCode} value, for {@link isColinkError}'s shape check. */
const ERROR_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/**
 * True when `e` is a {@link ColinkError}, optionally with the given code. Recognised by shape — `name` is
 * `'ColinkError'` and `code` is one of {@link ErrorCode} — not by `instanceof`, so an error thrown by another copy of
 * `@colink/core` in the same app (two versions installed side by side) is recognised too.
 */
export function isColinkError(e: unknown, code?: ErrorCode): e is ColinkError {
  if (typeof e !== 'object' || e === null) return false;
  const { name, code: own } = e as { name?: unknown; code?: unknown };
  return (
    name === 'ColinkError' &&
    typeof own === 'string' &&
    ERROR_CODES.has(own) &&
    (code === undefined || own === code)
  );
}

/** Throws `ERR_INVALID_ARGUMENT` with `message` unless `condition` holds. */
export function assertArgument(condition: unknown, message: string): asserts condition {
  if (!condition) throw new ColinkError(ErrorCode.INVALID_ARGUMENT, message);
}
