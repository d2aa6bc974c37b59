/**
 * Named limits and defaults of the wpa_supplicant control protocol and of Wi-Fi P2P group addressing, each with the
 * source of the number.
 */

/** Largest command or reply datagram: `CTRL_IFACE_MAX_LEN` in hostap `ctrl_iface_unix.c` (2.10) is 8192 bytes. */
export const WPA_CTRL_MAX_DATAGRAM = 8192;
/** How long `wpa_ctrl_request()` waits for a reply: 10 s (`wpa_ctrl.c`, select timeout). */
export const WPA_REQUEST_TIMEOUT_MS = 10_000;
/** `wpa_cli` pings the daemon every 5 s (`ping_interval` in `wpa_cli.c`). */
export const WPA_PING_INTERVAL_MS = 5_000;
/** How often the client retries to re-attach after the daemon went away: `wpa_cli` retries once per second. */
export const WPA_REATTACH_RETRY_MS = 1_000;
/** Commands queued behind the one in flight before `request()` fails with `ERR_LIMIT_EXCEEDED` (our bound). */
export const WPA_MAX_QUEUED_REQUESTS = 256;
/** Default monitor level after `ATTACH`: `MSG_INFO` (3) (`ctrl_iface_unix.c`, `wpa_supplicant_ctrl_iface_attach`). */
export const WPA_DEFAULT_MONITOR_LEVEL = 3;

/** GO intent range (Wi-Fi P2P Technical Specification v1.7, §4.1.6 Group Owner Intent attribute): 0..15. */
export const P2P_GO_INTENT_MAX = 15;
/** wpa_supplicant's default `p2p_go_intent` (`config.h`, `DEFAULT_P2P_GO_INTENT`). */
export const P2P_DEFAULT_GO_INTENT = 7;
/**
 * WPA2 passphrase length: 8..63 (IEEE 802.11-2020 Annex J.4.1; HarmonyOS XTS checks the same), counted in bytes as
 * wpa_supplicant (`wpa_config_parse_psk`) and OpenHarmony's P2P service (`std::string::length`) count it.
 */
export const WPA_PASSPHRASE_MIN = 8;
export const WPA_PASSPHRASE_MAX = 63;
/** P2P group SSIDs start with `DIRECT-xy` (Wi-Fi P2P spec §3.2.1); an SSID is at most 32 bytes (IEEE 802.11). */
export const P2P_SSID_PREFIX = 'DIRECT-';
export const SSID_MAX_BYTES = 32;
/** Device name: at most 32 bytes (WPS Device Name attribute, Wi-Fi Simple Configuration spec table 28). */
export const P2P_DEVICE_NAME_MAX_BYTES = 32;

/** Group owner address used by Android and HarmonyOS (HarmonyOS log: `goIpAddress=192.168.49.1`). */
export const P2P_GO_IP_ADDRESS = '192.168.49.1';
/** Prefix length of the group subnet 192.168.49.0/24. */
export const P2P_GROUP_PREFIX_LENGTH = 24;
/** `ip_addr_mask` matching {@link P2P_GROUP_PREFIX_LENGTH}. */
export const P2P_GROUP_NETMASK = '255.255.255.0';
/** First and last client address the GO hands out (wpa_supplicant `ip_addr_start` / `ip_addr_end` as Android sets them). */
export const P2P_CLIENT_IP_START = '192.168.49.2';
export const P2P_CLIENT_IP_END = '192.168.49.254';

/** TCP port of the colink listener on a group interface (our choice; IANA dynamic range, RFC 6335). */
export const P2P_DEFAULT_TCP_PORT = 49_152 + 0x4c; // 49228
/** How long the service waits for a group address to really appear on the interface. */
export const P2P_ADDRESS_WAIT_MS = 10_000;
/** How long `connect()` waits for GO negotiation plus group formation (wpa_supplicant gives up on GO negotiation after 120 s; we wait less). */
export const P2P_CONNECT_TIMEOUT_MS = 30_000;
