import { useState } from 'react';
import type { LabLink, LabState } from '../../../src/lab/protocol';
import { DevicePair, MEDIUM_COLORS, type NameOf, type Send, usePair } from './shared';

/** Links on request and faults: drop a link, BLE range, kill / restart / remove a device. */
export function Faults({ state, name, send }: { state: LabState; name: NameOf; send: Send }) {
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
