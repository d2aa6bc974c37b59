import { useMemo } from 'react';
import { BindPrompt } from './panels/BindPrompt';
import { Devices } from './panels/Devices';
import { EventLog } from './panels/EventLog';
import { Faults } from './panels/Faults';
import { LinkEnhancePanel } from './panels/LinkEnhancePanel';
import { Networks } from './panels/Networks';
import { Sessions } from './panels/Sessions';
import { MEDIUM_COLORS } from './panels/shared';
import { Topology } from './panels/Topology';
import { useLab } from './useLab';

/** The lab's web UI: the header with the medium legend, binding prompts, and one card per panel (`panels/`). */
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
