// Harness (not a seed block): reports whether session 100 (the one the seed's snippets name) still exists.
import { abilityConnectionManager } from '@kit.DistributedServiceKit';

process.stdout.write(
  `${JSON.stringify({ ev: 'peerInfo', value: abilityConnectionManager.getPeerInfoById(100) ?? null })}\n`,
);
