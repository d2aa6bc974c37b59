/**
 * `NetHandle.bindSocket` on Node sockets: a `node:net` Socket's next `connect()` gets the network's source address
 * as `localAddress`; a `node:dgram` Socket's `bind()` (explicit, or the implicit one of `send`/`connect`) binds to
 * it. Node has no SO_BINDTODEVICE: the kernel routes by destination, so traffic leaves through the network only when
 * the destination is on-link there or a source policy rule sends that source address through it (see the
 * `@colink/net-monitor` README, "Source policy routing requirement").
 * @module
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Network } from '@colink/net-monitor';
import { BIND_TO_NETWORK, isNetworkBindable, type NetworkBindable } from '../net-socket/common.js';
import { netError } from './errors.js';

type Family = 4 | 6;

const WILDCARDS = new Set(['0.0.0.0', '::', '::0']);

function addressOf(network: Network, family: Family): string | undefined {
  return family === 4 ? network.localAddresses.ipv4 : network.localAddresses.ipv6;
}

/** Whether `s` is a socket `bindSocket` can bind: a Node socket or an `@ohos.net.socket` TCPSocket / UDPSocket. */
export function isBindableSocket(s: unknown): s is net.Socket | dgram.Socket | NetworkBindable {
  return s instanceof net.Socket || s instanceof dgram.Socket || isNetworkBindable(s);
}

/**
 * Binds `socket` to `network` (see the module comment). A `socket.TCPSocket` connects from the network's source
 * address; a `socket.UDPSocket` binds there (re-bound on the same port when it was bound to the wildcard address).
 * Throws 2100001 when the socket is already in use (a connected TCP socket, a UDP socket bound elsewhere).
 */
export async function bindToNetwork(
  socket: net.Socket | dgram.Socket | NetworkBindable,
  network: Network,
): Promise<void> {
  if (socket instanceof net.Socket) bindTcp(socket, network);
  else if (socket instanceof dgram.Socket) bindUdp(socket, network);
  else {
    try {
      await socket[BIND_TO_NETWORK]({ ipv4: network.localAddresses.ipv4, ipv6: network.localAddresses.ipv6 });
    } catch (e) {
      throw netError(2100001, e instanceof Error ? e.message : String(e));
    }
  }
}

function bindTcp(socket: net.Socket, network: Network): void {
  if (socket.connecting || socket.remoteAddress !== undefined || socket.destroyed)
    throw netError(2100001, 'bindSocket needs a TCP socket that is not connected yet');
  const connect = socket.connect;
  const patched = function (this: net.Socket, ...args: unknown[]): net.Socket {
    const [first, second, third] = Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
    if (typeof first === 'string' && Number.isNaN(Number(first)))
      return (connect as (...a: unknown[]) => net.Socket).apply(this, args); // IPC path: no network
    let listener: unknown = second;
    let options: Record<string, unknown>;
    if (typeof first === 'object' && first !== null) {
      options = { ...(first as Record<string, unknown>) };
    } else {
      options = { port: first };
      if (typeof second === 'string') {
        options.host = second;
        listener = third;
      }
    }
    if (options.path === undefined && options.localAddress === undefined) {
      const literal = net.isIP(String(options.host ?? ''));
      const wanted: Family = literal === 6 || (literal === 0 && options.family === 6) ? 6 : 4;
      const local = addressOf(network, wanted) ?? (literal === 0 ? addressOf(network, 6) : undefined);
      if (local !== undefined) {
        options.localAddress = local;
        if (literal === 0 && options.family === undefined) options.family = net.isIP(local);
      }
    }
    const call = connect as (...a: unknown[]) => net.Socket;
    return typeof listener === 'function' ? call.call(this, options, listener) : call.call(this, options);
  };
  socket.connect = patched as typeof socket.connect;
}

function bindUdp(socket: dgram.Socket, network: Network): void {
  const family: Family = (socket as unknown as { type?: string }).type === 'udp6' ? 6 : 4;
  const local = addressOf(network, family);
  if (local === undefined) throw netError(2100001, `network ${network.netId} has no IPv${family} address`);
  let bound: string | undefined;
  try {
    bound = socket.address().address;
  } catch {
    bound = undefined; // EBADF: not bound yet
  }
  if (bound !== undefined) {
    if (bound === local) return;
    throw netError(2100001, `the UDP socket is already bound to ${bound}`);
  }
  const bind = socket.bind;
  const patched = function (this: dgram.Socket, ...args: unknown[]): dgram.Socket {
    const [first, second, third] = args;
    if (typeof first === 'object' && first !== null) {
      const o = first as dgram.BindOptions;
      const options = o.address === undefined || WILDCARDS.has(o.address) ? { ...o, address: local } : o;
      return (bind as (...a: unknown[]) => dgram.Socket).call(this, options, second);
    }
    if (typeof second === 'string' && !WILDCARDS.has(second))
      return (bind as (...a: unknown[]) => dgram.Socket).apply(this, args);
    const callback = typeof second === 'function' ? second : third;
    return (bind as (...a: unknown[]) => dgram.Socket).call(
      this,
      { port: typeof first === 'number' ? first : 0, address: local },
      callback,
    );
  };
  socket.bind = patched as typeof socket.bind;
}
