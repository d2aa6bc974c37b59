import { useState } from 'react';
import type { LabSession, LabState } from '../../../src/lab/protocol';
import { DevicePair, type NameOf, type Send, usePair } from './shared';

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
