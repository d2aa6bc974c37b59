import { execFile } from 'node:child_process';
import os from 'node:os';
import { ColinkError, clockNow, ErrorCode, runAfter } from '@colink/core';
import type { SchedulerLike } from 'rxjs';

/**
 * Finds the IPv4 address of this device on a P2P group interface, once it is really there. wpa_supplicant runs no
 * DHCP: the GO host puts 192.168.49.1/24 on its group interface and clients get theirs from the EAPOL IP allocation
 * (`ip_addr=` of `P2P-GROUP-STARTED`) or DHCP (linux-net.md, "Group addressing").
 */
export interface GroupAddressing {
  /**
   * Resolves with the IPv4 address on `ifname` (the `expected` one when given) as soon as the kernel has it.
   * Rejects with `ERR_TIMEOUT` after `timeoutMs` (ms), `ERR_ABORTED` when `signal` fires. `scheduler` is the
   * caller's clock (the P2pService's `scheduler`) for the time limit and any polling; default real time.
   */
  waitForAddress(
    ifname: string,
    expected: string | undefined,
    timeoutMs: number,
    signal?: AbortSignal,
    scheduler?: SchedulerLike,
  ): Promise<string>;
  /**
   * Puts `address/prefixLength` on `ifname` (the host's part on a real device: the GO's 192.168.49.1/24, a client's
   * EAPOL-allocated address). An address already there is success. Rejects with `ERR_INTERNAL` when it cannot.
   */
  assign?(ifname: string, address: string, prefixLength: number): Promise<void>;
}

/** Poll period of {@link interfaceAddressing} (os.networkInterfaces() is a cheap getifaddrs(3) call). */
export const ADDRESS_POLL_MS = 20;

/** The address on `ifname` right now, per getifaddrs(3). 127/8 addresses count as present on any host (Linux routes the whole block to `lo`). */
export function currentAddress(ifname: string, expected: string | undefined): string | undefined {
  if (expected?.startsWith('127.')) return expected;
  const addrs = os.networkInterfaces()[ifname] ?? [];
  const v4 = addrs.filter((a) => a.family === 'IPv4').map((a) => a.address);
  if (expected !== undefined) return v4.includes(expected) ? expected : undefined;
  return v4[0];
}

/**
 * The default {@link GroupAddressing}: watches the interfaces of this network namespace, polling every
 * {@link ADDRESS_POLL_MS} on `scheduler` (default real time).
 */
export const interfaceAddressing: GroupAddressing = {
  waitForAddress(ifname, expected, timeoutMs, signal, scheduler) {
    const now = (): number => clockNow(scheduler);
    const later = (fn: () => void): void => void runAfter(ADDRESS_POLL_MS, fn, { scheduler });
    return new Promise((resolve, reject) => {
      const deadline = now() + timeoutMs;
      const check = (): void => {
        const a = currentAddress(ifname, expected);
        if (signal?.aborted) reject(new ColinkError(ErrorCode.ABORTED, 'aborted'));
        else if (a !== undefined) resolve(a);
        else if (now() >= deadline) {
          const what = `no IPv4 address${expected ? ` ${expected}` : ''} on ${ifname} after ${timeoutMs} ms`;
          reject(new ColinkError(ErrorCode.TIMEOUT, what));
        } else later(check);
      };
      check();
    });
  },
  assign(ifname, address, prefixLength) {
    return new Promise<void>((resolve, reject) => {
      execFile(
        'ip',
        ['addr', 'add', `${address}/${prefixLength}`, 'dev', ifname],
        { timeout: 10_000 },
        (err, _o, stderr) => {
          if (!err || /File exists/.test(stderr)) return resolve();
          reject(
            new ColinkError(
              ErrorCode.INTERNAL,
              `cannot add ${address}/${prefixLength} to ${ifname}: ${stderr.trim() || err.message}`,
              {
                cause: err,
              },
            ),
          );
        },
      );
    });
  },
};

/** Prefix length of a dotted netmask (`255.255.255.0` → 24). */
export function netmaskToPrefixLength(mask: string): number {
  const bits = mask.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  return bits.toString(2).replace(/0+$/, '').length;
}
