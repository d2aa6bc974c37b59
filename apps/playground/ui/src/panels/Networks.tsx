import type { LabState } from '../../../src/lab/protocol';

/** This machine's networks as net-monitor sees them. */
export function Networks({ state }: { state: LabState }) {
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
