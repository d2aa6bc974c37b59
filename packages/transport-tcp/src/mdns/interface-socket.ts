import { createSocket, type RemoteInfo } from 'node:dgram';
import type { Answer, Packet } from 'dns-packet';
import makeMdns from 'multicast-dns';
import { MDNS_IPV4_GROUP, MDNS_IPV6_GROUP } from '../constants.js';
import { mdnsLog } from '../log.js';
import { isOnLink, type SelectedInterface } from './interfaces.js';
import type { OutgoingMessage, ResourceRecord } from './records.js';

/** A decoded mDNS message as received. */
export type MdnsPacket = Packet & {
  readonly questions?: Packet['questions'];
  readonly answers?: Packet['answers'];
  readonly additionals?: Packet['additionals'];
  readonly authorities?: Packet['authorities'];
};

/** Receives every mDNS message attributed to one interface. */
export type PacketHandler = (packet: MdnsPacket, from: RemoteInfo, socket: InterfaceSocket) => void;

/**
 * One `multicast-dns` socket for one interface and family: it joins 224.0.0.251 (or ff02::fb) on that interface
 * only and sends through it (IP_MULTICAST_IF / IPV6_MULTICAST_IF), so discovery sends on every selected interface
 * (multicast-dns alone sends on one).
 *
 * Linux delivers IPv4 group traffic to every socket bound to the port (IP_MULTICAST_ALL), whichever interface
 * joined, and Node exposes no IP_PKTINFO: a message is attributed to this interface when its source is on the
 * interface's subnet, or for IPv6 carries its zone (the RFC 6762 §11 on-link check), which also keeps one copy
 * per message.
 */
export class InterfaceSocket {
  #iface: SelectedInterface;
  readonly #mdns: makeMdns.MulticastDNS;
  readonly #port: number;
  #closed = false;

  constructor(iface: SelectedInterface, options: { bind: string; port: number }, onPacket: PacketHandler) {
    this.#iface = iface;
    this.#port = options.port;
    const v6 = iface.family === 6;
    this.#mdns = makeMdns({
      type: v6 ? 'udp6' : 'udp4',
      interface: iface.socketInterface,
      // A socket bound to a unicast address gets no group traffic (toolchain.md); IPv6 binds the wildcard.
      bind: v6 ? '::' : options.bind,
      port: options.port,
      ip: v6 ? MDNS_IPV6_GROUP : MDNS_IPV4_GROUP,
      // IPv6-only, so a wildcard udp6 socket never also receives the IPv4 group's traffic.
      ...(v6
        ? { socket: createSocket({ type: 'udp6', reuseAddr: true, ipv6Only: true }) }
        : { reuseAddr: true }),
      loopback: true,
      ttl: 255,
    });
    // multicast-dns emits every decoded message as 'packet' (its typings only list 'query'/'response').
    (this.#mdns as NodeJS.EventEmitter).on('packet', (packet: MdnsPacket, from: RemoteInfo) => {
      if (this.#closed || !isOnLink(this.#iface, from.address)) return;
      onPacket(packet, from, this);
    });
    this.#mdns.on('warning', (err: Error) => mdnsLog('%s warning: %s', iface.key, err.message));
    this.#mdns.on('error', (err: Error) => mdnsLog('%s error: %s', iface.key, err.message));
  }

  /** The interface this socket runs on. */
  get iface(): SelectedInterface {
    return this.#iface;
  }

  /** Takes a new description of the same interface (same name and IPv4; other addresses changed). */
  update(iface: SelectedInterface): void {
    this.#iface = iface;
  }

  /** The mDNS UDP port this socket uses. */
  get port(): number {
    return this.#port;
  }

  /**
   * Multicasts `packet` on this interface (or unicasts it to `to`). Resolves once handed to the kernel; send errors
   * (ENETUNREACH, EADDRNOTAVAIL when the interface just vanished) are logged, never thrown: the interface scan
   * takes care of vanished interfaces.
   */
  send(message: OutgoingMessage, to?: { address: string; port: number }): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const packet = toPacket(message);
    return new Promise((resolve) => {
      const done = (err?: Error | null) => {
        if (err) mdnsLog('%s send failed: %s', this.iface.key, err.message);
        resolve();
      };
      try {
        if (packet.type === 'response')
          this.#mdns.respond(packet as makeMdns.ResponseOutgoingPacket, to, done);
        else this.#mdns.query(packet as makeMdns.QueryOutgoingPacket, to, done);
      } catch (err) {
        done(err as Error);
      }
    });
  }

  /** Leaves the group and closes the socket. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return new Promise((resolve) => this.#mdns.destroy(() => resolve()));
  }
}

function toPacket(m: OutgoingMessage): Packet {
  const records = (rs: readonly ResourceRecord[] | undefined) =>
    (rs ?? []).map(
      (r) =>
        ({
          name: r.name,
          type: r.type,
          ttl: r.ttl,
          data: r.data,
          flush: r.flush ?? false,
          class: 'IN',
        }) as Answer,
    );
  return {
    type: m.type,
    id: m.id ?? 0,
    questions: (m.questions ?? []).map((q) => ({
      name: q.name,
      type: q.type,
      class: 'IN',
    })) as Packet['questions'],
    answers: records(m.answers),
    authorities: records(m.authorities),
    additionals: records(m.additionals),
  };
}
