/**
 * Bearer classification of a Linux interface from sysfs facts and the link kind. Source: linux-net.md "Bearer type"
 * (suggested mapping), HarmonyOS `NetBearType` (harmony-api.md §3.3).
 * @module
 */
import type { LinkFacts } from '../host/snapshot.js';
import { NetBearType } from '../types.js';

/** ARPHRD_* values used below (`<linux/if_arp.h>`). */
const ARPHRD_PPP = 512;
const ARPHRD_RAWIP = 519;
const ARPHRD_NONE = 65534;

/** `tun_flags` bit of a layer-3 tun device (`<linux/if_tun.h>` IFF_TUN); IFF_TAP (0x2) devices are Ethernet-like. */
const IFF_TUN = 0x0001;

/** Link kinds (`ip -d link` `info_kind`) that are VPN tunnels. */
const VPN_KINDS = new Set([
  'wireguard',
  'vti',
  'vti6',
  'xfrm',
  'ipip',
  'ip6tnl',
  'sit',
  'gre',
  'ip6gre',
  'ppp',
]);

/** Kernel drivers of cellular modems (QMI, MBIM, Qualcomm rmnet, Intel/MediaTek WWAN, NCM/ECM dongles are Ethernet). */
const CELLULAR_DRIVERS = new Set([
  'qmi_wwan',
  'cdc_mbim',
  'rmnet',
  'rmnet_ipa',
  'mhi_net',
  'iosm',
  't7xx',
  'option',
]);

/** Link kinds that are software links. */
const VIRTUAL_KINDS = new Set([
  'veth',
  'bridge',
  'bond',
  'macvlan',
  'macvtap',
  'ipvlan',
  'vxlan',
  'tun',
  'dummy',
  'vlan',
  'geneve',
]);

/** Result of {@link classifyBearer}. */
export interface Bearer {
  readonly type: NetBearType;
  /** A software link (veth, bridge, tun, …), not a device on a bus. */
  readonly virtual: boolean;
}

/**
 * Maps an interface to its bearer:
 * `wireless/`, `phy80211/` or DEVTYPE=wlan → Wi-Fi; DEVTYPE=wwan, a modem driver or a raw-IP link → cellular;
 * DEVTYPE=bluetooth or `bnep*` → Bluetooth; a tun (layer 3) device, WireGuard/IPsec/GRE/PPP → VPN; anything else →
 * Ethernet, flagged `virtual` when it has no `device` or is a software kind.
 */
export function classifyBearer(name: string, kind: string | undefined, facts: LinkFacts | undefined): Bearer {
  const virtual = facts?.hasDevice !== true || (kind !== undefined && VIRTUAL_KINDS.has(kind));
  if (facts === undefined) return { type: NetBearType.BEARER_ETHERNET, virtual };
  if (facts.wireless || facts.devtype === 'wlan') return { type: NetBearType.BEARER_WIFI, virtual };
  if (
    facts.devtype === 'wwan' ||
    (facts.driver !== undefined && CELLULAR_DRIVERS.has(facts.driver)) ||
    (facts.arpType === ARPHRD_RAWIP && facts.hasDevice)
  ) {
    return { type: NetBearType.BEARER_CELLULAR, virtual };
  }
  if (facts.devtype === 'bluetooth' || name.startsWith('bnep'))
    return { type: NetBearType.BEARER_BLUETOOTH, virtual };
  const tun = facts.tunFlags !== undefined && (facts.tunFlags & IFF_TUN) !== 0;
  if (
    tun ||
    (kind !== undefined && VPN_KINDS.has(kind)) ||
    facts.arpType === ARPHRD_PPP ||
    (facts.arpType === ARPHRD_NONE && !facts.hasDevice)
  ) {
    return { type: NetBearType.BEARER_VPN, virtual: true };
  }
  return { type: NetBearType.BEARER_ETHERNET, virtual };
}
