/**
 * `getSystemNetPortStates` (harmony-api.md §3.1, since 24): every TCP and UDP socket of the watched namespace with
 * its owner, read with iproute2's `ss -H -n -a -t -u -e -p` (`-N <ns>` when `COLINK_NET_NETNS` is set). `tcpPid` /
 * `udpPid` are −1 when `ss` cannot see the owning process (another user's, without root); uid 0 when `ss` prints none.
 * @module
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { TcpState } from './enums.js';
import { netError } from './errors.js';
import type { NetPortStatesInfo, TcpNetPortStatesInfo, UdpNetPortStatesInfo } from './types.js';

const run = promisify(execFile);

/** Time limit of the `ss` read, ms. */
export const SS_READ_TIMEOUT_MS = 5_000;

/** Largest `ss` output accepted, bytes (about 50 000 sockets). */
export const MAX_SS_OUTPUT_BYTES = 16 * 1024 * 1024;

/** `ss` state names → HarmonyOS `TcpState` (Linux `tcp_states.h` order; UNCONN is a closed / unconnected socket). */
const STATES: Readonly<Record<string, TcpState>> = {
  ESTAB: TcpState.TCP_ESTABLISHED,
  'SYN-SENT': TcpState.TCP_SYN_SENT,
  'SYN-RECV': TcpState.TCP_SYN_RECV,
  'FIN-WAIT-1': TcpState.TCP_FIN_WAIT1,
  'FIN-WAIT-2': TcpState.TCP_FIN_WAIT2,
  'TIME-WAIT': TcpState.TCP_TIME_WAIT,
  UNCONN: TcpState.TCP_CLOSE,
  CLOSE: TcpState.TCP_CLOSE,
  'CLOSE-WAIT': TcpState.TCP_CLOSE_WAIT,
  'LAST-ACK': TcpState.TCP_LAST_ACK,
  LISTEN: TcpState.TCP_LISTEN,
  CLOSING: TcpState.TCP_CLOSING,
};

const LINE = /^(tcp|udp)\s+(\S+)\s+\d+\s+\d+\s+(\S+)\s+(\S+)\s*(.*)$/;

/** `ss` endpoint (`10.0.0.1:80`, `[fd00::1]:80`, `[fe80::1]%eth0:80`, `*:80`) → address and port (`*` → 0). */
function endpoint(s: string): { ip: string; port: number } {
  const i = s.lastIndexOf(':');
  const host = s.slice(0, i).replace(/%[^\]]*$/, '');
  const port = s.slice(i + 1);
  const ip = host === '*' ? '0.0.0.0' : host.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  return { ip, port: port === '*' ? 0 : Number(port) };
}

/** Parses `ss -H -n -a -t -u -e -p` output. */
export function parseSs(text: string): NetPortStatesInfo {
  const tcp: TcpNetPortStatesInfo[] = [];
  const udp: UdpNetPortStatesInfo[] = [];
  for (const line of text.split('\n')) {
    const m = LINE.exec(line.trim());
    if (!m) continue;
    const [, proto, state, local, peer, rest] = m as unknown as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const l = endpoint(local);
    const pid = Number(/pid=(\d+)/.exec(rest)?.[1] ?? -1);
    const uid = Number(/\buid:(\d+)/.exec(rest)?.[1] ?? 0);
    if (proto === 'udp') {
      udp.push({ udpLocalIp: l.ip, udpLocalPort: l.port, udpUid: uid, udpPid: pid });
      continue;
    }
    const p = endpoint(peer);
    tcp.push({
      tcpLocalIp: l.ip,
      tcpLocalPort: l.port,
      tcpRemoteIp: p.ip,
      tcpRemotePort: p.port,
      tcpUid: uid,
      tcpPid: pid,
      tcpState: STATES[state] ?? TcpState.TCP_CLOSE,
    });
  }
  return { tcpPortStatesInfo: tcp, udpPortStatesInfo: udp };
}

/** Reads the socket table; rejects 2100003 when `ss` cannot be run. */
export async function readPortStates(netns: string | undefined): Promise<NetPortStatesInfo> {
  try {
    const { stdout } = await run(
      'ss',
      [...(netns ? ['-N', netns] : []), '-H', '-n', '-a', '-t', '-u', '-e', '-p'],
      {
        timeout: SS_READ_TIMEOUT_MS,
        maxBuffer: MAX_SS_OUTPUT_BYTES,
      },
    );
    return parseSs(stdout);
  } catch (e) {
    throw netError(2100003, `ss failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}
