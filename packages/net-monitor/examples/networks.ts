// Prints this machine's networks as HarmonyOS @ohos.net.connection sees them (netId, interface, addresses,
// capabilities), which one is the default, and every change for `WATCH_MS` milliseconds (default 0: print and exit).
// Reads kernel state only (rtnetlink); sends no packet.
import { NetCap, NetMonitor } from '@colink/net-monitor';

const watchMs = Number(process.env.WATCH_MS ?? 0);
const capName = (cap: NetCap) =>
  Object.entries(NetCap)
    .find(([, value]) => value === cap)?.[0]
    ?.replace('NET_CAPABILITY_', '') ?? String(cap);
const monitor = await NetMonitor.start(); // { netns: 'lab1' } watches another network namespace
console.log(`source: ${monitor.source}`); // 'netlink' | 'ip-monitor' | 'poll'

for (const net of monitor.networks) {
  const addresses = net.properties.linkAddresses.map((a) => `${a.address.address}/${a.prefixLength}`);
  const caps = net.capabilities.networkCap.map(capName).join(' ');
  console.log(`network ${net.netId}: ${net.interfaceName} ${addresses.join(' ')} [${caps}]`);
}
const current = monitor.defaultNetwork; // undefined = no default network (HarmonyOS netId 0)
console.log(`default: ${current ? `${current.netId} (${current.interfaceName})` : 'none'}`);

const changes = monitor.events$.subscribe((e) => {
  if (e.type === 'defaultChanged') console.log('default network', e.previous?.netId, '→', e.current?.netId);
  if (e.type === 'available' || e.type === 'lost')
    console.log(e.type, e.network.netId, e.network.interfaceName);
});
await new Promise((resolve) => setTimeout(resolve, watchMs));
changes.unsubscribe();
await monitor.close();
