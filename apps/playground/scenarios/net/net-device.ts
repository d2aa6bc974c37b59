// The @ohos.net.connection seed (net-connection-guide.md) as one device process, run by `pnpm start -- --scenario
// net` through `node --import @colink/api-compat/register`. Seed code with its hilog lines; the changes:
// - the specifier asks for Ethernet (the lab's network is a veth, an Ethernet link) instead of Wi-Fi;
// - the query examples run at start, once the lab's network is up and validated, and after it is lost (not from
//   buttons);
// - getAddressesByName resolves "localhost" (answered inside the namespace; the seed's 'xxxx' would ask a resolver);
// - NET_SCENARIO=list (no namespace, not root): only the read-only queries of this machine's networks, then exit.
// The lab watches for "register success" (bring the network up), "network queries done" (take it down) and exits
// once the seed's netLost and unregister have run.

import type { BusinessError } from '@kit.BasicServicesKit';
import { connection } from '@kit.NetworkKit';
import { hilog } from '@kit.PerformanceAnalysisKit';

const TAG = 'testTag';
const BEARERS: Record<number, string> = { 0: 'BEARER_CELLULAR', 1: 'BEARER_WIFI', 3: 'BEARER_ETHERNET' };
const CAPS: Record<number, string> = {
  0: 'NET_CAPABILITY_MMS',
  11: 'NET_CAPABILITY_NOT_METERED',
  12: 'NET_CAPABILITY_INTERNET',
  15: 'NET_CAPABILITY_NOT_VPN',
  16: 'NET_CAPABILITY_VALIDATED',
};

/** "Querying the Connection Information of the Default Network or the Specified Network" and "all networks". */
async function queryNetworks(): Promise<void> {
  const data = await connection.getDefaultNet();
  if (data.netId === 0) {
    hilog.info(0x0000, TAG, `don't have defaultNet`);
  } else {
    hilog.info(0x0000, TAG, 'getDefaultNet get data: ' + JSON.stringify(data));
    const caps = await connection.getNetCapabilities(data);
    hilog.info(0x0000, TAG, 'getNetCapabilities get data: ' + JSON.stringify(caps));
    for (const item of new Set(caps.bearerTypes)) if (BEARERS[item]) hilog.info(0x0000, TAG, BEARERS[item]);
    for (const item of new Set(caps.networkCap)) if (CAPS[item]) hilog.info(0x0000, TAG, CAPS[item]);
  }
  const nets = await connection.getAllNets();
  hilog.info(0x0000, TAG, 'getAllNets get data: ' + JSON.stringify(nets));
  for (const item of nets) {
    const caps = await connection.getNetCapabilities(item);
    hilog.info(0x0000, TAG, `getNetCapabilities(${item.netId}) get data: ` + JSON.stringify(caps));
    const props = await connection.getConnectionProperties(item);
    hilog.info(0x0000, TAG, `getConnectionProperties(${item.netId}) get data: ` + JSON.stringify(props));
  }
  // "Checking Whether the Default Network Supports Internet Access".
  const netHandle = connection.getDefaultNetSync();
  if (!netHandle || netHandle.netId === 0) {
    hilog.error(0x0000, TAG, 'getDefaultNetSync fail');
  } else {
    const cap = connection.getNetCapabilitiesSync(netHandle).networkCap;
    if (cap?.includes(connection.NetCap.NET_CAPABILITY_CHECKING_CONNECTIVITY)) {
      hilog.info(0x0000, TAG, 'default network is checking, please try again later');
    } else if (cap?.includes(connection.NetCap.NET_CAPABILITY_VALIDATED)) {
      hilog.info(0x0000, TAG, 'default network is validated');
    } else {
      hilog.info(0x0000, TAG, 'default network is not validated');
    }
  }
}

await queryNetworks();
if (process.env.NET_SCENARIO === 'list') process.exit(0);

// "Subscribing to Status Changes of the Specified Network".
const netSpecifier: connection.NetSpecifier = {
  netCapabilities: {
    bearerTypes: [connection.NetBearType.BEARER_ETHERNET],
    networkCap: [connection.NetCap.NET_CAPABILITY_INTERNET],
  },
};
const TIMEOUT = 10 * 1000;
const conn = connection.createNetConnection(netSpecifier, TIMEOUT);

let queried = false;
conn.on('netAvailable', (data: connection.NetHandle) => {
  hilog.info(0x0000, TAG, 'Network available, NetId is ' + data.netId);
});
conn.on('netConnectionPropertiesChange', (data: connection.NetConnectionPropertyInfo) => {
  hilog.info(0x0000, TAG, 'netConnectionPropertiesChange: ' + JSON.stringify(data));
});
conn.on('netCapabilitiesChange', (data: connection.NetCapabilityInfo) => {
  hilog.info(0x0000, TAG, 'netCapabilitiesChange: ' + JSON.stringify(data));
  // Query once the lab's connectivity probe has validated the network.
  if (queried || !data.netCap.networkCap?.includes(connection.NetCap.NET_CAPABILITY_VALIDATED)) return;
  queried = true;
  void (async () => {
    await queryNetworks();
    // "Resolving the Domain Name of the Default Network to Obtain All IP Addresses".
    const addrs = await connection.getAddressesByName('localhost');
    hilog.info(0x0000, TAG, 'Successfully retrieved default network IP address: ' + JSON.stringify(addrs));
    hilog.info(0x0000, TAG, 'network queries done');
  })().catch((err: BusinessError) => hilog.error(0x0000, TAG, 'query failed: ' + JSON.stringify(err)));
});
conn.on('netLost', (data: connection.NetHandle) => {
  hilog.info(0x0000, TAG, 'Network lost, NetId is ' + data.netId);
  // Unregister the observer for network status changes.
  conn.unregister((err: BusinessError) => {
    if (err) {
      hilog.error(0x0000, TAG, 'Error occurred during unsubscription: ' + JSON.stringify(err));
      process.exit(1);
    }
    hilog.info(0x0000, TAG, 'Network connection disconnected.');
    void queryNetworks().then(() => process.exit(0));
  });
});
// biome-ignore lint/suspicious/noConfusingVoidType: the seed's callback signature
conn.on('netUnavailable', (data: void) => {
  hilog.info(0x0000, TAG, 'Network unavailable, data is ' + JSON.stringify(data));
});
conn.register((err: BusinessError) => {
  if (err) {
    hilog.error(0x0000, TAG, 'Error occurred during connection: ' + JSON.stringify(err));
    process.exit(1);
  }
  hilog.info(0x0000, TAG, 'register success');
});

// "Monitoring Changes of the Default Network".
const netConnection = connection.createNetConnection();
netConnection.on('netAvailable', (data: connection.NetHandle) => {
  hilog.info(0x0000, TAG, 'default network changed: ' + JSON.stringify(data));
});
netConnection.register(() => undefined);
process.on('SIGTERM', () => process.exit(0));
