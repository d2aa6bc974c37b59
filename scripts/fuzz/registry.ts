/**
 * Every fuzz target of the repository, by package. A package's targets live in its `fuzz/targets.ts` (shared with its
 * property and corpus tests); this list is what `pnpm fuzz` runs.
 * @module
 */
import path from 'node:path';
import { targets as apiCompat } from '../../packages/api-compat/fuzz/targets.js';
import { targets as core } from '../../packages/core/fuzz/targets.js';
import { targets as netMonitor } from '../../packages/net-monitor/fuzz/targets.js';
import { targets as ble } from '../../packages/transport-ble/fuzz/targets.js';
import { targets as tcp } from '../../packages/transport-tcp/fuzz/targets.js';
import { targets as wifiP2p } from '../../packages/transport-wifi-p2p/fuzz/targets.js';
import type { FuzzTarget } from './kit.js';

const root = path.resolve(import.meta.dirname, '../..');

/** Packages with fuzz targets: the package folder (where its corpus lives) and its targets. */
export const registry: readonly { readonly packageDir: string; readonly targets: readonly FuzzTarget[] }[] = [
  { packageDir: path.join(root, 'packages/core'), targets: core },
  { packageDir: path.join(root, 'packages/transport-tcp'), targets: tcp },
  { packageDir: path.join(root, 'packages/transport-ble'), targets: ble },
  { packageDir: path.join(root, 'packages/transport-wifi-p2p'), targets: wifiP2p },
  { packageDir: path.join(root, 'packages/net-monitor'), targets: netMonitor },
  { packageDir: path.join(root, 'packages/api-compat'), targets: apiCompat },
];
