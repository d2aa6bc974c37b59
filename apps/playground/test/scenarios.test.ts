import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// `pnpm start -- --scenario <name>` prints a transcript of a seed flow between two device processes.
const MAIN = path.resolve(import.meta.dirname, '../dist/main.js');

function run(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('headless seed scenarios', () => {
  it('--scenario acm: the abilityConnectionManager seed between two device processes', async () => {
    const { code, out } = await run(['--scenario', 'acm']);
    expect(code).toBe(0);
    for (const line of [
      /phone +available devices: tablet/,
      /tablet +on collaborate/,
      /tablet +acceptConnect success/,
      /phone +connect result \{"isConnected":true,"reason":""\}/,
      /tablet +receiveMessage, msg is message send success/,
      /phone +receiveMessage, msg is echo: message send success/,
      /tablet +receiveData, 262144 bytes/,
      /tablet +session disconnect, sessionId is 100, reason 0/,
      /lab +scenario complete/,
    ]) {
      expect(out).toMatch(line);
    }
  }, 90_000);

  it('--scenario linkEnhance: the seed server and client on one virtual BLE radio', async () => {
    const { code, out } = await run(['--scenario', 'linkEnhance']);
    expect(code).toBe(0);
    for (const line of [
      /server +start sever name = demo/,
      /client +clientConnectResultCallback result = true/,
      /server +recv dataLen = 1/,
      /server +disconnected, num = 0/,
      /lab +scenario complete/,
    ]) {
      expect(out).toMatch(line);
    }
  }, 90_000);
});
