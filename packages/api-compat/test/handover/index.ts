// The harness of the handover tests, by responsibility: namespaces and veths (netns.ts), device processes
// (device-proc.ts), radio control (radio.ts), what a test sets up and takes down (lab.ts). The message and data
// checking runs inside the device processes (traffic.ts, used by test/fixtures/handover/device.ts).
export {
  DeviceProc,
  type DeviceProcOptions,
  type Line,
  startCoreDevice,
  startHarmonyDevice,
} from './device-proc.js';
export { HandoverLab, p2pDevices } from './lab.js';
export { canNetns, interfaceOf, ip, namespace, portOf, run, type VethPair, vethPair } from './netns.js';
export { backInRange, bleRadio, outOfRange } from './radio.js';
