import type { LabEvent } from '../../../src/lab/protocol';
import type { NameOf } from './shared';

/** The event log, newest first. */
export function EventLog({ events, name }: { events: readonly LabEvent[]; name: NameOf }) {
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
