import { useMemo, useState } from 'react';
import type {
  LabBindPrompt,
  LabDevice,
  LabEvent,
  LabLeConnection,
  LabLink,
  LabSession,
  LabState,
} from '../../src/lab/protocol';
import { useLab } from './useLab';

export const MEDIUM_COLORS: Record<string, string> = {
  tcp: '#4f9dff',
  ble: '#b084ff',
  'wifi-p2p': '#ffad4f',
  memory: '#7fd1b9',
};
const ICONS: Record<string, string> = {
  phone: '📱',
  tablet: '📟',
  '2in1': '💻',
  pc: '🖥️',
  tv: '📺',
  car: '🚗',
  wearable: '⌚',
};

const fmtRate = (bps: number) =>
  bps < 1024
    ? `${bps} B/s`
    : bps < 1024 * 1024
      ? `${(bps / 1024).toFixed(1)} KiB/s`
      : `${(bps / 1024 / 1024).toFixed(1)} MiB/s`;
const fmtRtt = (ms: number | undefined) =>
  ms === undefined ? '…' : ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(1)} ms`;

export function App() {
  const lab = useLab();
  const { state } = lab;
  const names = useMemo(() => new Map(state.devices.map((d) => [d.id, d.name])), [state.devices]);
  const name = (id: string) => names.get(id) ?? id.slice(0, 8);
  return (
    <div className="app">
      <header>
        <div className="brand">
          <span className="logo">◎</span> colink <span className="muted">playground</span>
        </div>
        <div className="legend">
          {Object.entries(MEDIUM_COLORS).map(([m, c]) => (
            <span key={m}>
              <i style={{ background: c }} /> {m}
            </span>
          ))}
          <span className={lab.connected ? 'live' : 'offline'}>
            {lab.connected ? '● live' : '○ reconnecting'}
          </span>
        </div>
      </header>
      {lab.error && (
        <div className="toast" role="alert">
          {lab.error}{' '}
          <button type="button" onClick={lab.clearError} aria-label="dismiss">
            ×
          </button>
        </div>
      )}
      {state.bindPrompts.length > 0 && (
        <div className="bind-prompts">
          {state.bindPrompts.map((p) => (
            <BindPrompt key={p.key} p={p} name={name} send={lab.send} />
          ))}
        </div>
      )}
      <main>
        <section className="card topology">
          <h2>Topology</h2>
          <Topology state={state} />
        </section>
        <section className="card devices">
          <h2>Devices</h2>
          <Devices devices={state.devices} name={name} send={lab.send} />
        </section>
        <section className="card sessions">
          <h2>Sessions</h2>
          <Sessions state={state} name={name} send={lab.send} />
        </section>
        <section className="card linkenhance">
          <h2>linkEnhance</h2>
          <LinkEnhancePanel state={state} name={name} send={lab.send} />
        </section>
        <section className="card faults">
          <h2>Faults</h2>
          <Faults state={state} name={name} send={lab.send} />
        </section>
        <section className="card networks">
          <h2>Networks of this machine</h2>
          <Networks state={state} />
        </section>
        <section className="card log">
          <h2>Event log</h2>
          <EventLog events={lab.events} name={name} />
        </section>
      </main>
    </div>
  );
}

function Topology({ state }: { state: LabState }) {
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
          <g key={l.id} className="edge" data-medium={l.medium}>
            <path
              d={`M${a.x},${a.y} Q${cx},${cy} ${b.x},${b.y}`}
              stroke={color}
              strokeWidth={l.throughput > 0 ? 4 : 2.5}
              fill="none"
              opacity={0.9}
            />
            <text x={(mx + cx) / 2} y={(my + cy) / 2 + rank * 16} className="edge-label" fill={color}>
              {l.medium} · {fmtRtt(l.rttMs)} · {fmtRate(l.throughput)}
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

type Send = ReturnType<typeof useLab>['send'];

const TRUST_LABELS: Record<string, string> = {
  bound: 'bound',
  account: 'same account',
  untrusted: 'untrusted',
  unknown: 'not verified yet',
};

/** One device's binding confirmation: the 6-digit code the user compares with the other device's. */
function BindPrompt({ p, name, send }: { p: LabBindPrompt; name: (id: string) => string; send: Send }) {
  return (
    <div className="bind-prompt" data-testid="bind-prompt" data-device={name(p.device)}>
      <div className="bind-who">
        <b>{name(p.device)}</b>
        <span className="muted">
          {p.initiator ? `binding with ${name(p.peer)}` : `${name(p.peer)} wants to bind`}
        </span>
      </div>
      <output className="bind-code mono" aria-label={`binding code on ${name(p.device)}`} data-code={p.code}>
        {p.code.slice(0, 3)} {p.code.slice(3)}
      </output>
      {p.confirmed ? (
        <span className="muted">confirmed — waiting for {name(p.peer)}…</span>
      ) : (
        <div className="bind-actions">
          <span className="muted small">Does {name(p.peer)} show the same code?</span>
          <button
            type="button"
            className="primary"
            onClick={() => send({ t: 'bind-answer', key: p.key, confirm: true })}
          >
            confirm
          </button>
          <button type="button" onClick={() => send({ t: 'bind-answer', key: p.key, confirm: false })}>
            decline
          </button>
        </div>
      )}
    </div>
  );
}

function Devices({
  devices,
  name,
  send,
}: {
  devices: readonly LabDevice[];
  name: (id: string) => string;
  send: Send;
}) {
  const [newName, setNewName] = useState('watch');
  const names = new Set(devices.map((d) => d.id));
  const [guest, setGuest] = useState(false);
  return (
    <div>
      <table>
        <thead>
          <tr>
            <th>device</th>
            <th>addresses</th>
            <th>sees</th>
          </tr>
        </thead>
        <tbody>
          {devices.map((d) => (
            <tr key={d.id} className={d.running ? '' : 'down'}>
              <td>
                <b>
                  {ICONS[d.type] ?? '◻'} {d.name}
                </b>{' '}
                {!d.account && (
                  <span className="trust untrusted" title="not on the lab's account: bind it to trust it">
                    guest
                  </span>
                )}
                <div className="muted mono">{d.id.slice(0, 12)}…</div>
              </td>
              <td className="mono small">
                {Object.entries(d.addresses).map(([m, a]) => (
                  <div key={m}>
                    <i className="dot" style={{ background: MEDIUM_COLORS[m] }} /> {a}
                  </div>
                ))}
              </td>
              <td className="small">
                {d.sees.length === 0 && <span className="muted">{d.running ? 'searching…' : 'stopped'}</span>}
                {d.sees.map((s) => (
                  <div key={s.id} className="sees">
                    {names.has(s.id) ? name(s.id) : s.name}{' '}
                    <span className="muted">via {s.mediums.join(' + ')}</span>{' '}
                    <span className={`trust ${s.trust}`}>{TRUST_LABELS[s.trust] ?? s.trust}</span>
                    {d.running && s.trust === 'bound' && (
                      <button
                        type="button"
                        className="link-button"
                        aria-label={`unbind ${d.name} from ${name(s.id)}`}
                        onClick={() => send({ t: 'unbind', device: d.id, peer: s.id })}
                      >
                        unbind
                      </button>
                    )}
                    {d.running && canBind(d, s, devices) && (
                      <button
                        type="button"
                        className="link-button"
                        aria-label={`bind ${d.name} with ${name(s.id)}`}
                        onClick={() => send({ t: 'bind', from: d.id, to: s.id })}
                      >
                        bind
                      </button>
                    )}
                  </div>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="row">
        <input value={newName} onChange={(e) => setNewName(e.target.value)} aria-label="new device name" />
        <label className="small muted">
          <input type="checkbox" checked={guest} onChange={(e) => setGuest(e.target.checked)} /> guest (not on
          the lab's account)
        </label>
        <button
          type="button"
          onClick={() => {
            if (!newName) return;
            send({ t: 'add-device', name: newName, type: 'wearable', account: !guest });
            setGuest(false);
          }}
        >
          add device
        </button>
      </div>
    </div>
  );
}

/**
 * Whether to offer "bind": the peer refused (untrusted), or one of the two is a guest (not on the lab's account) and
 * no handshake decided yet. Same-account peers need no binding.
 */
function canBind(d: LabDevice, peer: LabDevice['sees'][number], devices: readonly LabDevice[]): boolean {
  if (peer.trust === 'untrusted') return true;
  if (peer.trust !== 'unknown') return false;
  return !d.account || devices.find((x) => x.id === peer.id)?.account === false;
}

/** Two selects picking an ordered pair of running devices; the second never offers the first. */
function usePair(devices: readonly LabDevice[]) {
  const running = devices.filter((d) => d.running);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const f = running.some((d) => d.id === from) ? from : (running[0]?.id ?? '');
  const t = to !== f && running.some((d) => d.id === to) ? to : (running.find((d) => d.id !== f)?.id ?? '');
  return { running, from: f, to: t, setFrom, setTo };
}

function DevicePair({ pair, labels }: { pair: ReturnType<typeof usePair>; labels: [string, string] }) {
  return (
    <>
      <select value={pair.from} onChange={(e) => pair.setFrom(e.target.value)} aria-label={labels[0]}>
        {pair.running.map((d) => (
          <option key={d.id} value={d.id}>
            {d.name}
          </option>
        ))}
      </select>
      <span className="muted">→</span>
      <select value={pair.to} onChange={(e) => pair.setTo(e.target.value)} aria-label={labels[1]}>
        {pair.running
          .filter((d) => d.id !== pair.from)
          .map((d) => (
            <option key={d.id} value={d.id}>
              {d.name}
            </option>
          ))}
      </select>
    </>
  );
}

function Sessions({ state, name, send }: { state: LabState; name: (id: string) => string; send: Send }) {
  const pair = usePair(state.devices);
  const [service, setService] = useState('collabTest');
  const f = pair.from;
  const t = pair.to;
  return (
    <div>
      <div className="row">
        <DevicePair pair={pair} labels={['from device', 'to device']} />
        <input value={service} onChange={(e) => setService(e.target.value)} aria-label="service name" />
        <button
          type="button"
          className="primary"
          disabled={!f || !t}
          onClick={() => send({ t: 'request-session', from: f, to: t, service })}
        >
          connect
        </button>
      </div>
      {state.prompts.map((p) => (
        <div className="prompt" key={p.key} data-testid="prompt">
          <b>{name(p.device)}</b>: {name(p.from)} wants to collaborate on “{p.service}”
          <button
            type="button"
            className="primary"
            onClick={() => send({ t: 'answer', key: p.key, accept: true })}
          >
            accept
          </button>
          <button
            type="button"
            onClick={() => send({ t: 'answer', key: p.key, accept: false, reason: 'busy right now' })}
          >
            reject
          </button>
        </div>
      ))}
      {state.sessions
        .slice()
        .reverse()
        .map((s) => (
          <SessionCard key={s.key} s={s} state={state} name={name} send={send} />
        ))}
    </div>
  );
}

function SessionCard({
  s,
  state,
  name,
  send,
}: {
  s: LabSession;
  state: LabState;
  name: (id: string) => string;
  send: Send;
}) {
  const [text, setText] = useState('hello');
  const transfers = state.transfers.filter((t) => t.session === s.key);
  return (
    <div className={`session ${s.state}`} data-testid="session">
      <div className="session-head">
        <b>
          {name(s.from)} ⇄ {name(s.to)}
        </b>{' '}
        <span className="muted">“{s.service}”</span>{' '}
        <span className={`badge ${s.state}`}>
          {s.state === 'open' ? 'open' : `ended: ${s.endReason ?? ''}`}
        </span>
      </div>
      {s.state === 'open' && (
        <div className="session-actions">
          {[s.from, s.to].map((dev) => (
            <div className="row" key={dev}>
              <span className="who">{name(dev)}</span>
              <input
                value={text}
                onChange={(e) => setText(e.target.value)}
                aria-label={`message from ${name(dev)}`}
              />
              <button
                type="button"
                onClick={() => send({ t: 'send-message', key: s.key, device: dev, text })}
              >
                send message
              </button>
              <button
                type="button"
                onClick={() => send({ t: 'send-data', key: s.key, device: dev, bytes: 8 * 1024 * 1024 })}
              >
                send 8 MiB
              </button>
              <button type="button" onClick={() => send({ t: 'close-session', key: s.key, device: dev })}>
                disconnect
              </button>
            </div>
          ))}
        </div>
      )}
      {transfers.map((t) => (
        <div className="transfer" key={t.id}>
          {name(t.from)} → {(t.bytes / 1024 / 1024).toFixed(1)} MiB
          <progress value={t.done ? 1 : 0.5} max={1} />
          {t.done ? 'delivered' : 'in flight'}
        </div>
      ))}
    </div>
  );
}

/** linkEnhance: named servers, connections addressed by the server device's BLE MAC, data both ways. */
function LinkEnhancePanel({
  state,
  name,
  send,
}: {
  state: LabState;
  name: (id: string) => string;
  send: Send;
}) {
  const running = state.devices.filter((d) => d.running);
  const [serverDev, setServerDev] = useState('');
  const [serverName, setServerName] = useState('demo');
  const [from, setFrom] = useState('');
  const [mac, setMac] = useState('');
  const [connName, setConnName] = useState('demo');
  const sd = running.some((d) => d.id === serverDev) ? serverDev : (running[1]?.id ?? running[0]?.id ?? '');
  const f = running.some((d) => d.id === from) ? from : (running[0]?.id ?? '');
  const targets = running.filter((d) => d.id !== f);
  const m = targets.some((d) => d.bleMac === mac) ? mac : (targets[0]?.bleMac ?? '');
  const { servers, connections } = state.linkEnhance;
  return (
    <div>
      <h3>Servers</h3>
      <div className="row">
        <select
          value={sd}
          onChange={(e) => setServerDev(e.target.value)}
          aria-label="linkEnhance server device"
        >
          {running.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name}
            </option>
          ))}
        </select>
        <input
          value={serverName}
          onChange={(e) => setServerName(e.target.value)}
          aria-label="linkEnhance server name"
        />
        <button
          type="button"
          disabled={!sd || !serverName}
          onClick={() => send({ t: 'le-start-server', device: sd, name: serverName })}
        >
          start server
        </button>
      </div>
      {servers.length === 0 && <div className="muted small">no server started</div>}
      {servers.map((s) => (
        <div className="row" key={`${s.device}/${s.name}`} data-testid="le-server">
          <span className="badge open">listening</span>
          <span>
            <b>{name(s.device)}</b> “{s.name}”
          </span>
          <button
            type="button"
            className="link-button"
            onClick={() => send({ t: 'le-stop-server', device: s.device, name: s.name })}
          >
            stop
          </button>
        </div>
      ))}
      <h3>Connect (by the server device's BLE MAC)</h3>
      <div className="row">
        <select value={f} onChange={(e) => setFrom(e.target.value)} aria-label="linkEnhance from">
          {running.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name}
            </option>
          ))}
        </select>
        <span className="muted">→</span>
        <select value={m} onChange={(e) => setMac(e.target.value)} aria-label="linkEnhance peer MAC">
          {targets.map((d) => (
            <option key={d.id} value={d.bleMac}>
              {d.bleMac} ({d.name})
            </option>
          ))}
        </select>
        <input
          value={connName}
          onChange={(e) => setConnName(e.target.value)}
          aria-label="linkEnhance connect to server"
        />
        <button
          type="button"
          className="primary"
          disabled={!f || !m || !connName}
          onClick={() => send({ t: 'le-connect', device: f, mac: m, name: connName })}
        >
          open connection
        </button>
      </div>
      {connections
        .slice()
        .reverse()
        .map((c) => (
          <LeConnectionCard key={c.id} c={c} name={name} send={send} />
        ))}
    </div>
  );
}

const LE_STATE_CLASS: Record<string, string> = {
  connected: 'open',
  connecting: 'pending',
  disconnected: 'closed',
  failed: 'closed',
};

function LeConnectionCard({
  c,
  name,
  send,
}: {
  c: LabLeConnection;
  name: (id: string) => string;
  send: Send;
}) {
  const [text, setText] = useState(`hello from ${name(c.device)}`);
  return (
    <div className={`session ${c.state === 'connected' ? 'open' : c.state}`} data-testid="le-connection">
      <div className="session-head">
        <b>{name(c.device)}</b> <span className="muted">{c.role === 'client' ? '→' : '←'}</span>{' '}
        <b>{c.peer ? name(c.peer) : '?'}</b> <span className="mono small muted">{c.peerMac}</span>{' '}
        <span className="muted">“{c.name}”</span>{' '}
        <span className={`badge ${LE_STATE_CLASS[c.state]}`}>
          {c.state}
          {c.reason !== undefined ? ` (${c.reason})` : ''}
        </span>
      </div>
      <div className="row">
        {c.state === 'connected' && (
          <>
            <input
              value={text}
              onChange={(e) => setText(e.target.value)}
              aria-label={`linkEnhance message from ${name(c.device)}`}
            />
            <button type="button" onClick={() => send({ t: 'le-send', conn: c.id, text })}>
              send
            </button>
          </>
        )}
        <button type="button" onClick={() => send({ t: 'le-close', conn: c.id })}>
          {c.state === 'connected' || c.state === 'connecting' ? 'disconnect' : 'dismiss'}
        </button>
        <span className="small muted">
          ↑ {c.sent} B · ↓ {c.received} B
          {c.lastReceived !== undefined && (
            <>
              {' '}
              · last received <span className="received">“{c.lastReceived}”</span>
            </>
          )}
        </span>
      </div>
    </div>
  );
}

function Faults({ state, name, send }: { state: LabState; name: (id: string) => string; send: Send }) {
  const pair = usePair(state.devices);
  const running = pair.running;
  const [medium, setMedium] = useState('memory');
  const f = pair.from;
  const t = pair.to;
  const mediums = [...new Set(running.flatMap((d) => d.mediums))];
  return (
    <div>
      <h3>Open a link</h3>
      <div className="row">
        <DevicePair pair={pair} labels={['link from', 'link to']} />
        <select value={medium} onChange={(e) => setMedium(e.target.value)} aria-label="link medium">
          {mediums.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
        <button
          type="button"
          disabled={!f || !t}
          onClick={() => send({ t: 'open-link', from: f, to: t, medium })}
        >
          open link
        </button>
      </div>
      <h3>Links</h3>
      {state.links.length === 0 && <div className="muted">no links yet — open a session</div>}
      {state.links.map((l: LabLink) => (
        <div className="row" key={l.id}>
          <i className="dot" style={{ background: MEDIUM_COLORS[l.medium] }} />
          <span className="mono small">
            {l.id} {name(l.from)}⇄{name(l.to)} · {l.channels} ch
          </span>
          <button type="button" className="danger" onClick={() => send({ t: 'drop-link', link: l.id })}>
            drop link
          </button>
        </div>
      ))}
      <h3>Devices</h3>
      {state.devices.map((d) => (
        <div className="row" key={d.id}>
          <span>{d.name}</span>
          {d.mediums.includes('ble') && d.running && (
            <button
              type="button"
              onClick={() => send({ t: 'ble-range', device: d.id, inRange: !d.inBleRange })}
            >
              {d.inBleRange ? 'move out of BLE range' : 'bring back into BLE range'}
            </button>
          )}
          {d.running ? (
            <button type="button" className="danger" onClick={() => send({ t: 'stop-device', device: d.id })}>
              kill
            </button>
          ) : (
            <button type="button" onClick={() => send({ t: 'start-device', device: d.id })}>
              restart
            </button>
          )}
          <button
            type="button"
            className="danger"
            aria-label={`remove ${d.name}`}
            onClick={() => send({ t: 'remove-device', device: d.id })}
          >
            remove
          </button>
        </div>
      ))}
    </div>
  );
}

function Networks({ state }: { state: LabState }) {
  if (state.networks.length === 0) {
    return (
      <div className="muted">{state.networkSource ? 'no usable network' : 'net-monitor is not running'}</div>
    );
  }
  return (
    <div>
      <div className="muted small">net-monitor source: {state.networkSource}</div>
      <table>
        <thead>
          <tr>
            <th>netId</th>
            <th>interface</th>
            <th>addresses</th>
            <th>capabilities</th>
          </tr>
        </thead>
        <tbody>
          {state.networks.map((n) => (
            <tr key={n.netId}>
              <td className="mono">
                {n.netId}
                {n.isDefault ? ' ★ default' : ''}
              </td>
              <td>
                <b>{n.interfaceName}</b>
                <div className="muted small">
                  {n.bearer.replace('BEARER_', '').toLowerCase()}
                  {n.virtual ? ' · virtual' : ''} · mtu {n.mtu}
                </div>
              </td>
              <td className="mono small">
                {n.addresses.map((a) => (
                  <div key={a}>{a}</div>
                ))}
              </td>
              <td className="small">{n.caps.join(' · ').toLowerCase()}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function EventLog({ events, name }: { events: readonly LabEvent[]; name: (id: string) => string }) {
  return (
    <ol className="events" data-testid="events">
      {events
        .slice()
        .reverse()
        .map((e) => (
          <li key={e.seq} className={`ev-${e.kind}`}>
            <span className="muted mono">{new Date(e.at).toLocaleTimeString()}</span>{' '}
            <span className="kind">{e.kind}</span> {e.device ? <b>{name(e.device)}: </b> : null}
            {e.text}
          </li>
        ))}
    </ol>
  );
}
