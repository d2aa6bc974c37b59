import type { Link } from '@colink/core';
import type { LabDevices } from './devices.js';
import type { LabJournal } from './journal.js';
import type { LabLink } from './protocol.js';

/** The Links between the lab's devices as the UI shows them: opened and closed in the log, throughput sampled. */
export class LabLinks {
  /** Bytes carried so far and the last second's rate, per Link id (initiator side). */
  private readonly throughput = new Map<string, { bytes: number; rate: number }>();

  constructor(
    private readonly devices: LabDevices,
    private readonly journal: LabJournal,
  ) {}

  /** A Link of `owner` opened: logged once (from the initiator's side), and forgotten when it closes. */
  opened(owner: string, link: Link): void {
    const name = (id: string): string => this.devices.name(id);
    if (link.role === 'initiator') {
      this.journal.log(
        'link',
        `${name(owner)} ⇄ ${name(link.remote?.networkId ?? '')} link ${link.id} open over ${link.medium}`,
        owner,
      );
    }
    this.journal.changed();
    void link.closed.then((r) => {
      if (link.role === 'initiator')
        this.journal.log(
          'link',
          `link ${link.id} closed: ${r.code}${r.message ? ` (${r.message})` : ''}`,
          owner,
        );
      this.throughput.delete(link.id);
      this.journal.changed();
    });
  }

  /** Samples the bytes each Link carried since the last call (call once a second: rates are bytes per second). */
  sample(): void {
    let changed = false;
    for (const { link } of this.devices.links()) {
      if (link.role !== 'initiator') continue;
      const s = link.stats();
      const total = s.bytesSent + s.bytesReceived;
      const prev = this.throughput.get(link.id);
      const rate = prev ? total - prev.bytes : 0;
      this.throughput.set(link.id, { bytes: total, rate });
      changed = true;
    }
    if (changed) this.journal.changed();
  }

  /** The Links as the UI shows them: each once, from the initiator's side. */
  state(): Array<Omit<LabLink, 'sessions'>> {
    return this.devices
      .links()
      .filter(({ link }) => link.role === 'initiator')
      .map(({ owner, link }) => ({
        id: link.id,
        from: owner,
        to: link.remote?.networkId ?? '',
        medium: link.medium,
        state: link.state,
        rttMs: link.stats().srttMs,
        throughput: this.throughput.get(link.id)?.rate ?? 0,
        channels: link.openChannels.length,
      }));
  }
}
