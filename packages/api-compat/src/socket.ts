/**
 * `@ohos.net.socket` on Node.js, the TCP and UDP part (interface_sdk-js `api/@ohos.net.socket.d.ts`):
 * `constructTCPSocketInstance`, `constructTCPSocketServerInstance`, `constructUDPSocketInstance` over `node:net` /
 * `node:dgram`, with the SDK's callback and promise forms and error codes (see `net-socket/errors.ts`): 401 thrown
 * synchronously, 201 (ohos.permission.INTERNET, `COLINK_PERMISSIONS`) and 2301000 + errno delivered through the
 * callback / rejection as `{ code, message }`. `connection.NetHandle.bindSocket` accepts these sockets.
 *
 * Import it as HarmonyOS code does: `import { socket } from '@kit.NetworkKit'` or `import socket from
 * '@ohos.net.socket'`. `constructTLSSocketInstance` / `constructTLSSocketServerInstance` give a TLS client and server over node:tls
 * (`net-socket/tls.ts`, `net-socket/tls-server.ts`). `constructMulticastSocketInstance` joins
 * IP multicast groups; `constructLocalSocketInstance` / `constructLocalSocketServerInstance` are Unix domain sockets.
 * @module
 */
export {
  constructLocalSocketInstance,
  constructLocalSocketServerInstance,
  type LocalAddress,
  type LocalConnectOptions,
  type LocalSendOptions,
  type LocalSocket,
  type LocalSocketConnection,
  type LocalSocketMessageInfo,
  type LocalSocketServer,
} from './net-socket/local.js';
export { constructMulticastSocketInstance, type MulticastSocket } from './net-socket/multicast.js';
export {
  constructTCPSocketInstance,
  constructTCPSocketServerInstance,
  type TCPSocket,
  type TCPSocketConnection,
  type TCPSocketServer,
} from './net-socket/tcp.js';
export {
  constructTLSSocketInstance,
  Protocol,
  type TLSConnectOptions,
  type TLSSecureOptions,
  type TLSSocket,
  type X509CertRawData,
} from './net-socket/tls.js';
export {
  constructTLSSocketServerInstance,
  type TLSSocketConnection,
  type TLSSocketServer,
} from './net-socket/tls-server.js';
export type {
  ExtraOptionsBase,
  NetAddress,
  ProxyOptions,
  SocketMessageInfo,
  SocketRemoteInfo,
  SocketStateBase,
  TCPConnectOptions,
  TCPExtraOptions,
  TCPSendOptions,
  UDPExtraOptions,
  UDPSendOptions,
} from './net-socket/types.js';
export { ProxyTypes } from './net-socket/types.js';
export { constructUDPSocketInstance, type UDPSocket } from './net-socket/udp.js';
