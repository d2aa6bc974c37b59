import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadIdentity } from '../src/runtime/identity.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const tmp = (): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'colink-identity-'));
  dirs.push(d);
  return d;
};

/** Runs loadIdentity(dir) in a separate node process; resolves with the networkId it printed. */
function loadInProcess(dir: string): Promise<string> {
  const code = `import(${JSON.stringify(new URL('../src/runtime/identity.ts', import.meta.url).pathname)}).then((m) => process.stdout.write(m.loadIdentity(${JSON.stringify(dir)}).networkId))`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  return new Promise((resolve, reject) =>
    child.on('exit', (c) => (c === 0 ? resolve(out) : reject(new Error(`exit ${c}`)))),
  );
}

describe('the device identity file', () => {
  it('is created once, mode 0600, and read back unchanged', () => {
    const dir = tmp();
    const first = loadIdentity(path.join(dir, 'state'));
    expect(first.networkId).toMatch(/^[0-9a-f]{64}$/);
    expect(fs.statSync(path.join(dir, 'state', 'identity.json')).mode & 0o777).toBe(0o600);
    expect(loadIdentity(path.join(dir, 'state'))).toEqual(first);
    expect(fs.readdirSync(path.join(dir, 'state'))).toEqual(['identity.json']); // no temporary files left
  });

  it('gives processes that start on one state directory at the same time one identity', async () => {
    const dir = path.join(tmp(), 'shared');
    const ids = await Promise.all(Array.from({ length: 4 }, () => loadInProcess(dir)));
    expect(new Set(ids).size).toBe(1);
    expect(loadIdentity(dir).networkId).toBe(ids[0]);
  }, 60_000);

  it('replaces an empty file (what an unsynced writer leaves after a power loss)', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'identity.json'), '');
    const id = loadIdentity(dir);
    expect(id.networkId).toMatch(/^[0-9a-f]{64}$/);
    expect(loadIdentity(dir)).toEqual(id);
  });

  it('refuses a file that is not an identity instead of replacing it', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'identity.json'), '{"something":"else"}');
    expect(() => loadIdentity(dir)).toThrow(/not a colink identity/);
    expect(fs.readFileSync(path.join(dir, 'identity.json'), 'utf8')).toBe('{"something":"else"}');
  });
});
