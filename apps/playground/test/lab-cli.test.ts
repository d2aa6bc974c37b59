import { describe, expect, it } from 'vitest';
import { CliError, parseCli } from '../src/lab/cli.js';

// The CLI's arguments. `--real` is only parsed here, never started: it uses the real network (not in tests or CI).
describe('playground CLI arguments', () => {
  it('starts the lab by default on port 4173', () => {
    expect(parseCli([])).toEqual({ kind: 'lab', port: 4173, netns: false });
    expect(parseCli(['--netns', '--port', '0'])).toEqual({ kind: 'lab', port: 0, netns: true });
    // `pnpm start -- --port 0` hands the script `-- --port 0` (pnpm 10)
    expect(parseCli(['--', '--port', '0'])).toEqual({ kind: 'lab', port: 0, netns: false });
    expect(() => parseCli(['--', '--', '--port', '0'])).toThrow(CliError);
  });

  it('parses --real with its state directory and name', () => {
    expect(parseCli(['--real', '--name', 'desk', '--port', '8080'], { COLINK_STATE_DIR: '/tmp/s' })).toEqual({
      kind: 'real',
      port: 8080,
      name: 'desk',
      stateDir: '/tmp/s',
    });
    expect(parseCli(['--real'], { XDG_STATE_HOME: '/x' })).toMatchObject({
      stateDir: '/x/colink-playground',
    });
  });

  it('refuses --real with --netns', () => {
    expect(() => parseCli(['--real', '--netns'])).toThrow(CliError);
    expect(() => parseCli(['--netns', '--real'])).toThrow(/one or the other/);
  });

  it('refuses other bad combinations and values', () => {
    expect(() => parseCli(['--scenario', 'acm', '--real'])).toThrow(/do not combine/);
    expect(() => parseCli(['--port', 'abc'])).toThrow(/--port/);
    expect(() => parseCli(['--port', '70000'])).toThrow(/--port/);
    expect(() => parseCli(['--bogus'])).toThrow(CliError);
    expect(() => parseCli(['--name', 'x'])).toThrow(/--real/);
  });

  it('parses the other modes', () => {
    expect(parseCli(['--help'])).toEqual({ kind: 'help' });
    expect(parseCli(['--demo'])).toEqual({ kind: 'demo' });
    expect(parseCli(['--scenario', 'acm'])).toEqual({ kind: 'scenario', name: 'acm' });
  });
});
