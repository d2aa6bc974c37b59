/**
 * Typed parsing of wpa_supplicant 2.10 control-interface events (`<level>TEXT` datagrams sent to attached monitors).
 * Event names and field layouts follow hostap `wpa_ctrl.h`, `p2p_supplicant.c` and `ap/sta_info.c`; the field list is
 * the one in linux-net.md ("Wi-Fi P2P with wpa_supplicant").
 */

/** wpa_supplicant message levels (`wpa_debug.h`): monitors get events at or above their `LEVEL`. */
export const WpaLevel = { EXCESSIVE: 0, MSGDUMP: 1, DEBUG: 2, INFO: 3, WARNING: 4, ERROR: 5 } as const;

/** The role of this device in a P2P group. */
export type P2pRole = 'GO' | 'client';

interface EventBase {
  /** Message level from the leading `<N>`. */
  readonly level: number;
  /** The event text without the `<N>` prefix (and without an `IFNAME=… ` prefix of the global socket). */
  readonly raw: string;
  /** The interface named by an `IFNAME=<if> ` prefix (global control socket), when present. */
  readonly ifname?: string;
}

/** `P2P-DEVICE-FOUND <addr> p2p_dev_addr=<addr> pri_dev_type=… name='…' config_methods=0x.. dev_capab=0x.. group_capab=0x.. new=1` */
export interface P2pDeviceFoundEvent extends EventBase {
  readonly type: 'P2P-DEVICE-FOUND';
  /** Address the frame came from (device or interface address). */
  readonly address: string;
  /** P2P Device Address: the stable identity of the peer. */
  readonly p2pDevAddr: string;
  readonly priDevType: string;
  /** The peer's WPS device name, verbatim (wpa_supplicant prints it unescaped; quotes and spaces included). */
  readonly name: string;
  readonly configMethods: number;
  readonly devCapab: number;
  readonly groupCapab: number;
  /** `true` the first time the peer is seen since the last `P2P_FLUSH`. */
  readonly isNew: boolean;
}
/** `P2P-DEVICE-LOST p2p_dev_addr=<addr>` */
export interface P2pDeviceLostEvent extends EventBase {
  readonly type: 'P2P-DEVICE-LOST';
  readonly p2pDevAddr: string;
}
/** `P2P-FIND-STOPPED` */
export interface P2pFindStoppedEvent extends EventBase {
  readonly type: 'P2P-FIND-STOPPED';
}
/** `P2P-GO-NEG-REQUEST <addr> dev_passwd_id=N go_intent=N`: a peer wants to negotiate and we have not authorized it. */
export interface P2pGoNegRequestEvent extends EventBase {
  readonly type: 'P2P-GO-NEG-REQUEST';
  readonly address: string;
  /** WPS Device Password ID (4 = push button, 1 = user-specified PIN, 5 = registrar-specified). */
  readonly devPasswdId: number;
  readonly goIntent: number;
}
/** `P2P-GO-NEG-SUCCESS role=GO|client freq=N ht40=0 peer_dev=<a> peer_iface=<a> wps_method=PBC` */
export interface P2pGoNegSuccessEvent extends EventBase {
  readonly type: 'P2P-GO-NEG-SUCCESS';
  readonly role: P2pRole;
  readonly freq: number;
  readonly ht40: boolean;
  readonly peerDev: string;
  readonly peerIface: string;
  readonly wpsMethod: string;
}
/** `P2P-GO-NEG-FAILURE status=N` (P2P status codes, Wi-Fi P2P spec table 8: 1 info unavailable, 9 both GO intent 15, -1 no response). */
export interface P2pGoNegFailureEvent extends EventBase {
  readonly type: 'P2P-GO-NEG-FAILURE';
  readonly status: number;
}
/** `P2P-GROUP-FORMATION-SUCCESS` / `P2P-GROUP-FORMATION-FAILURE` */
export interface P2pGroupFormationEvent extends EventBase {
  readonly type: 'P2P-GROUP-FORMATION-SUCCESS' | 'P2P-GROUP-FORMATION-FAILURE';
}
/** `P2P-GROUP-STARTED <ifname> GO|client ssid="…" freq=N [psk=<hex>|passphrase="…"] go_dev_addr=<a> [PERSISTENT] [ip_addr=a ip_mask=m go_ip_addr=g]` */
export interface P2pGroupStartedEvent extends EventBase {
  readonly type: 'P2P-GROUP-STARTED';
  readonly groupIfname: string;
  readonly role: P2pRole;
  readonly ssid: string;
  readonly freq: number;
  readonly psk?: string;
  /** The group's passphrase, verbatim (wpa_supplicant prints it unescaped, unlike `ssid`). */
  readonly passphrase?: string;
  readonly goDevAddr: string;
  readonly persistent: boolean;
  /** Client address handed out in the EAPOL 4-way handshake (Wi-Fi P2P spec 4.2.8), when the GO does. */
  readonly ipAddr?: string;
  readonly ipMask?: string;
  readonly goIpAddr?: string;
}
/** `P2P-GROUP-REMOVED <ifname> GO|client reason=REQUESTED|FORMATION_FAILED|IDLE|UNAVAILABLE|GO_ENDING_SESSION|PSK_FAILURE|FREQ_CONFLICT` */
export interface P2pGroupRemovedEvent extends EventBase {
  readonly type: 'P2P-GROUP-REMOVED';
  readonly groupIfname: string;
  readonly role: P2pRole;
  readonly reason: string;
}
/** `AP-STA-CONNECTED <addr> p2p_dev_addr=<addr> [ip_addr=…]` / `AP-STA-DISCONNECTED <addr> p2p_dev_addr=<addr>` on the GO. */
export interface ApStaEvent extends EventBase {
  readonly type: 'AP-STA-CONNECTED' | 'AP-STA-DISCONNECTED';
  /** The client's interface address. */
  readonly address: string;
  readonly p2pDevAddr?: string;
  readonly ipAddr?: string;
}
/** `P2P-INVITATION-RECEIVED sa=<a> [go_dev_addr=<a>] [bssid=<a>] [persistent=<id>] [freq=N]` */
export interface P2pInvitationReceivedEvent extends EventBase {
  readonly type: 'P2P-INVITATION-RECEIVED';
  readonly sa: string;
  readonly goDevAddr?: string;
  readonly bssid?: string;
  readonly persistentId?: number;
  readonly freq?: number;
}
/** `P2P-INVITATION-RESULT status=N [bssid]` */
export interface P2pInvitationResultEvent extends EventBase {
  readonly type: 'P2P-INVITATION-RESULT';
  readonly status: number;
  readonly bssid?: string;
}
/** `P2P-PROV-DISC-PBC-REQ <addr> p2p_dev_addr=<a> …` / `P2P-PROV-DISC-PBC-RESP <addr>` (provision discovery, join). */
export interface P2pProvDiscEvent extends EventBase {
  readonly type: 'P2P-PROV-DISC-PBC-REQ' | 'P2P-PROV-DISC-PBC-RESP';
  readonly address: string;
  readonly p2pDevAddr?: string;
}
/** `CTRL-EVENT-NETWORK-ADDED <id>` / `CTRL-EVENT-NETWORK-REMOVED <id>` */
export interface NetworkEvent extends EventBase {
  readonly type: 'CTRL-EVENT-NETWORK-ADDED' | 'CTRL-EVENT-NETWORK-REMOVED';
  readonly networkId: number;
}
/** `CTRL-EVENT-TERMINATING`: the daemon is exiting; monitors must re-attach to its successor. */
export interface TerminatingEvent extends EventBase {
  readonly type: 'CTRL-EVENT-TERMINATING';
}
/** Any other event, kept verbatim. */
export interface OtherEvent extends EventBase {
  readonly type: 'other';
  /** First word of the text (e.g. `CTRL-EVENT-SCAN-STARTED`), or `''` for free text such as debug lines. */
  readonly name: string;
  readonly args: Readonly<Record<string, string>>;
}

/** Every event {@link parseWpaEvent} can return. */
export type WpaEvent =
  | P2pDeviceFoundEvent
  | P2pDeviceLostEvent
  | P2pFindStoppedEvent
  | P2pGoNegRequestEvent
  | P2pGoNegSuccessEvent
  | P2pGoNegFailureEvent
  | P2pGroupFormationEvent
  | P2pGroupStartedEvent
  | P2pGroupRemovedEvent
  | ApStaEvent
  | P2pInvitationReceivedEvent
  | P2pInvitationResultEvent
  | P2pProvDiscEvent
  | NetworkEvent
  | TerminatingEvent
  | OtherEvent;

/** The `type` of a {@link WpaEvent}. */
export type WpaEventType = WpaEvent['type'];

/** Index of the `"` that ends a quoted value starting at `from` (skipping `\"` escapes), or the text's length. */
function closingQuote(text: string, from: number): number {
  let i = from;
  while (i < text.length && text[i] !== '"') i += text[i] === '\\' && i + 1 < text.length ? 2 : 1;
  return i;
}

const utf8Decoder = new TextDecoder('utf-8');

/**
 * hostap's `printf_decode` (src/utils/common.c), the inverse of the `printf_encode` wpa_supplicant writes SSIDs and
 * names with: `\\`, `\"`, `\n`, `\r`, `\t`, `\e` and `\xNN` (one byte). The bytes are read as UTF-8 (invalid
 * sequences become U+FFFD), so a UTF-8 SSID comes back as the string it was made from.
 */
export function printfDecode(text: string): string {
  const out: number[] = [];
  for (let i = 0; i < text.length; ) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      const e = text[i + 1]!;
      if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 2, i + 4))) {
        out.push(Number.parseInt(text.slice(i + 2, i + 4), 16));
        i += 4;
        continue;
      }
      const simple = e === 'n' ? 0x0a : e === 'r' ? 0x0d : e === 't' ? 0x09 : e === 'e' ? 0x1b : undefined;
      if (simple !== undefined) out.push(simple);
      else out.push(...Buffer.from(e, 'utf8'));
      i += 2;
      continue;
    }
    const cp = text.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    out.push(...Buffer.from(ch, 'utf8'));
    i += ch.length;
  }
  return utf8Decoder.decode(Uint8Array.from(out));
}

/**
 * Splits event arguments into positional words and `key=value` pairs. Values in `"…"` are decoded with
 * hostap's `printf_decode` escapes (`\\`, `\"`, `\n`, `\xNN`) and read as UTF-8 (`printfDecode`); values in `'…'` (device names) run to the quote that is
 * followed by a space or the end.
 */
export function tokenize(text: string): { words: string[]; args: Record<string, string> } {
  const words: string[] = [];
  const args: Record<string, string> = {};
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && text[i] === ' ') i++;
    if (i >= n) break;
    let key = '';
    const start = i;
    while (i < n && text[i] !== ' ' && text[i] !== '=') i++;
    if (i < n && text[i] === '=') {
      key = text.slice(start, i);
      i++;
      const q = text[i];
      if (q === '"') {
        const close = closingQuote(text, i + 1);
        args[key] = printfDecode(text.slice(i + 1, close));
        i = close + 1;
      } else if (q === "'") {
        let end = i + 1;
        for (;;) {
          const j = text.indexOf("'", end);
          if (j < 0) {
            end = n;
            break;
          }
          if (j + 1 >= n || text[j + 1] === ' ') {
            end = j;
            break;
          }
          end = j + 1;
        }
        args[key] = text.slice(i + 1, end);
        i = end + 1;
      } else {
        const s = i;
        while (i < n && text[i] !== ' ') i++;
        args[key] = text.slice(s, i);
      }
    } else {
      words.push(text.slice(start, i));
    }
  }
  return { words, args };
}

/**
 * The free-text fields hostap prints **unescaped** between fixed delimiters, per event: a peer's WPS device name
 * (`name='%s'` in `wpas_dev_found` and the provision discovery requests; p2p_parse.c only replaces control
 * characters, so quotes and spaces stay) and a
 * group's passphrase (`passphrase="%s"` in `wpas_p2p_group_started`, the stored text as it is — any printable ASCII,
 * unlike the SSID before it, which `wpa_ssid_txt` printf-encodes). Everything after such a field is hostap's own
 * fixed-format text, so the field runs from its opening delimiter to the **last** closing one.
 */
const RAW_FIELDS: Readonly<Record<string, { key: string; open: string; close: string }>> = {
  'P2P-DEVICE-FOUND': { key: 'name', open: " name='", close: "' config_methods=" },
  // wpas_prov_disc_req / wpas_prov_disc_resp: `<addr> [pin] p2p_dev_addr=… pri_dev_type=… name='%s' config_methods=…`
  'P2P-PROV-DISC-PBC-REQ': { key: 'name', open: " name='", close: "' config_methods=" },
  'P2P-PROV-DISC-SHOW-PIN': { key: 'name', open: " name='", close: "' config_methods=" },
  'P2P-PROV-DISC-ENTER-PIN': { key: 'name', open: " name='", close: "' config_methods=" },
  'P2P-GROUP-STARTED': { key: 'passphrase', open: ' passphrase="', close: '" go_dev_addr=' },
};

/**
 * {@link tokenize} for the arguments of event `name`, with its raw field ({@link RAW_FIELDS}) cut out first and
 * kept verbatim, so text inside it can neither end it early nor set other fields. Without both delimiters (a
 * truncated or unfamiliar line) the plain tokenizer decides.
 */
function tokenizeEvent(name: string, rest: string): { words: string[]; args: Record<string, string> } {
  const raw = RAW_FIELDS[name];
  const i = raw ? rest.indexOf(raw.open) : -1;
  const j = raw && i >= 0 ? rest.lastIndexOf(raw.close) : -1;
  if (!raw || i < 0 || j < i + raw.open.length) return tokenize(rest);
  const t = tokenize(`${rest.slice(0, i)}${rest.slice(j + 1)}`);
  t.args[raw.key] = rest.slice(i + raw.open.length, j);
  return t;
}

const int = (v: string | undefined, base = 10): number =>
  v === undefined ? Number.NaN : Number.parseInt(v, base);
const hex = (v: string | undefined): number => int(v?.replace(/^0x/i, ''), 16);

/**
 * Parses one datagram from a monitor socket. Returns `undefined` when the datagram is not an event (no leading
 * `<N>`): that is a command reply. Unknown events come back as `{ type: 'other' }`, never as an error. Quoted values
 * are printf-decoded (`ssid="…"`), except the fields hostap prints unescaped (`P2P-DEVICE-FOUND`'s `name='…'`,
 * `P2P-GROUP-STARTED`'s `passphrase="…"`), which are taken verbatim up to their fixed closing text.
 */
export function parseWpaEvent(datagram: string): WpaEvent | undefined {
  const m = /^<(\d+)>/.exec(datagram);
  if (!m) return undefined;
  const level = Number(m[1]);
  let raw = datagram.slice(m[0].length).replace(/\n$/, '');
  let ifname: string | undefined;
  const ifm = /^IFNAME=(\S+) /.exec(raw);
  if (ifm) {
    ifname = ifm[1];
    raw = raw.slice(ifm[0].length);
  }
  const sp = raw.indexOf(' ');
  const name = sp < 0 ? raw : raw.slice(0, sp);
  const rest = sp < 0 ? '' : raw.slice(sp + 1);
  const { words, args } = tokenizeEvent(name, rest);
  const base = ifname === undefined ? { level, raw } : { level, raw, ifname };
  const role = (w: string | undefined): P2pRole => (w === 'GO' ? 'GO' : 'client');
  switch (name) {
    case 'P2P-DEVICE-FOUND':
      return {
        ...base,
        type: name,
        address: words[0] ?? '',
        p2pDevAddr: args.p2p_dev_addr ?? words[0] ?? '',
        priDevType: args.pri_dev_type ?? '',
        name: args.name ?? '',
        configMethods: hex(args.config_methods),
        devCapab: hex(args.dev_capab),
        groupCapab: hex(args.group_capab),
        isNew: args.new === '1',
      };
    case 'P2P-DEVICE-LOST':
      return { ...base, type: name, p2pDevAddr: args.p2p_dev_addr ?? '' };
    case 'P2P-FIND-STOPPED':
      return { ...base, type: name };
    case 'P2P-GO-NEG-REQUEST':
      return {
        ...base,
        type: name,
        address: words[0] ?? '',
        devPasswdId: int(args.dev_passwd_id),
        goIntent: int(args.go_intent),
      };
    case 'P2P-GO-NEG-SUCCESS':
      return {
        ...base,
        type: name,
        role: role(args.role),
        freq: int(args.freq),
        ht40: args.ht40 === '1',
        peerDev: args.peer_dev ?? '',
        peerIface: args.peer_iface ?? '',
        wpsMethod: args.wps_method ?? '',
      };
    case 'P2P-GO-NEG-FAILURE':
      return { ...base, type: name, status: int(args.status) };
    case 'P2P-GROUP-FORMATION-SUCCESS':
    case 'P2P-GROUP-FORMATION-FAILURE':
      return { ...base, type: name };
    case 'P2P-GROUP-STARTED': {
      const e: P2pGroupStartedEvent = {
        ...base,
        type: name,
        groupIfname: words[0] ?? '',
        role: role(words[1]),
        ssid: args.ssid ?? '',
        freq: int(args.freq),
        goDevAddr: args.go_dev_addr ?? '',
        persistent: words.includes('[PERSISTENT]') || words.includes('PERSISTENT'),
      };
      return {
        ...e,
        ...(args.psk !== undefined && { psk: args.psk }),
        ...(args.passphrase !== undefined && { passphrase: args.passphrase }),
        ...(args.ip_addr !== undefined && { ipAddr: args.ip_addr }),
        ...(args.ip_mask !== undefined && { ipMask: args.ip_mask }),
        ...(args.go_ip_addr !== undefined && { goIpAddr: args.go_ip_addr }),
      };
    }
    case 'P2P-GROUP-REMOVED':
      return {
        ...base,
        type: name,
        groupIfname: words[0] ?? '',
        role: role(words[1]),
        reason: args.reason ?? '',
      };
    case 'AP-STA-CONNECTED':
    case 'AP-STA-DISCONNECTED':
      return {
        ...base,
        type: name,
        address: words[0] ?? '',
        ...(args.p2p_dev_addr !== undefined && { p2pDevAddr: args.p2p_dev_addr }),
        ...(args.ip_addr !== undefined && { ipAddr: args.ip_addr }),
      };
    case 'P2P-INVITATION-RECEIVED':
      return {
        ...base,
        type: name,
        sa: args.sa ?? '',
        ...(args.go_dev_addr !== undefined && { goDevAddr: args.go_dev_addr }),
        ...(args.bssid !== undefined && { bssid: args.bssid }),
        ...(args.persistent !== undefined && { persistentId: int(args.persistent) }),
        ...(args.freq !== undefined && { freq: int(args.freq) }),
      };
    case 'P2P-INVITATION-RESULT':
      return {
        ...base,
        type: name,
        status: int(args.status),
        ...(words[0] !== undefined && { bssid: words[0] }),
      };
    case 'P2P-PROV-DISC-PBC-REQ':
    case 'P2P-PROV-DISC-PBC-RESP':
      return {
        ...base,
        type: name,
        address: words[0] ?? '',
        ...(args.p2p_dev_addr !== undefined && { p2pDevAddr: args.p2p_dev_addr }),
      };
    case 'CTRL-EVENT-NETWORK-ADDED':
    case 'CTRL-EVENT-NETWORK-REMOVED':
      return { ...base, type: name, networkId: int(words[0]) };
    case 'CTRL-EVENT-TERMINATING':
      return { ...base, type: name };
    default:
      return { ...base, type: 'other', name: /^[A-Z0-9-]+$/.test(name) ? name : '', args };
  }
}

/** The event interface whose `type` can be `T` (works for interfaces covering several names). */
export type WpaEventOf<T extends WpaEventType> = WpaEvent extends infer E
  ? E extends { type: infer U }
    ? T extends U
      ? E
      : never
    : never
  : never;
