import { fmt } from './report.js';
import type { BenchEnv, BenchRow } from './row.js';
import { parseTarget, targetRatio } from './targets.js';

/** Layout of the picture, px. */
const W = 980;
const LABEL_W = 330;
const BAR_X0 = LABEL_W + 10;
const BAR_W = 430;
const ROW_H = 22;
const TOP = 74;
/**
 * The axis never spans more than [0.1×, 10×]: the targets sit near 1 (0.9–1.3), where a wider log axis would squeeze
 * the bars together. Ratios beyond it are drawn to the edge with a `»` mark; their figure is printed beside the bar.
 */
const AXIS_MIN = 0.1;
const AXIS_MAX = 10;
const COLORS = { met: '#2e7d32', missed: '#c62828', none: '#90a4ae', target: '#111', axis: '#bbb' } as const;

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The comparisons of the report: rows measured against a baseline (a ratio, or a baseline and a target). */
export function comparisons(rows: readonly BenchRow[]): BenchRow[] {
  return rows.filter((r) => r.baseline !== undefined || r.ratio !== undefined);
}

/** Decades [lo, hi] (powers of ten) that hold every ratio and target position, and 1, within [AXIS_MIN, AXIS_MAX]. */
function domain(values: readonly number[]): [number, number] {
  const ok = values.filter((v) => Number.isFinite(v) && v > 0);
  const lo = Math.max(AXIS_MIN, Math.min(1, ...ok));
  const hi = Math.min(AXIS_MAX, Math.max(1, ...ok));
  const from = 10 ** Math.floor(Math.log10(lo) + 1e-9);
  const to = 10 ** Math.ceil(Math.log10(hi) - 1e-9);
  return [from, to > from ? to : from * 10];
}

/**
 * The report as a picture (plain SVG 1.1 text, no scripts or external resources): one horizontal bar per comparison
 * ({@link comparisons}) from the baseline (ratio 1) to the row's ratio on a logarithmic axis (at most 0.1×–10×; a
 * ratio beyond is drawn to the edge and marked `»`), green when its target is met, red when missed, grey without a target; the target's position on the same axis marked with a black tick
 * (a value target is placed at target / baseline). A row without a figure gets its id and "n/a".
 */
export function svgReport(rows: readonly BenchRow[], env: BenchEnv, title: string): string {
  const bars = comparisons(rows).map((r) => {
    let mark = Number.NaN;
    if (r.target) {
      try {
        mark = targetRatio(parseTarget(r.target), r);
      } catch {
        // a target in a form the picture cannot place: the bar is drawn without its tick
      }
    }
    return { r, mark };
  });
  const [lo, hi] = domain(bars.flatMap((b) => [b.r.ratio ?? Number.NaN, b.mark]));
  const decades = Math.max(1, Math.round(Math.log10(hi / lo)));
  const x = (v: number): number =>
    BAR_X0 + (Math.log10(Math.min(hi, Math.max(lo, v)) / lo) / decades) * BAR_W;
  const height = TOP + bars.length * ROW_H + 40;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">${esc(title)}</text>`,
    `<text x="10" y="38" fill="#555">${esc(`Node ${env.node}, ${env.cpus} CPUs (${env.cpuModel}), ${env.platform}. Bar: ratio to its baseline in the same run (log scale); tick: target.`)}</text>`,
    `<rect x="10" y="48" width="10" height="10" fill="${COLORS.met}"/><text x="24" y="57">target met</text>`,
    `<rect x="100" y="48" width="10" height="10" fill="${COLORS.missed}"/><text x="114" y="57">not met</text>`,
    `<rect x="180" y="48" width="10" height="10" fill="${COLORS.none}"/><text x="194" y="57">no target</text>`,
    `<rect x="270" y="48" width="3" height="12" fill="${COLORS.target}"/><text x="278" y="57">target</text>`,
  ];
  const axisBottom = TOP + bars.length * ROW_H;
  for (let d = 0; d <= decades; d++) {
    const v = lo * 10 ** d;
    const xv = x(v);
    out.push(
      `<line x1="${xv.toFixed(1)}" y1="${TOP - 6}" x2="${xv.toFixed(1)}" y2="${axisBottom}" stroke="${v === 1 ? '#666' : COLORS.axis}" stroke-width="${v === 1 ? 1.5 : 0.5}"/>`,
      `<text x="${xv.toFixed(1)}" y="${axisBottom + 14}" text-anchor="middle" fill="#555">${fmt(v)}×</text>`,
    );
  }
  bars.forEach(({ r, mark }, i) => {
    const y = TOP + i * ROW_H;
    const mid = y + ROW_H / 2;
    out.push(`<text x="${LABEL_W}" y="${mid + 4}" text-anchor="end">${esc(r.id)}</text>`);
    const ratio = r.ratio;
    if (ratio === undefined || !Number.isFinite(ratio) || ratio <= 0) {
      out.push(
        `<text x="${BAR_X0 + 4}" y="${mid + 4}" fill="#555">n/a${r.note ? ` — ${esc(r.note.slice(0, 60))}` : ''}</text>`,
      );
      return;
    }
    const fill = r.met === true ? COLORS.met : r.met === false ? COLORS.missed : COLORS.none;
    const x1 = Math.min(x(1), x(ratio));
    const w = Math.max(1, Math.abs(x(ratio) - x(1)));
    out.push(
      `<rect x="${x1.toFixed(1)}" y="${y + 4}" width="${w.toFixed(1)}" height="${ROW_H - 8}" fill="${fill}"><title>${esc(`${r.label}: ${fmt(r.value)} ${r.unit} vs ${fmt(r.baseline)} (${r.baselineLabel ?? 'baseline'})`)}</title></rect>`,
    );
    if (ratio > hi || ratio < lo)
      out.push(
        `<text x="${(ratio > hi ? x(hi) + 2 : x(lo) - 12).toFixed(1)}" y="${mid + 4}" font-weight="bold" fill="${fill}">»</text>`,
      );
    if (Number.isFinite(mark) && mark > 0)
      out.push(
        `<rect x="${(x(mark) - 1.5).toFixed(1)}" y="${y + 1}" width="3" height="${ROW_H - 2}" fill="${COLORS.target}"/>`,
      );
    const note = `${fmt(ratio)}×${r.target ? `  (${r.target})` : ''}`;
    out.push(`<text x="${BAR_X0 + BAR_W + 12}" y="${mid + 4}">${esc(note)}</text>`);
  });
  out.push('</svg>', '');
  return out.join('\n');
}
