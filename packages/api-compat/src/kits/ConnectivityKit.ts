/** `@kit.ConnectivityKit`: `wifiManager` (P2P subset). @module */
export * as wifiManager from '../wifiManager.js';
