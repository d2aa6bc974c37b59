/**
 * What the lab streams to the web UI over its WebSocket, and the commands the UI sends back. Shared by the server
 * (`lab/server.ts`) and the UI (`ui/src`).
 */

export interface LabDevice {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly running: boolean;
  /**
   * Whether the device is logged into the lab's account. A guest (false) trusts nobody and nobody trusts it until
   * it is bound.
   */
  readonly account: boolean;
  /** This device's BLE MAC on the lab's virtual radio (linkEnhance addresses devices by it). */
  readonly bleMac: string;
  /** False while the "out of BLE range" fault is on. */
  readonly inBleRange: boolean;
  /** Mediums this device runs. */
  readonly mediums: readonly string[];
  /** Addresses per medium (tcp host:port…). */
  readonly addresses: Readonly<Record<string, string>>;
  /** Peers in this device's directory, with the mediums that reach them and trust. */
  readonly sees: ReadonlyArray<{
    readonly id: string;
    /** The name the peer advertises. */
    readonly name: string;
    readonly mediums: readonly string[];
    readonly trust: LabTrust;
  }>;
}

/**
 * How a device trusts a peer: `bound` (its trust store holds the peer), `account` (a handshake proved the same
 * account), `untrusted` (a handshake refused it, or the binding was revoked), `unknown` (no handshake yet).
 */
export type LabTrust = 'bound' | 'account' | 'untrusted' | 'unknown';

export interface LabLink {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly medium: string;
  readonly state: string;
  readonly rttMs: number | undefined;
  /** Bytes per second over the last second, both directions. */
  readonly throughput: number;
  readonly channels: number;
  /** Open sessions this Link carries now (their peer connection's carrier). */
  readonly sessions: number;
}

export interface LabSession {
  readonly key: string;
  readonly from: string;
  readonly to: string;
  readonly service: string;
  readonly state: 'open' | 'closed';
  readonly endReason?: string;
  /** While open: the medium of the Link carrying the session now (it changes when the session moves). */
  readonly via?: string;
  /** While open: the id of that Link as {@link LabState.links} lists it. */
  readonly carrier?: string;
}

export interface LabPrompt {
  readonly key: string;
  readonly device: string;
  readonly from: string;
  readonly service: string;
}

/** A binding confirmation shown on one device: the 6-digit code both users compare. */
export interface LabBindPrompt {
  readonly key: string;
  /** The device showing the prompt. */
  readonly device: string;
  /** The device it would bind with. */
  readonly peer: string;
  readonly code: string;
  /** Whether this device asked for the binding (else the peer did). */
  readonly initiator: boolean;
  /** True once this device confirmed and waits for the peer. */
  readonly confirmed: boolean;
}

/** A started linkEnhance server. */
export interface LabLeServer {
  readonly device: string;
  readonly name: string;
}

/** A linkEnhance connection, from the side of `device`. */
export interface LabLeConnection {
  readonly id: string;
  readonly device: string;
  /** The peer's BLE MAC (how linkEnhance addresses it). */
  readonly peerMac: string;
  /** The lab device with that MAC ('' if none). */
  readonly peer: string;
  /** The server's name. */
  readonly name: string;
  /** `client`: this device connected; `server`: its server accepted. */
  readonly role: 'client' | 'server';
  readonly state: 'connecting' | 'connected' | 'disconnected' | 'failed';
  /** linkEnhance's reason code: of a failed connect (`connectResult`), or of `disconnected`. */
  readonly reason?: number;
  /** Bytes sent and received. */
  readonly sent: number;
  readonly received: number;
  /** The last message received, as text. */
  readonly lastReceived?: string;
}

/** A session transfer (core `Session.transfer`), as its sender sees it. */
export interface LabTransfer {
  readonly id: string;
  readonly session: string;
  /** The sending device. */
  readonly from: string;
  /** The receiving device. */
  readonly to: string;
  /** Size in bytes. */
  readonly bytes: number;
  /** Bytes the receiving device acknowledged (the sender's `Transfer.progress$`, protocol v2 ACKs). */
  readonly acked: number;
  readonly state: 'running' | 'done' | 'cancelled' | 'failed';
  /** Why it was cancelled or failed (the `ColinkError`'s code and message). */
  readonly reason?: string;
}

/** A network of this machine, as net-monitor sees it (the lab's network panel). */
export interface LabNetwork {
  readonly netId: number;
  readonly interfaceName: string;
  /** HarmonyOS NetBearType names: BEARER_ETHERNET, BEARER_WIFI, … */
  readonly bearer: string;
  readonly isDefault: boolean;
  readonly virtual: boolean;
  readonly addresses: readonly string[];
  /** HarmonyOS NetCap names. */
  readonly caps: readonly string[];
  readonly mtu: number;
}

export interface LabEvent {
  /** Increasing id, unique within the lab. */
  readonly seq: number;
  readonly at: number;
  readonly device?: string;
  readonly kind:
    | 'device'
    | 'discovery'
    | 'link'
    | 'session'
    | 'message'
    | 'data'
    | 'fault'
    | 'trust'
    | 'linkenhance'
    | 'network'
    | 'error';
  readonly text: string;
}

export interface LabState {
  readonly devices: readonly LabDevice[];
  readonly links: readonly LabLink[];
  readonly sessions: readonly LabSession[];
  readonly prompts: readonly LabPrompt[];
  /** Binding confirmations waiting for the user. */
  readonly bindPrompts: readonly LabBindPrompt[];
  readonly transfers: readonly LabTransfer[];
  /** linkEnhance servers and connections. */
  readonly linkEnhance: {
    readonly servers: readonly LabLeServer[];
    readonly connections: readonly LabLeConnection[];
  };
  /** This machine's networks (net-monitor), with the event source in use. */
  readonly networks: readonly LabNetwork[];
  readonly networkSource: string | undefined;
}

/** Server → UI. */
export type ServerMessage =
  | { readonly t: 'state'; readonly state: LabState }
  | { readonly t: 'events'; readonly events: readonly LabEvent[] }
  | { readonly t: 'error'; readonly text: string };

/** UI → server. */
export type Command =
  | { readonly t: 'request-session'; readonly from: string; readonly to: string; readonly service: string }
  | { readonly t: 'answer'; readonly key: string; readonly accept: boolean; readonly reason?: string }
  | { readonly t: 'send-message'; readonly key: string; readonly device: string; readonly text: string }
  /**
   * `device` sends `bytes` on session `key` as a transfer. With `cutCarrierAt` (0–1) the lab cuts the Link carrying
   * the session once that fraction is acknowledged (the "cut" fault), so the transfer is seen moving to another Link.
   */
  | {
      readonly t: 'send-data';
      readonly key: string;
      readonly device: string;
      readonly bytes: number;
      readonly cutCarrierAt?: number;
    }
  /** `device` (either end) cancels transfer `id`; the other end sees it cancelled with the reason. */
  | { readonly t: 'cancel-transfer'; readonly id: string; readonly device: string }
  /** Cuts the Link that carries session `key` now, as if its medium failed (both ends see `lost`). */
  | { readonly t: 'cut-carrier'; readonly key: string }
  | { readonly t: 'close-session'; readonly key: string; readonly device: string }
  | { readonly t: 'open-link'; readonly from: string; readonly to: string; readonly medium: string }
  | { readonly t: 'drop-link'; readonly link: string }
  | { readonly t: 'ble-range'; readonly device: string; readonly inRange: boolean }
  | { readonly t: 'stop-device'; readonly device: string }
  | { readonly t: 'start-device'; readonly device: string }
  | {
      readonly t: 'add-device';
      readonly name: string;
      readonly type: string;
      /** false: a guest, not on the lab's account (default true). */
      readonly account?: boolean;
    }
  | { readonly t: 'remove-device'; readonly device: string }
  /** `from` asks to bind with `to`: both show the 6-digit code. */
  | { readonly t: 'bind'; readonly from: string; readonly to: string }
  | { readonly t: 'bind-answer'; readonly key: string; readonly confirm: boolean }
  /** `device` revokes its binding with `peer` and closes their Links; the next connect is refused. */
  | { readonly t: 'unbind'; readonly device: string; readonly peer: string }
  /** Starts linkEnhance server `name` on `device`. */
  | { readonly t: 'le-start-server'; readonly device: string; readonly name: string }
  | { readonly t: 'le-stop-server'; readonly device: string; readonly name: string }
  /** `device` connects to server `name` on the device whose BLE MAC is `mac`. */
  | { readonly t: 'le-connect'; readonly device: string; readonly mac: string; readonly name: string }
  | { readonly t: 'le-send'; readonly conn: string; readonly text: string }
  | { readonly t: 'le-close'; readonly conn: string };
