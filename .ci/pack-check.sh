#!/usr/bin/env bash
# Packs @colink/core into a tarball, installs it into an empty ESM project outside the workspace with npm, and runs
# a real Link between two in-memory devices from it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$root/packages/core" && pnpm pack --pack-destination "$tmp" >/dev/null)
cd "$tmp"
printf '{ "name": "pack-check", "private": true, "type": "module" }\n' > package.json
npm install --no-audit --no-fund --loglevel=error ./colink-core-*.tgz >/dev/null
cat > check.mjs <<'JS'
import { Link, LocalDevice, MemoryNetwork } from '@colink/core';
import { createConduitPair } from '@colink/core/testing';
import { existsSync } from 'node:fs';
// @colink/core/compliance needs the optional peer vitest; here we only check it ships.
if (!existsSync('node_modules/@colink/core/dist/compliance.js')) throw new Error('compliance suite missing from the tarball');
if (typeof LocalDevice !== 'function' || typeof MemoryNetwork !== 'function') throw new Error('exports missing');
const [x, y] = createConduitPair();
const local = (n) => ({ networkId: n.repeat(64), deviceName: n, deviceType: 'pc' });
const a = new Link(x, { role: 'initiator', local: local('a') });
const b = new Link(y, { role: 'responder', local: local('b') });
await Promise.all([a.opened, b.opened]);
const got = new Promise((r) => b.messages$.subscribe(r));
await a.send(new TextEncoder().encode('packed'));
if (new TextDecoder().decode(await got) !== 'packed') throw new Error('message mismatch');
await a.close();
console.log('pack check: @colink/core installs from its tarball and runs a Link');
JS
node check.mjs
