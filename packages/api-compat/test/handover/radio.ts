// Radio control of the handover tests: the virtual BLE radio that every device process shares through a RadioBroker
// (the real noble/bleno stacks run in the devices), and range faults on it.
import { RadioBroker, VirtualRadio } from '@colink/transport-ble/virtual';

/** A virtual radio with instant pacing and 20 ms advertising, served to device processes at `broker.socketPath`. */
export async function bleRadio(): Promise<{
  radio: VirtualRadio;
  broker: RadioBroker;
  close(): Promise<void>;
}> {
  const radio = new VirtualRadio({ model: { pacing: 'instant' }, advertisingIntervalMs: 20 });
  const broker = await RadioBroker.listen(radio);
  return {
    radio,
    broker,
    async close() {
      await broker.close();
      radio.close();
    },
  };
}

/**
 * The devices `macs` leave each other's range (adverts lost, connections refused, links dropped), both ways so that
 * no re-dial gets through until {@link backInRange}; returns how many links were dropped.
 */
export function outOfRange(radio: VirtualRadio, ...macs: string[]): number {
  let dropped = 0;
  for (const mac of macs) dropped += radio.setInRange(mac, false);
  return dropped;
}

/** The devices `macs` are back in range. */
export function backInRange(radio: VirtualRadio, ...macs: string[]): void {
  for (const mac of macs) radio.setInRange(mac, true);
}
