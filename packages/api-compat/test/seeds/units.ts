// The units of the seed-block suite: which blocks are composed together and how (rules in compose.ts). Shared by
// the run (seed-blocks.test.ts) and the type check (sdk-types.test.ts).
import type { Unit } from './compose.js';

export const A16 = 'abilityConnectionManager-api16.md';
export const A18 = 'abilityConnectionManager-api18.txt';
export const LE = 'linkEnhance.md';
export const NET = 'net-connection-guide.md';
export const WIFI = 'wifi-p2p-guide.md';
export const id = (file: string, n: number): string => `${file}#${n}`;
const range = (file: string, ns: number[]): string[] => ns.map((n) => id(file, n));

/** Every unit of the suite, by name. Every seed block belongs to exactly one unit (checked below). */
export const UNITS: readonly Unit[] = [
  // abilityConnectionManager API 18: the page and three device-B abilities; every snippet on its own.
  { name: 'a18-page', blocks: [id(A18, 1)] },
  { name: 'a18-b-create', blocks: [id(A18, 2)] },
  { name: 'a18-b-accept', blocks: [id(A18, 6)] },
  { name: 'a18-b-reject', blocks: [id(A18, 8)] },
  ...[3, 4, 5, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18].map((n) => ({
    name: `a18-${n}`,
    blocks: [id(A18, n)],
  })),
  // abilityConnectionManager API 16: the import step goes with the session example; `this.sessionId` snippets are
  // method bodies of the page.
  { name: 'a16-create', blocks: range(A16, [1, 2]), wrap: 'method-body' },
  { name: 'a16-b-create', blocks: [id(A16, 3)] },
  { name: 'a16-b-accept', blocks: [id(A16, 6)] },
  ...[4, 5, 7, 8, 9, 10].map((n) => ({
    name: `a16-${n}`,
    blocks: [id(A16, n)],
    wrap: 'method-body' as const,
  })),
  // linkEnhance: the import step goes with the first server example; every other block is complete.
  { name: 'le-2', blocks: range(LE, [1, 2]) },
  ...[3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21].map((n) => ({
    name: `le-${n}`,
    blocks: [id(LE, n)],
  })),
  // net-connection-guide: "Subscribing to Status Changes" steps 2–6 are one flow (the reader pauses before
  // unregistering); "Monitoring Changes of the Default Network" + "Re-establishing" continue its imports, and the
  // page's button calls socketTest(); getAllNetworks() is a page method.
  { name: 'net-subscribe', blocks: range(NET, [1, 2, 3, 4, 5]), pauseBefore: [id(NET, 5)] },
  { name: 'net-reconnect', blocks: range(NET, [6, 7, 8]), thenCall: 'socketTest();' },
  { name: 'net-9', blocks: [id(NET, 9)] },
  { name: 'net-10', blocks: [id(NET, 10)] },
  { name: 'net-11', blocks: [id(NET, 11)], wrap: 'class-member' },
  { name: 'net-12', blocks: [id(NET, 12)] },
  { name: 'net-13', blocks: [id(NET, 13)] },
  // wifi-p2p-guide: the group owner's and the client's example.
  { name: 'wifi-1', blocks: [id(WIFI, 1)] },
  { name: 'wifi-2', blocks: [id(WIFI, 2)] },
];
