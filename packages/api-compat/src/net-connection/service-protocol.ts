/**
 * Messages between the api-compat main thread and the net service worker that owns the process's `NetMonitor`
 * (see `service.ts`). Everything is structured-clonable; `Network` and `NetEvent` are plain objects.
 * @module
 */
import type { MessagePort } from 'node:worker_threads';
import type { NetEvent, NetMonitorOptions, Network, SourceKind } from '@colink/net-monitor';

/** The options a worker can receive (functions and Observables cannot cross threads). */
export type ServiceOptions = Pick<NetMonitorOptions, 'netns' | 'source' | 'validation' | 'pollIntervalMs'> & {
  readonly metered?: readonly string[];
};

/** `workerData` of the service worker. */
export interface ServiceWorkerData {
  readonly options: ServiceOptions;
  /** Channel port for every message in both directions. */
  readonly port: MessagePort;
  /** Int32 flag: 0 starting, 1 ready, 2 failed, 3 closed; notified on every change. */
  readonly flag: SharedArrayBuffer;
}

/** The whole state the main thread mirrors. */
export interface ServiceState {
  readonly networks: readonly Network[];
  readonly defaultNetId: number;
}

/** Worker → main. */
export type ServiceMessage =
  | ({ readonly type: 'ready'; readonly source: SourceKind } & ServiceState)
  | { readonly type: 'failed'; readonly message: string }
  | ({ readonly type: 'update'; readonly events: readonly NetEvent[] } & ServiceState)
  | { readonly type: 'reply'; readonly id: number; readonly value: unknown }
  | {
      readonly type: 'replyError';
      readonly id: number;
      /** The colink error code (`ERR_…`) when the failure was a ColinkError; mapped to a HarmonyOS code by the caller. */
      readonly colinkCode: string | undefined;
      readonly message: string;
    };

/** Main → worker. */
export type ServiceRequest =
  | {
      readonly type: 'resolve';
      readonly id: number;
      readonly host: string;
      readonly family: 0 | 1 | 2;
      readonly netId: number | undefined;
    }
  | { readonly type: 'revalidate'; readonly id: number; readonly netId: number }
  | { readonly type: 'setBlocked'; readonly id: number; readonly netId: number; readonly blocked: boolean }
  | { readonly type: 'close'; readonly id: number };

/** A request before the service gives it an id. */
export type ServiceRequestBody = ServiceRequest extends infer R
  ? R extends unknown
    ? Omit<R, 'id'>
    : never
  : never;
