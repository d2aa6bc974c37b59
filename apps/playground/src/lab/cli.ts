import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

/** What the playground CLI was asked to do. */
export type CliCommand =
  | { readonly kind: 'help' }
  | { readonly kind: 'demo' }
  | { readonly kind: 'scenario'; readonly name: string }
  | {
      readonly kind: 'lab';
      /** UI port on 127.0.0.1 (default 4173; taken: any free port). */
      readonly port: number;
      /** Run the lab in its own network namespace (root). */
      readonly netns: boolean;
      /** Internal: this process is the lab inside the namespace; serve the UI on this unix socket. */
      readonly netnsChild?: string;
    }
  | {
      readonly kind: 'real';
      readonly port: number;
      /** State directory of the real device (identity, trust store). */
      readonly stateDir: string;
      /** Device name (default: the host name). */
      readonly name: string;
    };

/** A command line the CLI cannot run; the message says why (exit code 2). */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/**
 * Parses the playground's arguments (after `pnpm start --`). A leading `--` is skipped: pnpm 10 passes the one of
 * `pnpm start -- --port 8080` on to the script.
 * @throws CliError for unknown options, a bad port, or options that do not combine (`--real` with `--netns`,
 *   `--scenario` with either).
 */
export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CliCommand {
  let values: {
    scenario?: string | undefined;
    port?: string | undefined;
    demo?: boolean | undefined;
    help?: boolean | undefined;
    netns?: boolean | undefined;
    'netns-child'?: string | undefined;
    real?: boolean | undefined;
    name?: string | undefined;
  };
  try {
    ({ values } = parseArgs({
      args: argv[0] === '--' ? argv.slice(1) : [...argv],
      options: {
        scenario: { type: 'string' },
        port: { type: 'string' },
        demo: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        netns: { type: 'boolean' },
        'netns-child': { type: 'string' },
        real: { type: 'boolean' },
        name: { type: 'string' },
      },
    }));
  } catch (e) {
    throw new CliError(e instanceof Error ? e.message : String(e));
  }
  if (values.help) return { kind: 'help' };
  const modes = (['scenario', 'demo', 'real', 'netns'] as const).filter((k) => values[k] !== undefined);
  if (modes.length > 1) {
    throw new CliError(
      values.real && values.netns
        ? '--real runs a device on the real network; --netns isolates the lab from it: use one or the other'
        : `--${modes[0]} and --${modes[1]} do not combine`,
    );
  }
  if (values.demo) return { kind: 'demo' };
  if (values.scenario !== undefined) return { kind: 'scenario', name: values.scenario };
  const port = values.port === undefined ? 4173 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new CliError(`--port must be 0–65535, got ${values.port}`);
  if (values.real) {
    return {
      kind: 'real',
      port,
      name: values.name ?? os.hostname(),
      stateDir:
        env.COLINK_STATE_DIR ??
        path.join(env.XDG_STATE_HOME ?? path.join(os.homedir(), '.local', 'state'), 'colink-playground'),
    };
  }
  if (values.name !== undefined) throw new CliError('--name names the --real device');
  return {
    kind: 'lab',
    port,
    netns: values.netns === true,
    ...(values['netns-child'] !== undefined ? { netnsChild: values['netns-child'] } : {}),
  };
}
