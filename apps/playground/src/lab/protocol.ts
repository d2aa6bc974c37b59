/**
 * What the lab streams to the web UI over its WebSocket, and the commands the UI sends back. Shared by the server
 * (`lab/server.ts`) and the UI (`ui/src`).
 */

export interface LabDevice {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly running: boolean;
  /** False while the "out of BLE range" fault is on. */
  readonly inBleRange: boolean;
  /** Mediums this device runs. */
  readonly mediums: readonly string[];
  /** Addresses per medium (tcp host:port…). */
  readonly addresses: Readonly<Record<string, string>>;
  /** Peers in this device's directory, with the mediums that reach them and trust. */
  readonly sees: ReadonlyArray<{
    readonly id: string;
    readonly mediums: readonly string[];
    readonly trust: string;
  }>;
}

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
}

export interface LabSession {
  readonly key: string;
  readonly from: string;
  readonly to: string;
  readonly service: string;
  readonly state: 'open' | 'closed';
  readonly endReason?: string;
}

export interface LabPrompt {
  readonly key: string;
  readonly device: string;
  readonly from: string;
  readonly service: string;
}

export interface LabTransfer {
  readonly id: string;
  readonly session: string;
  readonly from: string;
  readonly bytes: number;
  readonly done: boolean;
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
    | 'network'
    | 'error';
  readonly text: string;
}

export interface LabState {
  readonly devices: readonly LabDevice[];
  readonly links: readonly LabLink[];
  readonly sessions: readonly LabSession[];
  readonly prompts: readonly LabPrompt[];
  readonly transfers: readonly LabTransfer[];
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
  | { readonly t: 'send-data'; readonly key: string; readonly device: string; readonly bytes: number }
  | { readonly t: 'close-session'; readonly key: string; readonly device: string }
  | { readonly t: 'open-link'; readonly from: string; readonly to: string; readonly medium: string }
  | { readonly t: 'drop-link'; readonly link: string }
  | { readonly t: 'ble-range'; readonly device: string; readonly inRange: boolean }
  | { readonly t: 'stop-device'; readonly device: string }
  | { readonly t: 'start-device'; readonly device: string }
  | { readonly t: 'add-device'; readonly name: string; readonly type: string };
