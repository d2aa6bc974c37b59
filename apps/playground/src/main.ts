#!/usr/bin/env node
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runMemoryDemo } from './demo.js';
import { Lab } from './lab/lab.js';
import { serveLab } from './lab/server.js';
import { runScenario, SCENARIOS } from './scenarios.js';

const HELP = `colink playground

  pnpm start                       the lab: three virtual devices and a web UI (prints its URL)
  pnpm start -- --port 4173        choose the UI port (default: 4173, or any free port if taken)
  pnpm start -- --scenario <name>  run a seed scenario headless and print a transcript (${Object.keys(SCENARIOS).join(', ')})
  pnpm start -- --demo             the in-memory two-device transcript
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string' },
      port: { type: 'string' },
      demo: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (values.demo) return runMemoryDemo();
  if (values.scenario) return runScenario(values.scenario);

  const lab = new Lab();
  await lab.start();
  const uiDir = path.join(import.meta.dirname, 'ui');
  let server: Awaited<ReturnType<typeof serveLab>>;
  try {
    server = await serveLab(lab, { port: Number(values.port ?? 4173), uiDir });
  } catch {
    server = await serveLab(lab, { port: 0, uiDir });
  }
  process.stdout.write(
    `colink playground lab: ${lab
      .state()
      .devices.map((d) => d.name)
      .join(', ')} on loopback (mDNS port ${lab.mdnsPort})\n`,
  );
  process.stdout.write(`open ${server.url}\n`);
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
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
