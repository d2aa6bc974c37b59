/**
 * @packageDocumentation
 * The colink playground as a library: script the virtual-device lab (add and remove devices, open sessions, bind,
 * inject faults, read its state and events), serve its web UI, and run the HarmonyOS seed scenarios.
 *
 * @example
 * ```ts
 * import { Lab, serveLab } from '@colink/playground';
 *
 * const lab = new Lab({ devices: [{ name: 'phone', type: 'phone' }, { name: 'tablet', type: 'tablet' }] });
 * await lab.start();
 * const [phone, tablet] = lab.state().devices.map((d) => d.id);
 * await lab.command({ t: 'request-session', from: phone!, to: tablet!, service: 'chat' });
 * const ui = await serveLab(lab, { port: 0, uiDir: '…/dist/ui' }); // optional: the web UI
 * ```
 */
export { DEFAULT_DEVICES, Lab, type LabOptions } from './lab/lab.js';
export type * from './lab/protocol.js';
export { type LabServer, type ServeLabOptions, serveLab } from './lab/server.js';
export { runScenario, SCENARIOS } from './scenarios.js';
