import { useState } from 'react';
import type { LabDevice } from '../../../src/lab/protocol';
import { ICONS, MEDIUM_COLORS, type NameOf, type Send } from './shared';

const TRUST_LABELS: Record<string, string> = {
  bound: 'bound',
  account: 'same account',
  untrusted: 'untrusted',
  unknown: 'not verified yet',
};

/** The devices: addresses per medium, whom each sees and how it trusts them, bind / unbind, add a device. */
export function Devices({
  devices,
  name,
  send,
}: {
  devices: readonly LabDevice[];
  name: NameOf;
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
