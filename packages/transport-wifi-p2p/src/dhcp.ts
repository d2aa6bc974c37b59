import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ColinkError, ErrorCode } from '@colink/core';
import { type Observable, ReplaySubject } from 'rxjs';

/**
 * DHCP on a P2P group, for groups without EAPOL IP allocation: the GO runs a DHCP server (dnsmasq, Debian
 * `dnsmasq-base`) on its group interface, the client a DHCP client (busybox `udhcpc`, Debian `udhcpc`) with a private
 * script, so the host's `/etc/resolv.conf` is never touched (linux-net.md, "Group addressing"). Both run in the
 * caller's network namespace, as long as the group does.
 */

/** DHCP lease time handed out on a group: 1 h (Android's P2P DHCP server uses 1 h as well). */
export const P2P_DHCP_LEASE = '1h';
/** How long the client waits for a lease before giving up, ms (udhcpc `-t 10 -T 1`: 10 discovers, 1 s apart). */
export const P2P_DHCP_CLIENT_TIMEOUT_MS = 12_000;

/** A lease the GO's server acknowledged. */
export interface DhcpLease {
  /** Client hardware address (its group interface address), lower case. */
  readonly mac: string;
  readonly ip: string;
}

/** A running DHCP server on a group interface. */
export interface DhcpServer {
  /** Every DHCPACK, replayed to late subscribers. */
  readonly leases$: Observable<DhcpLease>;
  stop(): Promise<void>;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 2_000);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Starts dnsmasq as DHCP server only (`--port=0`: no DNS) on `ifname`, handing out `start`..`end`.
 * The server's log (`--log-dhcp` to stderr) is read for `DHCPACK(<if>) <ip> <mac>`.
 */
export function startDhcpServer(o: {
  ifname: string;
  start: string;
  end: string;
  netmask: string;
}): DhcpServer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'colink-dhcpd-'));
  const child = spawn(
    'dnsmasq',
    [
      '--keep-in-foreground',
      '--conf-file=/dev/null',
      `--interface=${o.ifname}`,
      '--bind-interfaces',
      '--except-interface=lo',
      '--port=0',
      `--dhcp-range=${o.start},${o.end},${o.netmask},${P2P_DHCP_LEASE}`,
      `--dhcp-leasefile=${path.join(dir, 'leases')}`,
      '--pid-file=',
      '--user=root',
      '--log-dhcp',
      '--log-facility=-',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const leases = new ReplaySubject<DhcpLease>();
  createInterface({ input: child.stderr! }).on('line', (line) => {
    const m = /DHCPACK\(\S+\) (\d+\.\d+\.\d+\.\d+) ([0-9a-fA-F:]{17})/.exec(line);
    if (m) leases.next({ ip: m[1]!, mac: m[2]!.toLowerCase() });
  });
  child.on('error', (e) =>
    leases.error(new ColinkError(ErrorCode.INTERNAL, `dnsmasq: ${e.message}`, { cause: e })),
  );
  return {
    leases$: leases.asObservable(),
    async stop() {
      await stopChild(child);
      leases.complete();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A running DHCP client and the lease it got. */
export interface DhcpClient {
  /** Resolves with the bound address (already on the interface); rejects with `ERR_TIMEOUT` when none came. */
  readonly lease: Promise<{ ip: string; prefixLength: number; router: string | undefined }>;
  stop(): Promise<void>;
}

/** udhcpc's event script: configures the group interface only, and reports the lease on stdout. */
const SCRIPT = `#!/bin/sh
case "$1" in
  bound|renew)
    ip addr flush dev "$interface" scope global
    ip addr add "$ip/\${mask:-24}" dev "$interface"
    echo "COLINK-LEASE $ip \${mask:-24} \${router:-}"
    ;;
  deconfig)
    ip addr flush dev "$interface" scope global
    ;;
esac
exit 0
`;

/** Runs busybox udhcpc on `ifname` in the foreground for as long as the group lives. */
export function startDhcpClient(o: { ifname: string }): DhcpClient {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'colink-dhcpc-'));
  const script = path.join(dir, 'event.sh');
  fs.writeFileSync(script, SCRIPT, { mode: 0o755 });
  const child = spawn('udhcpc', ['-f', '-i', o.ifname, '-s', script, '-t', '10', '-T', '1', '-n'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const lease = new Promise<{ ip: string; prefixLength: number; router: string | undefined }>(
    (resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new ColinkError(
              ErrorCode.TIMEOUT,
              `no DHCP lease on ${o.ifname} in ${P2P_DHCP_CLIENT_TIMEOUT_MS} ms`,
            ),
          ),
        P2P_DHCP_CLIENT_TIMEOUT_MS,
      );
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const m = /^COLINK-LEASE (\S+) (\d+) ?(\S*)$/.exec(line);
        if (!m) return;
        clearTimeout(timer);
        resolve({ ip: m[1]!, prefixLength: Number(m[2]), router: m[3] || undefined });
      });
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(new ColinkError(ErrorCode.INTERNAL, `udhcpc: ${e.message}`, { cause: e }));
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new ColinkError(ErrorCode.TIMEOUT, `udhcpc on ${o.ifname} exited (${code}) without a lease`));
      });
    },
  );
  lease.catch(() => undefined);
  return {
    lease,
    async stop() {
      await stopChild(child);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
