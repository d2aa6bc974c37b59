import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBle, parseDetection, parseSecure, parseTcpPackage } from '../src/parse.js';

// Outputs recorded from real runs of the package benches (test/fixtures), read the way `pnpm bench` reads them.
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('parsers of the package benches’ printed reports', () => {
  it('transport-tcp: per-round throughput, RTT p50/p99 per path, mDNS median/max', () => {
    const f = parseTcpPackage(fixture('transport-tcp.txt'));
    expect(f.throughput.get('raw node:net')).toEqual({ min: 708, median: 806, max: 1304, n: 3 });
    expect(f.throughput.get('TCP conduit')).toEqual({ min: 1304, median: 1312, max: 1653, n: 3 });
    expect(f.throughput.get('colink Link')).toEqual({ min: 398, median: 663, max: 690, n: 3 });
    expect(f.throughput.get('Link, 4 MiB')).toEqual({ min: 550, median: 626, max: 893, n: 3 });
    expect(f.rtt.get('raw node:net')).toEqual({ p50: 52.1, p99: 1751.1 });
    expect(f.rtt.get('TCP conduit')).toEqual({ p50: 50, p99: 220.4 });
    expect(f.rtt.get('colink Link')).toEqual({ p50: 80.9, p99: 1225.3 });
    expect(f.mdns).toEqual({ found: { median: 994, max: 994 }, lost: { median: 1074, max: 1074 } });
  });

  it('transport-tcp: a truncated report yields what it has and no invented figures', () => {
    const text = fixture('transport-tcp.txt');
    const f = parseTcpPackage(text.slice(0, text.indexOf('\n1 KiB round trip')));
    expect(f.throughput.size).toBe(4);
    expect(f.rtt.size).toBe(0);
    expect(f.mdns).toBeUndefined();
  });

  it('transport-ble: ceiling, colink and naive goodput in Mbit/s; undefined when a line is missing', () => {
    expect(parseBle(fixture('transport-ble.txt'))).toEqual({ ceiling: 1.301, colink: 1.269, naive: 0.005 });
    expect(parseBle('BLE goodput over the virtual radio\n')).toBeUndefined();
  });

  it('net-monitor: rows of detection-latency.json; another shape throws', () => {
    const rows = parseDetection(fixture('detection-latency.json'));
    expect(rows.map((r) => r.source)).toEqual(['netlink', 'ip-monitor', 'poll 100 ms', 'poll 1 s']);
    for (const r of rows) expect(r.p50).toBeGreaterThan(0);
    expect(() => parseDetection('{"date":"x"}')).toThrow(/no rows/);
    expect(() => parseDetection('{"rows":[{"n":1}]}')).toThrow(/malformed/);
  });

  it('core secure bench: raw, secure and plain MB/s of every run', () => {
    expect(parseSecure(fixture('core-secure.txt'))).toEqual({
      raw: [856, 1152, 1026],
      secure: [170, 169, 200],
      plain: [389, 846, 572],
    });
    expect(parseSecure('median: raw 1 MB/s').secure).toEqual([]);
  });
});
