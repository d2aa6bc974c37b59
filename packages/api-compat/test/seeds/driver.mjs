// The device-side driver of the seed-block suite, preloaded into a device process (`--import`): it reads JSON
// commands on stdin and reports JSON lines on stdout, so the test decides when "the reader" runs the next block.
//   {"op":"run","id","file","again"?,"page"?,"call"?,"thisPage"?,"arg"?}  import the composed block module (again: a fresh
//       evaluation); page: `new module[page]()`, call: then call that method (or the default export's method);
//       thisPage: call the default export with `this` = the shared page object (fragments written as method bodies).
//       arg: `globalThis.__seedArg` for a harness module. Reports {"ev":"done","id"} or {"ev":"failed","id","message"}.
//   {"op":"sync","id"}   writes the stderr sentinel `@@seed-sync <id>` then reports {"ev":"synced","id"} (also
//       written before every "done").
//   {"op":"step","id"}   releases `await __seedStep(id)` inside a composed module (reported as {"ev":"barrier","id"}).
//   {"op":"exit"}
// Plain JavaScript on purpose: it loads before (and independently of) the TypeScript hooks of the process.
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

/** The stderr line that ends a run or a sync (see device.ts). */
const SYNC_MARK = '@@seed-sync ';
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const barriers = new Map();
globalThis.__seedStep = (id) =>
  new Promise((resolve) => {
    barriers.set(id, resolve);
    out({ ev: 'barrier', id });
  });
// The page object a fragment written as a method body runs on (its `this`), shared by the blocks of one device.
globalThis.__seedPage = { sessionId: -1 };

async function run(cmd) {
  globalThis.__seedArg = cmd.arg;
  const url = pathToFileURL(cmd.file).href + (cmd.again ? `?again=${cmd.again}` : '');
  const m = await import(url);
  if (cmd.page) {
    const page = new m[cmd.page]();
    if (cmd.call) await page[cmd.call]();
  } else if (cmd.thisPage) {
    await m.default.call(globalThis.__seedPage);
  } else if (cmd.call) {
    await new m.default()[cmd.call]();
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const cmd = JSON.parse(line);
  if (cmd.op === 'run')
    run(cmd).then(
      () => {
        // stdout and stderr are separate pipes: the sentinel tells the test that every stderr line (hilog) written
        // before the run ended has arrived, so counting log lines after 'done' does not race.
        process.stderr.write(`${SYNC_MARK}${cmd.id}\n`);
        out({ ev: 'done', id: cmd.id });
      },
      (e) => out({ ev: 'failed', id: cmd.id, message: String(e?.stack ?? e) }),
    );
  else if (cmd.op === 'sync') {
    process.stderr.write(`${SYNC_MARK}${cmd.id}\n`);
    out({ ev: 'synced', id: cmd.id });
  } else if (cmd.op === 'step') barriers.get(cmd.id)?.();
  else if (cmd.op === 'exit') process.exit(0);
});
out({ ev: 'driver' });
