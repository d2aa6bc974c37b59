/** `@kit.ConnectivityKit`: `wifiManager` (P2P subset). @module */

import * as wifiManager from '../wifiManager.js';

export { wifiManager };
