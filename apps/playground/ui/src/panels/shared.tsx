import { useState } from 'react';
import type { LabDevice } from '../../../src/lab/protocol';
import type { useLab } from '../useLab';

/** Sends a command to the lab. */
export type Send = ReturnType<typeof useLab>['send'];
/** A lab device's name by id (the start of the id when it is not in the lab). */
export type NameOf = (id: string) => string;

/** The colour of each medium: topology edges, address dots, link rows and the legend. */
export const MEDIUM_COLORS: Record<string, string> = {
  tcp: '#4f9dff',
  ble: '#b084ff',
  'wifi-p2p': '#ffad4f',
  memory: '#7fd1b9',
};
/** The icon of each device type. */
export const ICONS: Record<string, string> = {
  phone: '📱',
  tablet: '📟',
  '2in1': '💻',
  pc: '🖥️',
  tv: '📺',
  car: '🚗',
  wearable: '⌚',
};

/** Bytes per second as B/s, KiB/s or MiB/s. */
export const fmtRate = (bps: number) =>
  bps < 1024
    ? `${bps} B/s`
    : bps < 1024 * 1024
      ? `${(bps / 1024).toFixed(1)} KiB/s`
      : `${(bps / 1024 / 1024).toFixed(1)} MiB/s`;
/** A round-trip time in ms as µs or ms (… while unknown). */
export const fmtRtt = (ms: number | undefined) =>
  ms === undefined ? '…' : ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(1)} ms`;

/** Two selects picking an ordered pair of running devices; the second never offers the first. */
export function usePair(devices: readonly LabDevice[]) {
  const running = devices.filter((d) => d.running);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const f = running.some((d) => d.id === from) ? from : (running[0]?.id ?? '');
  const t = to !== f && running.some((d) => d.id === to) ? to : (running.find((d) => d.id !== f)?.id ?? '');
  return { running, from: f, to: t, setFrom, setTo };
}

/** A select of `devices` by name, its value a device id. */
export function DeviceSelect({
  devices,
  value,
  onChange,
  label,
}: {
  devices: readonly LabDevice[];
  value: string;
  onChange: (id: string) => void;
  label: string;
}) {
  return (
    <select value={value} onChange={(e) => onChange(e.target.value)} aria-label={label}>
      {devices.map((d) => (
        <option key={d.id} value={d.id}>
          {d.name}
        </option>
      ))}
    </select>
  );
}

/** The two selects of {@link usePair}. */
export function DevicePair({ pair, labels }: { pair: ReturnType<typeof usePair>; labels: [string, string] }) {
  return (
    <>
      <DeviceSelect devices={pair.running} value={pair.from} onChange={pair.setFrom} label={labels[0]} />
      <span className="muted">→</span>
      <DeviceSelect
        devices={pair.running.filter((d) => d.id !== pair.from)}
        value={pair.to}
        onChange={pair.setTo}
        label={labels[1]}
      />
    </>
  );
}
