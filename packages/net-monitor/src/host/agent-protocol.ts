/**
 * The JSON-lines protocol between a `NetnsHost` and its agent process: requests on the agent's stdin, replies and
 * notifications on its stdout, one JSON object per line.
 * @module
 */
import type { ResolveRequest } from '../dns.js';
import type { ProbeRequest } from '../probe.js';
import type { ReaderKind, SourceKind } from '../types.js';
import type { HostOptions } from './host.js';

/** What the agent is started with (argv[2], JSON). */
export type AgentConfig = HostOptions;

/** Parent → agent. */
export type AgentRequest =
  | { readonly id: number; readonly method: 'read' }
  | { readonly id: number; readonly method: 'probe'; readonly params: ProbeRequest }
  | { readonly id: number; readonly method: 'resolve'; readonly params: ResolveRequest };

/** A serialised error (ColinkError fields). */
export interface AgentError {
  readonly code: string;
  readonly message: string;
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** Agent → parent. */
export type AgentMessage =
  | { readonly type: 'ready'; readonly source: SourceKind; readonly reader: ReaderKind }
  | { readonly type: 'changed' }
  | { readonly type: 'result'; readonly id: number; readonly result: unknown }
  | { readonly type: 'error'; readonly id: number; readonly error: AgentError }
  | { readonly type: 'fatal'; readonly error: AgentError };
