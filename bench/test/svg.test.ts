import { describe, expect, it } from 'vitest';
import type { BenchRow } from '../src/row.js';
import { comparisons, svgReport } from '../src/svg.js';
import { env, row } from './helpers.js';

const rows: BenchRow[] = [
  row({ id: 'a.met', value: 90, baseline: 100, ratio: 0.9, target: 'ratio ≥ 0.8', met: true }),
  row({ id: 'b.missed', value: 60, unit: 'ms', baseline: 2, ratio: 30, target: '≤ 25 ms', met: false }),
  row({ id: 'c.none', value: 3, baseline: 1, ratio: 3 }),
  row({ id: 'd.baseline-only', value: 40 }),
  row({ id: 'e.na', value: Number.NaN, baseline: 5, ratio: Number.NaN, note: 'the bench wrote <no> row' }),
];

/** Attributes of the elements named `tag`, in document order. */
function elements(svg: string, tag: string): Array<Record<string, string>> {
  return [...svg.matchAll(new RegExp(`<${tag} ([^>]*?)/?>`, 'g'))].map((m) =>
    Object.fromEntries([...m[1]!.matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!])),
  );
}

describe('report picture', () => {
  it('has one bar per comparison, coloured by its target, with the target ticked on the same axis', () => {
    expect(comparisons(rows).map((r) => r.id)).toEqual(['a.met', 'b.missed', 'c.none', 'e.na']);
    const svg = svgReport(rows, env, 'T & <title>');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('T &amp; &lt;title&gt;');
    expect(svg).not.toMatch(/<script|href=/);
    // labels in order, the row without a figure says n/a with its note escaped
    const labels = [...svg.matchAll(/text-anchor="end">([^<]+)</g)].map((m) => m[1]);
    expect(labels).toEqual(['a.met', 'b.missed', 'c.none', 'e.na']);
    expect(svg).toContain('n/a — the bench wrote &lt;no&gt; row');
    // bars (rects with a <title>), coloured met / missed / none
    const bars = [...svg.matchAll(/<rect ([^>]*)><title>/g)].map((m) => m[1]!);
    expect(bars).toHaveLength(3);
    expect(bars[0]).toContain('fill="#2e7d32"');
    expect(bars[1]).toContain('fill="#c62828"');
    expect(bars[2]).toContain('fill="#90a4ae"');
  });

  it('draws bars from ratio 1 on a log axis and puts value targets at target / baseline', () => {
    const svg = svgReport(rows, env, 'T');
    const rects = elements(svg, 'rect');
    const ticks = rects.filter((r) => r.width === '3' && r.fill === '#111' && Number(r.height) > 12);
    expect(ticks).toHaveLength(2); // a.met (0.8) and b.missed (25 ms / 2 ms = 12.5); c.none has none
    const lines = elements(svg, 'line');
    const one = lines.find((l) => l['stroke-width'] === '1.5')!;
    const xOne = Number(one.x1);
    const decade = Number(lines[1]!.x1) - Number(lines[0]!.x1);
    const bars = [...svg.matchAll(/<rect ([^>]*)><title>/g)].map(
      (m) =>
        Object.fromEntries([...m[1]!.matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!])) as Record<
          string,
          string
        >,
    );
    // 0.9 lies left of 1, 30 and 3 right of it, at log10 distances
    expect(Number(bars[0]!.x) + Number(bars[0]!.width)).toBeCloseTo(xOne, 0);
    expect(Number(bars[0]!.width)).toBeCloseTo(-Math.log10(0.9) * decade, 0);
    expect(Number(bars[1]!.x)).toBeCloseTo(xOne, 0);
    expect(Number(bars[2]!.width)).toBeCloseTo(Math.log10(3) * decade, 0);
    expect(Number(ticks[0]!.x) + 1.5).toBeCloseTo(xOne + Math.log10(0.8) * decade, 0);
    // the axis spans whole decades around every ratio and target, at most 0.1× … 10×
    const axis = [...svg.matchAll(/text-anchor="middle" fill="#555">([^<]+)</g)].map((m) => m[1]);
    expect(axis).toEqual(['0.100×', '1.00×', '10.0×']);
    // 30× and its 12.5× target lie beyond: drawn to the edge, marked », the figure printed
    expect(Number(bars[1]!.width)).toBeCloseTo(decade, 0);
    expect(Number(ticks[1]!.x) + 1.5).toBeCloseTo(xOne + decade, 0);
    expect(svg.match(/>»</g)).toHaveLength(1);
    expect(svg).toContain('>30.0×  (≤ 25 ms)<');
  });

  it('narrows the axis to the decades the ratios need', () => {
    const svg = svgReport(
      [row({ id: 'n', value: 2, baseline: 1, ratio: 2, target: 'ratio ≤ 1.3', met: false })],
      env,
      'T',
    );
    const axis = [...svg.matchAll(/text-anchor="middle" fill="#555">([^<]+)</g)].map((m) => m[1]);
    expect(axis).toEqual(['1.00×', '10.0×']);
    expect(svg).not.toContain('»');
  });

  it('writes a picture for an empty report', () => {
    const svg = svgReport([], env, 'empty');
    expect(svg).toContain('<svg');
    const axis = [...svg.matchAll(/text-anchor="middle" fill="#555">([^<]+)</g)].map((m) => m[1]);
    expect(axis).toEqual(['1.00×', '10.0×']);
    expect(svg).toContain('</svg>');
  });
});
