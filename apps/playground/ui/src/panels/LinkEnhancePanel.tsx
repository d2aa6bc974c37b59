import { useState } from 'react';
import type { LabLeConnection, LabState } from '../../../src/lab/protocol';
import { DeviceSelect, type NameOf, type Send } from './shared';

/** linkEnhance: named servers, connections addressed by the server device's BLE MAC, data both ways. */
export function LinkEnhancePanel({ state, name, send }: { state: LabState; name: NameOf; send: Send }) {
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
        <DeviceSelect
          devices={running}
          value={sd}
          onChange={setServerDev}
          label="linkEnhance server device"
        />
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
        <DeviceSelect devices={running} value={f} onChange={setFrom} label="linkEnhance from" />
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

function LeConnectionCard({ c, name, send }: { c: LabLeConnection; name: NameOf; send: Send }) {
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
