import { formatWithOptions } from 'node:util';

/** A namespaced logger. Off unless `COLINK_DEBUG` names the namespace (`COLINK_DEBUG=colink:*` or `colink:link,colink:tcp`). */
export interface Logger {
  readonly enabled: boolean;
  debug(format: string, ...args: unknown[]): void;
  warn(format: string, ...args: unknown[]): void;
}

function enabledFor(ns: string): boolean {
  const spec = process.env.COLINK_DEBUG ?? '';
  if (spec === '') return false;
  return spec.split(',').some((p) => {
    const pat = p.trim();
    return pat === '*' || pat === ns || (pat.endsWith('*') && ns.startsWith(pat.slice(0, -1)));
  });
}

/**
 * Returns the logger for `colink:<name>`. Output goes to stderr; library code never writes to stdout.
 */
export function logger(name: string): Logger {
  const ns = `colink:${name}`;
  const enabled = enabledFor(ns);
  const write = (level: string, format: string, args: unknown[]): void => {
    process.stderr.write(
      `${new Date().toISOString()} ${ns} ${level} ${formatWithOptions({ colors: false }, format, ...args)}\n`,
    );
  };
  return {
    enabled,
    debug: (format, ...args) => {
      if (enabled) write('debug', format, args);
    },
    warn: (format, ...args) => {
      if (enabled) write('warn', format, args);
    },
  };
}
