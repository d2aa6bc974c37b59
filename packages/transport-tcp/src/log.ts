import { logger } from '@colink/core';

const tcp = logger('tcp');
const mdns = logger('mdns');

/** Debug log of the TCP transport (core's logger, off unless `COLINK_DEBUG` names `colink:tcp`). */
export function log(format: string, ...args: unknown[]): void {
  tcp.debug(format, ...args);
}

/** Warning of the TCP transport (`COLINK_DEBUG=colink:tcp`): what went wrong but was recovered from. */
export function warn(format: string, ...args: unknown[]): void {
  tcp.warn(format, ...args);
}

/** Debug log of DNS-SD discovery (`COLINK_DEBUG=colink:mdns`). */
export function mdnsLog(format: string, ...args: unknown[]): void {
  mdns.debug(format, ...args);
}
