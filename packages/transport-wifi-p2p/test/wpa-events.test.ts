import { describe, expect, it } from 'vitest';
import { decodeVendorAdvert, encodeVendorAdvert, parsePeerReply, parseWpaEvent } from '../src/index.js';

describe('typed parsing of wpa_supplicant 2.10 events', () => {
  const a = '02:11:22:33:44:55';
  const b = '06:aa:bb:cc:dd:ee';
  it.each([
    [
      `<3>P2P-DEVICE-FOUND ${a} p2p_dev_addr=${a} pri_dev_type=10-0050F204-5 name='Living room TV' config_methods=0x188 dev_capab=0x25 group_capab=0x3 vendor_elems=1 new=1`,
      {
        type: 'P2P-DEVICE-FOUND',
        level: 3,
        address: a,
        p2pDevAddr: a,
        priDevType: '10-0050F204-5',
        name: 'Living room TV',
        configMethods: 0x188,
        devCapab: 0x25,
        groupCapab: 3,
        isNew: true,
      },
    ],
    [`<3>P2P-DEVICE-LOST p2p_dev_addr=${a}`, { type: 'P2P-DEVICE-LOST', p2pDevAddr: a }],
    ['<3>P2P-FIND-STOPPED', { type: 'P2P-FIND-STOPPED' }],
    [
      `<3>P2P-GO-NEG-REQUEST ${a} dev_passwd_id=4 go_intent=7`,
      { type: 'P2P-GO-NEG-REQUEST', address: a, devPasswdId: 4, goIntent: 7 },
    ],
    [
      `<3>P2P-GO-NEG-SUCCESS role=client freq=2437 ht40=0 peer_dev=${a} peer_iface=${b} wps_method=PBC`,
      {
        type: 'P2P-GO-NEG-SUCCESS',
        role: 'client',
        freq: 2437,
        ht40: false,
        peerDev: a,
        peerIface: b,
        wpsMethod: 'PBC',
      },
    ],
    ['<3>P2P-GO-NEG-FAILURE status=9', { type: 'P2P-GO-NEG-FAILURE', status: 9 }],
    ['<3>P2P-GO-NEG-FAILURE status=-1', { type: 'P2P-GO-NEG-FAILURE', status: -1 }],
    ['<3>P2P-GROUP-FORMATION-SUCCESS', { type: 'P2P-GROUP-FORMATION-SUCCESS' }],
    ['<3>P2P-GROUP-FORMATION-FAILURE', { type: 'P2P-GROUP-FORMATION-FAILURE' }],
    [
      `<3>P2P-GROUP-STARTED p2p-wlan0-0 GO ssid="DIRECT-ab \\"q\\"" freq=2412 passphrase="pass phrase" go_dev_addr=${a} [PERSISTENT]`,
      {
        type: 'P2P-GROUP-STARTED',
        groupIfname: 'p2p-wlan0-0',
        role: 'GO',
        ssid: 'DIRECT-ab "q"',
        freq: 2412,
        passphrase: 'pass phrase',
        goDevAddr: a,
        persistent: true,
      },
    ],
    [
      `<3>P2P-GROUP-STARTED p2p-wlan1-3 client ssid="DIRECT-xy" freq=5180 psk=${'ab'.repeat(32)} go_dev_addr=${a} ip_addr=192.168.49.7 ip_mask=255.255.255.0 go_ip_addr=192.168.49.1`,
      {
        type: 'P2P-GROUP-STARTED',
        groupIfname: 'p2p-wlan1-3',
        role: 'client',
        psk: 'ab'.repeat(32),
        persistent: false,
        ipAddr: '192.168.49.7',
        ipMask: '255.255.255.0',
        goIpAddr: '192.168.49.1',
      },
    ],
    [
      '<3>P2P-GROUP-REMOVED p2p-wlan0-0 client reason=GO_ENDING_SESSION',
      { type: 'P2P-GROUP-REMOVED', groupIfname: 'p2p-wlan0-0', role: 'client', reason: 'GO_ENDING_SESSION' },
    ],
    [
      `<3>AP-STA-CONNECTED ${b} p2p_dev_addr=${a} ip_addr=192.168.49.2`,
      { type: 'AP-STA-CONNECTED', address: b, p2pDevAddr: a, ipAddr: '192.168.49.2' },
    ],
    [
      `<3>AP-STA-DISCONNECTED ${b} p2p_dev_addr=${a}`,
      { type: 'AP-STA-DISCONNECTED', address: b, p2pDevAddr: a },
    ],
    [
      `<3>P2P-INVITATION-RECEIVED sa=${a} persistent=2 freq=2437`,
      { type: 'P2P-INVITATION-RECEIVED', sa: a, persistentId: 2, freq: 2437 },
    ],
    ['<3>P2P-INVITATION-RESULT status=0', { type: 'P2P-INVITATION-RESULT', status: 0 }],
    [
      `<3>P2P-PROV-DISC-PBC-REQ ${a} p2p_dev_addr=${a} name='x'`,
      { type: 'P2P-PROV-DISC-PBC-REQ', address: a, p2pDevAddr: a },
    ],
    ['<3>CTRL-EVENT-NETWORK-ADDED 4', { type: 'CTRL-EVENT-NETWORK-ADDED', networkId: 4 }],
    ['<3>CTRL-EVENT-NETWORK-REMOVED 0', { type: 'CTRL-EVENT-NETWORK-REMOVED', networkId: 0 }],
    ['<3>CTRL-EVENT-TERMINATING', { type: 'CTRL-EVENT-TERMINATING' }],
    [
      '<2>IFNAME=p2p-dev-wlan0 CTRL-EVENT-SCAN-STARTED ',
      { type: 'other', name: 'CTRL-EVENT-SCAN-STARTED', ifname: 'p2p-dev-wlan0', level: 2 },
    ],
    [
      "<2>Control interface command 'ADD_NETWORK'",
      { type: 'other', name: '', raw: "Control interface command 'ADD_NETWORK'" },
    ],
  ])('%s', (text, expected) => {
    expect(parseWpaEvent(text)).toMatchObject(expected);
  });

  it('P2P-GROUP-STARTED: the passphrase is raw text up to the last `" go_dev_addr=` (hostap prints it unencoded, unlike the SSID)', () => {
    // wpas_p2p_group_started: ssid="%s" with wpa_ssid_txt (printf_encode), passphrase="%s" as stored; a WPA
    // passphrase is any 8..63 printable ASCII characters, backslashes and quotes included
    const pass = 'a\\nb\\x41" freq=1 c';
    const e = parseWpaEvent(
      `<3>P2P-GROUP-STARTED p2p-wlan0-0 GO ssid="DIRECT-ab-\\\\x" freq=2412 passphrase="${pass}" go_dev_addr=${a} [PERSISTENT]`,
    );
    expect(e).toMatchObject({
      type: 'P2P-GROUP-STARTED',
      ssid: 'DIRECT-ab-\\x',
      freq: 2412,
      passphrase: pass,
      goDevAddr: a,
      persistent: true,
    });
  });

  it("P2P-DEVICE-FOUND: the device name is raw text up to the last `' config_methods=`; a name cannot set other fields", () => {
    // p2p_parse.c only replaces control characters in a peer's WPS device name (≤ 32 bytes): quotes and spaces
    // stay, and wpas_dev_found prints it as name='%s' after p2p_dev_addr and pri_dev_type
    for (const name of [`' p2p_dev_addr=${b}`, "x' new=1 group_capab=0x1 '", "Bob's TV", "'", '']) {
      const e = parseWpaEvent(
        `<3>P2P-DEVICE-FOUND ${a} p2p_dev_addr=${a} pri_dev_type=10-0050F204-5 name='${name}' config_methods=0x188 dev_capab=0x25 group_capab=0x0 new=0`,
      );
      expect(e, name).toMatchObject({
        type: 'P2P-DEVICE-FOUND',
        address: a,
        p2pDevAddr: a,
        priDevType: '10-0050F204-5',
        name,
        configMethods: 0x188,
        groupCapab: 0,
        isNew: false,
      });
    }
  });

  it('a datagram without <N> is a reply, not an event', () => {
    expect(parseWpaEvent('OK\n')).toBeUndefined();
    expect(parseWpaEvent('network id / ssid / bssid / flags\n')).toBeUndefined();
  });

  it('parses a P2P_PEER reply, and FAIL as no peer', () => {
    const reply = `${'02:11:22:33:44:55'}\npri_dev_type=1-0050F204-1\ndevice_name=tv\nconfig_methods=0x188\ndev_capab=0x25\ngroup_capab=0x1\nvendor_elems=dd05\n`;
    expect(parsePeerReply(reply)).toMatchObject({
      deviceAddress: '02:11:22:33:44:55',
      deviceName: 'tv',
      groupCapabilities: 1,
      vendorElems: 'dd05',
      status: 'available',
    });
    expect(parsePeerReply('FAIL\n')).toBeUndefined();
  });

  it('vendor-element advert round trip, long adverts split over several elements', () => {
    const advert = {
      networkId: 'ab'.repeat(32),
      deviceName: 'x'.repeat(63),
      deviceType: 'pc',
      services: ['svc.a', 'svc.b', 'c'.repeat(200)],
    };
    const hex = encodeVendorAdvert(advert);
    expect(hex.match(/dd..02434c01/g)!.length).toBeGreaterThan(1);
    expect(decodeVendorAdvert(`dd050011223344${hex}`)).toEqual(advert);
    expect(decodeVendorAdvert('')).toBeUndefined();
    expect(decodeVendorAdvert('dd0502434c01')).toBeUndefined(); // truncated element
  });
});
