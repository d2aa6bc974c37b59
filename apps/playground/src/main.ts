#!/usr/bin/env node
import { runMemoryDemo } from './demo.js';

/**
 * The colink playground. Today: a transcript of two virtual devices collaborating over the in-memory medium.
 * The lab with its web UI grows here (issue #10).
 */
async function main(): Promise<void> {
  process.stdout.write('colink playground — two virtual devices, one collaboration session\n\n');
  await runMemoryDemo();
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
