#!/usr/bin/env node
// egress-watch: runs a command and counts the packets of ITS process tree that leave the host through a default-route
// interface (issue 16: "a capture of the default interface during `pnpm test` and `pnpm start` shows 0 packets apart
// from the kernel's own ARP / neighbour discovery"). Root only; Linux with cgroup v2, nftables and tcpdump.
//
//   node scripts/egress-watch.mjs [--iface <dev>]… [--pcap <file>] [--report <file>] [--quiet] [--if-supported]
//                                 -- <command> [args…]
//
// How it attributes packets to the command, so that whatever else runs on the host is never counted:
// - the command runs in a cgroup v2 of its own (`colink-egress-<pid>` at the root of the cgroup2 hierarchy); every
//   process it starts inherits it, and so does every socket they open;
// - an nftables table of its own (`inet colink_egress_<pid>`) counts and NFLOGs, on the output hook, the packets
//   that leave through a default-route interface from a socket of that cgroup (`socket cgroupv2`), and on the
//   forward hook every packet routed out through such an interface (a network namespace of the command's leaking
//   through this host; with forwarding off, as here and on CI, there are none);
// - `tcpdump -i nflog:<group>` prints exactly those packets. The kernel's own ARP, neighbour discovery and MLD come
//   from no socket, so they are never counted.
// With `--pcap <file>` it also captures the whole default interface (host background included) for the record, and
// reports how many packets that capture holds.
//
// Exit status: 1 when any packet of the command left (or was forwarded out), else the command's own status.
// The report goes to stderr (with `--quiet`: only when packets left) and, with `--report <file>`, to that file.
// 2 for a usage or setup error (not root, no cgroup2, nft or tcpdump missing) — unless `--if-supported`, which then
// warns and runs the command unwatched (CI uses it: a machine that cannot watch is not a leak). The table, the cgroup
// and the captures are removed however it ends.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { parseArgs } from 'node:util';

const sep = process.argv.indexOf('--');
const own = sep < 0 ? process.argv.slice(2) : process.argv.slice(2, sep);
const command = sep < 0 ? [] : process.argv.slice(sep + 1);
const { values: opts } = parseArgs({
  args: own,
  options: {
    iface: { type: 'string', multiple: true },
    pcap: { type: 'string' },
    report: { type: 'string' },
    quiet: { type: 'boolean' },
    'if-supported': { type: 'boolean' },
    help: { type: 'boolean' },
  },
});
const usage =
  'usage: node scripts/egress-watch.mjs [--iface <dev>]… [--pcap <file>] [--report <file>] [--quiet] [--if-supported] -- <command> [args…]';
if (opts.help || command.length === 0) {
  console.error(usage);
  process.exit(opts.help ? 0 : 2);
}

function fail(message) {
  if (!opts['if-supported']) {
    console.error(`egress-watch: ${message}`);
    process.exit(2);
  }
  console.error(`egress-watch: ${message}; running the command unwatched`);
  const r = spawnSync(command[0], command.slice(1), { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

if (process.platform !== 'linux') fail('needs Linux (cgroup v2, nftables)');
if (process.getuid?.() !== 0) fail('needs root (a cgroup, an nftables table and a capture)');
for (const [cmd, args] of [
  ['nft', ['--version']],
  ['tcpdump', ['--version']],
  ['ip', ['-V']],
]) {
  if (spawnSync(cmd, args, { stdio: 'ignore' }).status !== 0)
    fail(`needs ${cmd} (apt-get install ${cmd === 'nft' ? 'nftables' : cmd === 'ip' ? 'iproute2' : cmd})`);
}

/** The cgroup2 mount point, from /proc/self/mountinfo (`/sys/fs/cgroup`, or `/sys/fs/cgroup/unified` on hybrid). */
function cgroup2Mount() {
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (right?.startsWith('cgroup2 ')) return left.split(' ')[4];
  }
  return undefined;
}

/** Interfaces of the default routes (IPv4 and IPv6). */
function defaultInterfaces() {
  const devs = new Set();
  for (const family of ['-4', '-6']) {
    try {
      const routes = JSON.parse(
        execFileSync('ip', ['-j', family, 'route', 'show', 'default'], { encoding: 'utf8' }) || '[]',
      );
      for (const r of routes) if (r.dev) devs.add(r.dev);
    } catch {
      // no routes of that family
    }
  }
  return [...devs];
}

const mount = cgroup2Mount();
// nft resolves a cgroupv2 path under /sys/fs/cgroup; our cgroup sits at the root of the hierarchy (level 1).
if (!mount || !(mount === '/sys/fs/cgroup' || mount.startsWith('/sys/fs/cgroup/')))
  fail('needs cgroup v2 mounted at /sys/fs/cgroup (or /sys/fs/cgroup/unified)');
const name = `colink-egress-${process.pid}`;
const cgroupDir = path.join(mount, name);
const nftCgroup = path.relative('/sys/fs/cgroup', cgroupDir);
const table = `colink_egress_${process.pid}`;
/** NFLOG group: 1 + pid mod 65535 (group numbers are 16 bits), unique among concurrent watchers. */
const group = 1 + (process.pid % 65_535);
const ifaces = opts.iface?.length ? opts.iface : defaultInterfaces();

const report = [];
const say = (line) => report.push(`egress-watch: ${line}`);
const started = [];
let child;

function cleanup() {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGINT');
  spawnSync('nft', ['delete', 'table', 'inet', table], { stdio: 'ignore' });
  if (fs.existsSync(cgroupDir)) {
    // Stragglers of the command (it exited, they did not) are killed: once the table is gone nothing would watch
    // what they send. cgroup.kill (Linux 5.14) kills the whole cgroup; older kernels get SIGKILL per pid.
    const procs = () => {
      try {
        return fs.readFileSync(path.join(cgroupDir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
      } catch {
        return [];
      }
    };
    if (procs().length > 0) {
      try {
        fs.writeFileSync(path.join(cgroupDir, 'cgroup.kill'), '1');
      } catch {
        for (const pid of procs()) {
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {
            // gone meanwhile
          }
        }
      }
      for (let i = 0; i < 100 && procs().length > 0; i++) spawnSync('sleep', ['0.02']);
    }
    try {
      fs.rmdirSync(cgroupDir);
    } catch (e) {
      console.error(`egress-watch: could not remove ${cgroupDir}: ${e.message}`);
    }
  }
}

/** Starts tcpdump with `args`; resolves once it listens (it says so on stderr). */
function tcpdump(args, onLine) {
  return new Promise((resolve, reject) => {
    const p = spawn('tcpdump', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    started.push(p);
    let err = '';
    p.stderr.on('data', (d) => {
      err += d;
      if (/listening on/.test(err)) resolve(p);
    });
    if (onLine) readline.createInterface({ input: p.stdout }).on('line', onLine);
    p.on('exit', (code) => reject(new Error(`tcpdump ${args.join(' ')} exited (${code}): ${err.trim()}`)));
  });
}

/** Packets counted by the table's rules: `{ ours, forwarded }`. */
function counters() {
  const out = { ours: 0, forwarded: 0 };
  const listing = JSON.parse(
    execFileSync('nft', ['-j', 'list', 'table', 'inet', table], { encoding: 'utf8' }),
  );
  for (const item of listing.nftables) {
    const rule = item.rule;
    if (!rule) continue;
    const counter = rule.expr.find((e) => e.counter)?.counter;
    if (counter) out[rule.chain === 'forward' ? 'forwarded' : 'ours'] += counter.packets;
  }
  return out;
}

const ours = [];
let exitCode = 2;
// Setting the watch up (a cgroup, an nftables table, the NFLOG capture) can still fail on a machine that passed the
// checks above (a read-only cgroup2 mount, a kernel without `socket cgroupv2`, libpcap without nflog): with
// --if-supported the command then runs unwatched, as on a machine that cannot watch at all.
try {
  await setUp();
} catch (e) {
  cleanup();
  fail(`cannot set the watch up: ${e.message}`);
}

async function setUp() {
  fs.mkdirSync(cgroupDir);
  if (ifaces.length > 0) {
    const set = ifaces.map((d) => JSON.stringify(d)).join(', ');
    const rules = `
table inet ${table} {
  chain output {
    type filter hook output priority raw; policy accept;
    oifname { ${set} } socket cgroupv2 level 1 "${nftCgroup}" counter log group ${group}
  }
  chain forward {
    type filter hook forward priority raw; policy accept;
    oifname { ${set} } counter log group ${group}
  }
}`;
    execFileSync('nft', ['-f', '-'], { input: rules });
    await tcpdump(['-n', '-l', '-i', `nflog:${group}`], (line) => {
      if (line.trim()) ours.push(line);
    });
    if (opts.pcap) await tcpdump(['-n', '-p', '-i', ifaces[0], '-w', opts.pcap]);
  }
}

try {
  // The command joins the cgroup before it execs, so it and everything it starts are counted from the first packet.
  child = spawn('sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', cgroupDir, ...command], {
    stdio: 'inherit',
  });
  const forward = (sig) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const status = await new Promise((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))),
  );
  const counted = ifaces.length > 0 ? counters() : { ours: 0, forwarded: 0 };
  // The kernel flushes NFLOG batches once a second (nfnetlink_log's default timeout): wait for the last one, then
  // stop the captures and let them print what they hold.
  if (counted.ours + counted.forwarded > ours.length) await new Promise((r) => setTimeout(r, 1_200));
  await Promise.all(
    started.map(
      (p) =>
        new Promise((r) => {
          if (p.exitCode !== null || p.signalCode !== null) return r();
          p.once('close', r);
          p.kill('SIGINT');
        }),
    ),
  );
  const where = ifaces.length > 0 ? ifaces.join(', ') : '(no default route)';
  say(
    `${command.join(' ')}: ${counted.ours} packet(s) of its process tree left through ${where}, ` +
      `${counted.forwarded} forwarded out through it (the kernel's ARP / neighbour discovery are not counted)`,
  );
  for (const line of ours) say(`  ${line}`);
  if (opts.pcap) {
    const all = spawnSync('tcpdump', ['-n', '-r', opts.pcap], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean);
    say(
      `capture of ${ifaces[0]} (everything on the host, background included): ${all.length} packet(s) in ${opts.pcap}`,
    );
  }
  exitCode = counted.ours + counted.forwarded > 0 ? 1 : status;
  if (exitCode === 1 && status === 0) say('FAILED: traffic left the host');
  if (!opts.quiet || counted.ours + counted.forwarded > 0) console.error(report.join('\n'));
  if (opts.report) fs.writeFileSync(opts.report, `${report.join('\n')}\n`);
} catch (e) {
  console.error(`egress-watch: ${e.message}`);
  if (child && child.exitCode === null) child.kill('SIGTERM');
} finally {
  cleanup();
}
process.exit(exitCode);
