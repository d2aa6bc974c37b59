/**
 * @packageDocumentation
 * `@colink/transport-wifi-p2p/testing`: a faithful fake of wpa_supplicant 2.10 for tests — any number of daemons on
 * one shared in-process medium, each serving a real unix datagram control socket, with GO Negotiation, groups,
 * fault switches and a real (network namespace) or loopback data path.
 */
export {
  type FakeDataPath,
  type FakeGroup,
  FakeP2pMedium,
  type FakeP2pMediumOptions,
  type FakeP2pStation,
  type FakePendingNegotiation,
} from './fake-medium.js';
export {
  derivePsk,
  type FakeDaemonAir,
  type FakeFaults,
  type FakeGroupInfo,
  type FakeGroupMembership,
  type FakeGroupParams,
  FakeWpaSupplicant,
  type FakeWpaSupplicantOptions,
  type NetworkBlock,
  type PendingConnect,
  printfEncode,
  ssidTxt,
  wpsPinChecksum,
} from './fake-wpa-supplicant.js';
export { addNetns, canUseNetns, deleteNetns, ip } from './netns.js';
