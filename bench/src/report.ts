import type { BenchEnv, BenchRow } from './row.js';

/** A figure with precision that fits its size: 3 significant digits below 100, integers above. */
export function fmt(x: number | undefined): string {
  if (x === undefined) return '–';
  if (Number.isNaN(x)) return 'n/a';
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(3);
}

const cell = (s: string): string => s.replace(/\|/g, '\\|');

function targetCell(r: BenchRow): string {
  if (!r.target) return '';
  if (r.met === undefined) return `${r.target} (?)`;
  return `${r.target} ${r.met ? '✅ met' : '❌ not met'}`;
}

/**
 * The report as one Markdown table: every row with median, min, max, unit, baseline, ratio and its target beside
 * it, followed by notes of rows that have no figure.
 */
export function markdownTable(rows: readonly BenchRow[], env: BenchEnv, title: string): string {
  const lines = [
    `## ${title}`,
    '',
    `Node ${env.node}, ${env.cpus} CPUs (${env.cpuModel}), ${env.platform}. Ratios compare figures measured in this run.`,
    '',
    '| id | what | median | min | max | unit | baseline | ratio | target |',
    '|---|---|---:|---:|---:|---|---|---:|---|',
  ];
  for (const r of rows) {
    const base = r.baseline === undefined ? '' : `${fmt(r.baseline)} (${r.baselineLabel ?? ''})`;
    const what = r.note ? `${r.label} — **${r.note}**` : r.label;
    lines.push(
      `| ${cell(r.id)} | ${cell(what)} | ${fmt(r.value)} | ${fmt(r.min)} | ${fmt(r.max)} | ${r.unit} | ${cell(base)} | ${
        r.ratio === undefined ? '' : `${fmt(r.ratio)}×`
      } | ${cell(targetCell(r))} |`,
    );
  }
  const targets = rows.filter((r) => r.target);
  const met = targets.filter((r) => r.met === true).length;
  lines.push('', `Targets: ${met} of ${targets.length} met.`);
  return lines.join('\n');
}
