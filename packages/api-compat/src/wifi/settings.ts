/**
 * Which wpa_supplicant the `wifiManager` P2P subset drives, from the environment (or {@link WifiP2pSettings} given
 * in code by `configureWifiP2p`):
 *
 * | env | meaning | default |
 * |---|---|---|
 * | `COLINK_WPA_CTRL` | the P2P device's control socket (`/run/wpa_supplicant/p2p-dev-wlan0`), or the daemon's `ctrl_interface` directory | unset: no P2P on this device, every P2P call fails with 801 |
 * | `COLINK_WPA_IFNAME` | with a directory: the Wi-Fi interface, socket `<dir>/p2p-dev-<ifname>` | the directory's only `p2p-dev-*` socket |
 * | `COLINK_P2P_GO_INTENT` | GO intent 0..15 for negotiations | 7 (wpa_supplicant's default) |
 * | `COLINK_P2P_ASSIGN_ADDRESSES` | `1`: put the group addresses on the group interfaces (needs CAP_NET_ADMIN) | `0` |
 * | `COLINK_P2P_DHCP` | `1`: address groups by DHCP (dnsmasq as GO, udhcpc as client) instead of EAPOL allocation | `0` |
 * | `COLINK_P2P_GO_ADDRESS` | this device's address as GO; clients get the next ones of its /24 up to `.254` by EAPOL allocation. In 127/8 (the fake medium's loopback data path, no root): present at once, no group interface needed | `192.168.49.1` |
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  P2P_GROUP_NETMASK,
  type P2pServiceOptions,
  type WpaCtrlClientOptions,
} from '@colink/transport-wifi-p2p';

/** How the P2P backend reaches and drives wpa_supplicant. */
export interface WifiP2pSettings {
  /** The P2P device's control socket; `undefined` = this device has no Wi-Fi P2P (801). */
  readonly ctrlPath: string | undefined;
  /** More control-client options (timeouts, watchdog). */
  readonly client?: Omit<WpaCtrlClientOptions, 'ctrlPath'>;
  /** Options of the P2P service (GO intent, addressing, DHCP…). */
  readonly service?: P2pServiceOptions;
  /**
   * Hand out client addresses in the EAPOL handshake when GO (`SET ip_addr_go…`, as Android and HarmonyOS do).
   * Default `true` unless `service.dhcp`.
   */
  readonly eapolIpAllocation?: boolean;
}

/** Reads {@link WifiP2pSettings} from `env`. A directory without a unique `p2p-dev-*` socket gives no P2P. */
export function wifiP2pSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): WifiP2pSettings {
  const dhcp = env.COLINK_P2P_DHCP === '1';
  const goIntent = env.COLINK_P2P_GO_INTENT ? Number(env.COLINK_P2P_GO_INTENT) : undefined;
  return {
    ctrlPath: resolveCtrlPath(env.COLINK_WPA_CTRL, env.COLINK_WPA_IFNAME),
    service: {
      ...(goIntent !== undefined ? { goIntent } : {}),
      assignAddresses: env.COLINK_P2P_ASSIGN_ADDRESSES === '1',
      dhcp,
      ...(env.COLINK_P2P_GO_ADDRESS ? { ipAllocation: allocationFrom(env.COLINK_P2P_GO_ADDRESS) } : {}),
    },
    eapolIpAllocation: !dhcp,
  };
}

/**
 * The EAPOL IP allocation of a GO at `go`: its /24, clients from the next address to `.254`. A malformed address
 * (or `.254` / `.255`) gives an allocation `P2pService` rejects with `ERR_INVALID_ARGUMENT`, so P2P calls fail
 * (2801001) and the log says why.
 */
function allocationFrom(go: string): NonNullable<P2pServiceOptions['ipAllocation']> {
  const m = /^(\d{1,3}\.\d{1,3}\.\d{1,3})\.(\d{1,3})$/.exec(go);
  const host = Number(m?.[2]);
  return {
    go,
    mask: P2P_GROUP_NETMASK,
    start: m && host < 254 ? `${m[1]}.${host + 1}` : '',
    end: m ? `${m[1]}.254` : '',
  };
}

function resolveCtrlPath(ctrl: string | undefined, ifname: string | undefined): string | undefined {
  if (!ctrl) return undefined;
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(ctrl);
  } catch {
    return ctrl; // not there yet: the daemon may start later (then 2801001 until it answers)
  }
  if (!stat.isDirectory()) return ctrl;
  if (ifname) return path.join(ctrl, `p2p-dev-${ifname}`);
  const sockets = fs.readdirSync(ctrl).filter((n) => n.startsWith('p2p-dev-'));
  return sockets.length === 1 ? path.join(ctrl, sockets[0]!) : undefined;
}
