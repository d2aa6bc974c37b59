#!/usr/bin/env node
import fs from 'node:fs';
import path from 'node:path';
import { runMemoryDemo } from './demo.js';
import { type CliCommand, CliError, parseCli } from './lab/cli.js';
import { Lab, type LabOptions } from './lab/lab.js';
import { netnsUnavailable, READY_LINE, runLabInNetns } from './lab/netns.js';
import { type LabServer, serveLab } from './lab/server.js';
import { runScenario, SCENARIOS } from './scenarios.js';

const HELP = `colink playground

  pnpm start                       the lab: three virtual devices and a web UI (prints its URL)
  pnpm start -- --port 4173        choose the UI port (default: 4173, or any free port if taken)
  pnpm start -- --netns            run the lab in its own network namespace (root; removed on exit)
  pnpm start -- --real             one real device on this machine's network and adapters, same UI
                                   (TCP + DNS-SD on the LAN; BLE via HCI adapter 0 if present; Wi-Fi Direct
                                   via COLINK_WPA_CTRL; trust via COLINK_ACCOUNT or binding; --name <name>)
  pnpm start -- --scenario <name>  run a seed scenario headless and print a transcript (${Object.keys(SCENARIOS).join(', ')})
  pnpm start -- --demo             the in-memory two-device transcript
`;

const UI_DIR = path.join(import.meta.dirname, 'ui');

async function main(): Promise<number | undefined> {
  const cmd = parseCli(process.argv.slice(2));
  switch (cmd.kind) {
    case 'help':
      process.stdout.write(HELP);
      return 0;
    case 'demo':
      await runMemoryDemo();
      return undefined;
    case 'scenario':
      await runScenario(cmd.name);
      return undefined;
    case 'real':
      return runLab(cmd, {
        devices: [{ name: cmd.name, type: 'pc' }],
        real: {
          stateDir: cmd.stateDir,
          ble: hasBluetoothAdapter(),
          ...(process.env.COLINK_ACCOUNT ? { account: process.env.COLINK_ACCOUNT } : {}),
          ...(process.env.COLINK_WPA_CTRL ? { wpaCtrl: process.env.COLINK_WPA_CTRL } : {}),
          ...(process.env.COLINK_BLE_ADDRESS ? { bleAddress: process.env.COLINK_BLE_ADDRESS } : {}),
        },
      });
    case 'lab':
      if (cmd.netns && !cmd.netnsChild) {
        const why = netnsUnavailable();
        if (why) throw new CliError(why);
        return runLabInNetns({
          port: cmd.port,
          command: [process.execPath, process.argv[1]!],
          out: process.stdout,
        });
      }
      return runLab(cmd, {});
  }
}

/** Runs the lab and its UI until SIGINT/SIGTERM. */
async function runLab(
  cmd: Extract<CliCommand, { kind: 'lab' | 'real' }>,
  options: LabOptions,
): Promise<undefined> {
  const lab = new Lab(options);
  await lab.start();
  const child = cmd.kind === 'lab' ? cmd.netnsChild : undefined;
  let server: LabServer;
  if (child) server = await serveLab(lab, { socketPath: child, uiDir: UI_DIR });
  else {
    try {
      server = await serveLab(lab, { port: cmd.port, uiDir: UI_DIR });
    } catch {
      server = await serveLab(lab, { port: 0, uiDir: UI_DIR });
    }
  }
  const names = lab
    .state()
    .devices.map((d) => d.name)
    .join(', ');
  if (cmd.kind === 'real') {
    const mediums = lab.state().devices[0]?.mediums.join(', ') ?? '';
    process.stdout.write(`colink playground: ${names} on this machine's network (${mediums})\n`);
  } else {
    process.stdout.write(`colink playground lab: ${names} on loopback (mDNS port ${lab.mdnsPort})\n`);
  }
  // Inside a namespace the CLI outside serves the UI and prints its URL once we are ready.
  process.stdout.write(child ? `${READY_LINE}\n` : `open ${server.url}\n`);
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nstopping the lab…\n');
    await server.close();
    await lab.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  process.on('SIGHUP', () => void stop());
  return undefined;
}

/** Whether this machine has a Bluetooth HCI adapter (hci0). */
function hasBluetoothAdapter(): boolean {
  return fs.existsSync('/sys/class/bluetooth/hci0');
}

main().then(
  (code) => {
    if (code !== undefined) process.exit(code);
  },
  (e: unknown) => {
    if (e instanceof CliError) {
      process.stderr.write(`colink playground: ${e.message}\n(see --help)\n`);
      process.exit(2);
    }
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
