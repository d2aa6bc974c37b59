#!/usr/bin/env node
// The `colink-device` command. This shim is committed (not a build output) so the bin exists when a package manager
// links it, even in a fresh clone before `pnpm build`; the program is dist/bin/colink-device.js, built from
// src/bin/colink-device.ts.
try {
  await import('../dist/bin/colink-device.js');
} catch (e) {
  if (e?.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('colink-device.js')) {
    process.stderr.write(
      'colink-device: @colink/api-compat is not built (run `pnpm build` in the colink checkout)\n',
    );
    process.exit(1);
  }
  throw e;
}
