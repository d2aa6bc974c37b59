import { NetBearType, NetCap, NetMonitor, type Network } from '@colink/net-monitor';
import type { LabJournal } from './journal.js';
import type { LabNetwork } from './protocol.js';

const BEARER_NAMES = new Map<number, string>(Object.entries(NetBearType).map(([k, v]) => [v, k]));
const CAP_NAMES = new Map<number, string>(Object.entries(NetCap).map(([k, v]) => [v, k]));

/** This machine's networks as net-monitor sees them (read-only; no validation probes), for the network panel. */
export class LabNetworks {
  private monitor: NetMonitor | undefined;

  constructor(private readonly journal: LabJournal) {}

  /** Starts watching; when net-monitor cannot run here, logs why and shows no networks. */
  async start(): Promise<void> {
    try {
      this.monitor = await NetMonitor.start();
      this.journal.log(
        'network',
        `net-monitor watching ${this.monitor.networks.length} network(s) via ${this.monitor.source}`,
      );
      this.monitor.events$.subscribe((e) => {
        const net =
          'network' in e && e.network ? `${e.network.interfaceName} (netId ${e.network.netId})` : '';
        this.journal.log('network', `${e.type} ${net}`.trim());
        this.journal.changed();
      });
    } catch (e) {
      this.journal.log('error', `net-monitor unavailable: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Stops watching. */
  async close(): Promise<void> {
    await this.monitor?.close();
  }

  /** The networks, with the event source in use (undefined when not watching). */
  state(): { networks: LabNetwork[]; networkSource: string | undefined } {
    const def = this.monitor?.defaultNetwork?.netId;
    const networks = (this.monitor?.networks ?? []).map((n: Network) => ({
      netId: n.netId,
      interfaceName: n.interfaceName,
      bearer: BEARER_NAMES.get(n.capabilities.bearerTypes[0] ?? -1) ?? 'unknown',
      isDefault: n.netId === def,
      virtual: n.virtual,
      addresses: n.properties.linkAddresses.map((a) => `${a.address.address}/${a.prefixLength}`),
      caps: n.capabilities.networkCap.map((c) =>
        (CAP_NAMES.get(c) ?? String(c)).replace('NET_CAPABILITY_', ''),
      ),
      mtu: n.properties.mtu,
    }));
    return { networks, networkSource: this.monitor?.source };
  }
}
