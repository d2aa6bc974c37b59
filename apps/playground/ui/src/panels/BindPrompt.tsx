import type { LabBindPrompt } from '../../../src/lab/protocol';
import type { NameOf, Send } from './shared';

/** One device's binding confirmation: the 6-digit code the user compares with the other device's. */
export function BindPrompt({ p, name, send }: { p: LabBindPrompt; name: NameOf; send: Send }) {
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
