import { type CloseReason, closeReason, type Link } from '@colink/core';
import type { Observable, Subscription } from 'rxjs';
import type { NetEvent, Network } from './types.js';

/** What {@link dropLinksOnNetworkLoss} drops Links on: core's `LocalDevice` (its `dropLinksFrom`). */
export interface LinkDropTarget {
  /** Drops at once every Link running from one of `hosts` (IP addresses) with `reason`; returns those dropped. */
  dropLinksFrom(hosts: Iterable<string>, reason?: CloseReason): readonly Link[];
}

/** The part of a {@link NetMonitor} that {@link dropLinksOnNetworkLoss} follows. */
export interface NetworkSource {
  /** The networks now (each with its interface and addresses). */
  readonly networks: readonly Network[];
  /** The list of networks, replayed to each subscriber and emitted on every change. */
  readonly networks$: Observable<readonly Network[]>;
  /** Changes as they happen: addresses added/removed, interfaces up/down, the default network switched. */
  readonly events$: Observable<NetEvent>;
}

/** Why {@link dropLinksOnNetworkLoss} dropped Links. */
export type NetworkLossCause =
  /** The addresses left a network that is still there (`ip addr del`, DHCP lease gone). */
  | 'address-removed'
  /**
   * The network is gone: its interface went down, lost carrier, or was deleted — or its last usable address was
   * removed (an interface without one is no network).
   */
  | 'network-lost'
  /** The network stopped being the default one (only with `dropOnDefaultSwitch`). */
  | 'default-switched';

/** One drop made by {@link dropLinksOnNetworkLoss}. */
export interface NetworkLossDrop {
  readonly cause: NetworkLossCause;
  /** The local addresses that are gone. */
  readonly addresses: readonly string[];
  /** The Links dropped (possibly none: no Link ran from those addresses). */
  readonly links: readonly Link[];
  /** Interface of the network the addresses belonged to. */
  readonly interfaceName: string;
}

/** Options of {@link dropLinksOnNetworkLoss}. */
export interface NetworkLossOptions {
  /**
   * Also drop the Links running from the addresses of a network that stopped being the default one while it is
   * still up. Default false: such a path still works (a LAN or a Wi-Fi P2P group stays usable beside a new default
   * network), and a network that really went away is dropped as `network-lost` anyway.
   */
  readonly dropOnDefaultSwitch?: boolean;
  /** Called after each drop (for logs, events, re-dial decisions). */
  readonly onDrop?: (drop: NetworkLossDrop) => void;
  /**
   * Called with the addresses that appeared (a new network, or a new address on one): where re-advertising and
   * re-dialling can start. transport-tcp's DNS-SD follows interfaces by itself (`scanIntervalMs`, 1 s).
   */
  readonly onAddresses?: (added: readonly string[], network: Network) => void;
}

/** Addresses of every network, by address (IPv6 without zone, lower case) → the network. */
function addressMap(networks: readonly Network[]): Map<string, Network> {
  const map = new Map<string, Network>();
  for (const n of networks)
    for (const a of n.properties.linkAddresses) map.set(a.address.address.toLowerCase().split('%')[0]!, n);
  return map;
}

/**
 * Network change as immediate Link loss: follows `monitor` and, whenever a local address stops being usable — it was
 * removed, or its network went away (interface down, carrier lost, interface deleted) — drops at once every Link of
 * `device` running from that address (`LocalDevice.dropLinksFrom`, reason `lost` with
 * `detail: { cause: 'network-change', address }`), instead of leaving it to the keep-alive timeout (30 s by
 * default). The peer connection of each dropped Link moves its channels to another live Link of the peer at once
 * (sessions see nothing), or re-dials for its grace period; the peer, which may not see the change itself, follows
 * the move (PROTOCOL.md §8.1).
 *
 * This is the wiring between net-monitor and core (core does not depend on net-monitor). Only changes after the
 * call count: call it once the device runs. Returns the subscription; unsubscribe to stop.
 *
 * @example
 * ```ts
 * const monitor = await NetMonitor.start();
 * const watch = dropLinksOnNetworkLoss(monitor, device, {
 *   onDrop: (d) => console.log(`${d.interfaceName}: ${d.cause}, ${d.links.length} link(s) dropped`),
 * });
 * ```
 */
export function dropLinksOnNetworkLoss(
  monitor: NetworkSource,
  device: LinkDropTarget,
  options: NetworkLossOptions = {},
): Subscription {
  let known = addressMap(monitor.networks);
  const drop = (cause: NetworkLossCause, addresses: string[], network: Network): void => {
    if (addresses.length === 0) return;
    const links = device.dropLinksFrom(
      addresses,
      closeReason('lost', `${network.interfaceName}: ${cause} (${addresses.join(', ')})`, {
        detail: {
          cause: 'network-change',
          change: cause,
          address: addresses[0],
          interface: network.interfaceName,
        },
      }),
    );
    options.onDrop?.({ cause, addresses, links, interfaceName: network.interfaceName });
  };
  const sub = monitor.networks$.subscribe((networks) => {
    const now = addressMap(networks);
    const aliveIds = new Set(networks.map((n) => n.netId));
    const gone = new Map<Network, string[]>();
    for (const [address, network] of known) {
      if (now.has(address)) continue;
      const list = gone.get(network) ?? [];
      list.push(address);
      gone.set(network, list);
    }
    const added = new Map<Network, string[]>();
    for (const [address, network] of now) {
      if (known.has(address)) continue;
      const list = added.get(network) ?? [];
      list.push(address);
      added.set(network, list);
    }
    known = now;
    for (const [network, addresses] of gone)
      drop(aliveIds.has(network.netId) ? 'address-removed' : 'network-lost', addresses, network);
    for (const [network, addresses] of added) options.onAddresses?.(addresses, network);
  });
  if (options.dropOnDefaultSwitch) {
    sub.add(
      monitor.events$.subscribe((e) => {
        if (e.type !== 'defaultChanged' || !e.previous) return;
        const still = monitor.networks.find((n) => n.netId === e.previous!.netId);
        if (!still) return; // gone: dropped as network-lost
        drop(
          'default-switched',
          still.properties.linkAddresses.map((a) => a.address.address.toLowerCase().split('%')[0]!),
          still,
        );
      }),
    );
  }
  return sub;
}
