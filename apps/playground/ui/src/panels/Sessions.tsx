import { useState } from 'react';
import type { LabSession, LabState, LabTransfer } from '../../../src/lab/protocol';
import { DevicePair, MEDIUM_COLORS, type NameOf, type Send, usePair } from './shared';

/** The size of the UI's "send 8 MiB" transfers, bytes. */
const TRANSFER_BYTES = 8 * 1024 * 1024;
/** Where "cut the carrier during the next transfer" cuts: this fraction acknowledged. */
const CUT_AT = 0.25;

/** Sessions: request one, answer prompts, and each session's messages, data and disconnects. */
export function Sessions({ state, name, send }: { state: LabState; name: NameOf; send: Send }) {
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

function SessionCard({ s, state, name, send }: { s: LabSession; state: LabState; name: NameOf; send: Send }) {
  const [text, setText] = useState('hello');
  const [cutDuring, setCutDuring] = useState(false);
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
        </span>{' '}
        {s.state === 'open' && (
          <span
            className="carrier"
            data-testid="session-carrier"
            data-medium={s.via ?? ''}
            style={{ color: MEDIUM_COLORS[s.via ?? ''] }}
            title="the Link carrying the session now"
          >
            {s.via ? `via ${s.via}${s.carrier ? ` (${s.carrier})` : ''}` : 'waiting for a link'}
          </span>
        )}
      </div>
      {s.state === 'open' && (
        <div className="row">
          <button
            type="button"
            className="danger"
            disabled={!s.via}
            onClick={() => send({ t: 'cut-carrier', key: s.key })}
          >
            cut {s.via ?? 'link'}
          </button>
          <label className="small">
            <input type="checkbox" checked={cutDuring} onChange={(e) => setCutDuring(e.target.checked)} /> cut
            the carrier at {CUT_AT * 100} % of each transfer
          </label>
        </div>
      )}
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
                onClick={() =>
                  send({
                    t: 'send-data',
                    key: s.key,
                    device: dev,
                    bytes: TRANSFER_BYTES,
                    ...(cutDuring ? { cutCarrierAt: CUT_AT } : {}),
                  })
                }
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
        <TransferRow key={t.id} t={t} name={name} send={send} />
      ))}
    </div>
  );
}

/** One transfer: a progress bar of the bytes the receiver acknowledged, its state, cancel on either end. */
function TransferRow({ t, name, send }: { t: LabTransfer; name: NameOf; send: Send }) {
  const pct = t.bytes > 0 ? Math.floor((t.acked * 100) / t.bytes) : 100;
  return (
    <div className={`transfer ${t.state}`} data-testid="transfer" data-state={t.state} data-percent={pct}>
      <span>
        {name(t.from)} → {name(t.to)} {(t.bytes / 1024 / 1024).toFixed(1)} MiB
      </span>
      <progress value={t.acked} max={t.bytes} aria-label={`transfer ${t.id} acknowledged`} />
      <span className="pct">{pct} %</span>
      <span title={t.reason}>
        {t.state === 'running' ? 'acknowledged' : t.state === 'done' ? 'delivered' : t.state}
      </span>
      {t.state === 'running' &&
        [t.from, t.to].map((dev) => (
          <button
            type="button"
            key={dev}
            onClick={() => send({ t: 'cancel-transfer', id: t.id, device: dev })}
          >
            cancel on {name(dev)}
          </button>
        ))}
      {t.reason && <span className="muted small">{t.reason}</span>}
    </div>
  );
}
