/** `@kit.ConnectivityKit`: `wifiManager` (P2P subset). @module */
export { wifiManager } from '../wifiManager.js';
