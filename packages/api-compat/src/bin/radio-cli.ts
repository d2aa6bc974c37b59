/**
 * `colink-device radio …`: the virtual BLE radio from the command line, so device processes (`COLINK_BLE_RADIO`) can
 * share one and a user can inject its range fault from outside while they talk.
 *
 * - `colink-device radio <socket>` runs a virtual LE radio (LE 2M PHY, data length extension, 15 ms connection
 *   interval, real-time pacing, adverts every 100 ms) shared through a `RadioBroker` on the unix socket `<socket>`
 *   (which must not exist). Prints `{"event":"radio","socketPath":…}` when it listens; SIGINT/SIGTERM end it (the
 *   socket file is removed).
 * - `colink-device radio-range <socket> <BLE address> out|in` moves that device out of radio range (its adverts are
 *   lost, connections to it refused, its links dropped: peers see a supervision timeout) or back in. Prints the
 *   broker's reply (`{"ok":true,"linksDropped":1}`); exit status 0 on success, 1 on an error reply, 2 on bad usage or
 *   when no radio listens on `<socket>`.
 * @module
 */
import { RadioBroker, radioControl, VirtualRadio } from '@colink/transport-ble/virtual';

const USAGE = 'usage: colink-device radio <socket> | colink-device radio-range <socket> <BLE address> out|in';

/** Runs a radio subcommand (`argv` = the words after `colink-device`). Resolves with the exit status. */
export async function radioCommand(argv: readonly string[]): Promise<number> {
  const [sub, socketPath, address, where] = argv;
  if (sub === 'radio' && socketPath && argv.length === 2) {
    const radio = new VirtualRadio({
      model: { pacing: 'realtime', phy: '2M', maxDataLength: 251, intervalMs: 15 },
      advertisingIntervalMs: 100,
    });
    let broker: RadioBroker;
    try {
      broker = await RadioBroker.listen(radio, socketPath);
    } catch (e) {
      radio.close();
      process.stderr.write(`colink-device radio: ${e instanceof Error ? e.message : String(e)}\n`);
      return 2;
    }
    process.stdout.write(`${JSON.stringify({ event: 'radio', socketPath })}\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await broker.close();
    radio.close();
    return 0;
  }
  if (
    sub === 'radio-range' &&
    socketPath &&
    address &&
    (where === 'out' || where === 'in') &&
    argv.length === 4
  ) {
    try {
      const reply = await radioControl(socketPath, { control: 'range', address, inRange: where === 'in' });
      process.stdout.write(`${JSON.stringify(reply)}\n`);
      return reply.ok ? 0 : 1;
    } catch (e) {
      process.stderr.write(`colink-device radio-range: ${e instanceof Error ? e.message : String(e)}\n`);
      return 2;
    }
  }
  process.stderr.write(`${USAGE}\n`);
  return 2;
}
