import type { LabState } from '../../../src/lab/protocol';
import { fmtRate, fmtRtt, ICONS, MEDIUM_COLORS } from './shared';

/**
 * Devices on a circle, Links as curves coloured by medium, labelled with RTT and throughput; a Link that carries
 * sessions (their peer connection's carrier) is drawn solid and thick and says how many, standby Links are dashed.
 */
export function Topology({ state }: { state: LabState }) {
  const W = 560;
  const H = 340;
  const pos = new Map<string, { x: number; y: number }>();
  const n = state.devices.length;
  state.devices.forEach((d, i) => {
    const a = (2 * Math.PI * i) / Math.max(n, 1) - Math.PI / 2;
    pos.set(d.id, { x: W / 2 + 130 * Math.cos(a) * 1.35, y: H / 2 + 120 * Math.sin(a) });
  });
  // Parallel links between one pair are fanned out so each medium stays visible, their labels stacked at the curves'
  // apexes so they do not overlap.
  const pairKey = (l: { from: string; to: string }): string => [l.from, l.to].sort().join('|');
  const pairCount = new Map<string, number>();
  for (const l of state.links) pairCount.set(pairKey(l), (pairCount.get(pairKey(l)) ?? 0) + 1);
  const pairIndex = new Map<string, number>();
  return (
    <svg viewBox={`0 0 ${W} ${H}`} className="topo" role="img" aria-label="device topology">
      {state.links.map((l) => {
        const a = pos.get(l.from);
        const b = pos.get(l.to);
        if (!a || !b) return null;
        const key = pairKey(l);
        const k = pairIndex.get(key) ?? 0;
        pairIndex.set(key, k + 1);
        const rank = k - ((pairCount.get(key) ?? 1) - 1) / 2; // …, -1, 0, 1, … around the straight line
        const off = rank * 40;
        const mx = (a.x + b.x) / 2;
        const my = (a.y + b.y) / 2;
        const dx = b.x - a.x;
        const dy = b.y - a.y;
        const len = Math.hypot(dx, dy) || 1;
        const cx = mx - (dy / len) * off;
        const cy = my + (dx / len) * off;
        const color = MEDIUM_COLORS[l.medium] ?? '#aaa';
        return (
          <g
            key={l.id}
            className={`edge${l.sessions > 0 ? ' carrier' : ''}`}
            data-medium={l.medium}
            data-link={l.id}
            data-sessions={l.sessions}
          >
            <path
              d={`M${a.x},${a.y} Q${cx},${cy} ${b.x},${b.y}`}
              stroke={color}
              strokeWidth={l.sessions > 0 ? 6 : l.throughput > 0 ? 4 : 2.5}
              strokeDasharray={l.sessions > 0 ? undefined : '6 4'}
              fill="none"
              opacity={0.9}
            />
            <text x={(mx + cx) / 2} y={(my + cy) / 2 + rank * 16} className="edge-label" fill={color}>
              {l.medium} · {fmtRtt(l.rttMs)} · {fmtRate(l.throughput)}
              {l.sessions > 0 ? ` · carries ${l.sessions} session${l.sessions === 1 ? '' : 's'}` : ''}
            </text>
          </g>
        );
      })}
      {state.devices.map((d) => {
        const p = pos.get(d.id)!;
        return (
          <g key={d.id} className={`node ${d.running ? '' : 'down'}`}>
            <circle cx={p.x} cy={p.y} r={30} />
            <text x={p.x} y={p.y + 7} textAnchor="middle" className="node-icon">
              {ICONS[d.type] ?? '◻'}
            </text>
            <text x={p.x} y={p.y + 50} textAnchor="middle" className="node-label">
              {d.name}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
