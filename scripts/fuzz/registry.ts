/**
 * Every fuzz target of the repository, by package. A package's targets live in its `fuzz/targets.ts` (shared with its
 * property and corpus tests) and are named `<prefix>.<decoder>`; this list is what `pnpm fuzz` runs. Packages load
 * lazily, so fuzzing one target loads only its package.
 * @module
 */
import path from 'node:path';
import type { FuzzTarget } from './kit.js';

const root = path.resolve(import.meta.dirname, '../..');

/** A package with fuzz targets. */
export interface FuzzPackage {
  /** Prefix of its target names. */
  readonly prefix: string;
  /** The package folder (its corpus is `test/corpus/` in it). */
  readonly packageDir: string;
  readonly load: () => Promise<readonly FuzzTarget[]>;
}

export const registry: readonly FuzzPackage[] = [
  {
    prefix: 'core',
    packageDir: path.join(root, 'packages/core'),
    load: async () => (await import('../../packages/core/fuzz/targets.js')).targets,
  },
  {
    prefix: 'tcp',
    packageDir: path.join(root, 'packages/transport-tcp'),
    load: async () => (await import('../../packages/transport-tcp/fuzz/targets.js')).targets,
  },
  {
    prefix: 'ble',
    packageDir: path.join(root, 'packages/transport-ble'),
    load: async () => (await import('../../packages/transport-ble/fuzz/targets.js')).targets,
  },
  {
    prefix: 'wifi-p2p',
    packageDir: path.join(root, 'packages/transport-wifi-p2p'),
    load: async () => (await import('../../packages/transport-wifi-p2p/fuzz/targets.js')).targets,
  },
  {
    prefix: 'net-monitor',
    packageDir: path.join(root, 'packages/net-monitor'),
    load: async () => (await import('../../packages/net-monitor/fuzz/targets.js')).targets,
  },
  {
    prefix: 'api-compat',
    packageDir: path.join(root, 'packages/api-compat'),
    load: async () => (await import('../../packages/api-compat/fuzz/targets.js')).targets,
  },
];
