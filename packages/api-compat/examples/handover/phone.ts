// The phone of the handover how-to: plain HarmonyOS collaboration code that opens a session to the tablet's echo
// ability and sends a numbered message every 50 ms for DURATION_MS (default 16 s), whatever happens to the media
// under it. Two colink extras (`getRuntime()`) wait until the tablet is known on TCP and print each move of the
// session between media. At the end it prints how many echoes came back in order and how many disconnects it saw.
import { getRuntime } from '@colink/api-compat/runtime';
import { abilityConnectionManager, distributedDeviceManager } from '@kit.DistributedServiceKit';

const durationMs = Number(process.env.DURATION_MS ?? 16_000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const rt = getRuntime();
await rt.waitForDevices(1, 15_000);
const dm = distributedDeviceManager.createDeviceManager('com.example.echo');
const tablet = dm.getAvailableDeviceListSync()[0]!;
const tabletId = tablet.networkId!;
while (!rt.device.directory.get(tabletId)?.addresses.tcp?.length) await sleep(100); // LAN address known

const sessionId = abilityConnectionManager.createAbilityConnectionSession(
  'echo',
  getContext(),
  {
    deviceId: tabletId,
    bundleName: 'com.example.echo',
    moduleName: 'entry',
    abilityName: 'EntryAbility',
    serviceName: 'echo',
  },
  { needSendData: false, startOptions: abilityConnectionManager.StartOptionParams.START_IN_FOREGROUND },
);
let echoed = 0;
let outOfOrder = 0;
let disconnects = 0;
abilityConnectionManager.on('receiveMessage', sessionId, (info) => {
  if (info.msg === `echo: ${echoed}`) echoed++;
  else outOfOrder++;
});
abilityConnectionManager.on('disconnect', sessionId, () => disconnects++);
const result = await abilityConnectionManager.connect(sessionId);
const peer = rt.device.peer(tabletId)!;
console.log(`connected: ${result.isConnected} over ${peer.carrier?.medium}`);
peer.moves$.subscribe((m) => console.log(`session moved ${m.from} → ${m.to} (${m.why})`));

let sent = 0;
for (const end = Date.now() + durationMs; Date.now() < end; sent++) {
  await abilityConnectionManager.sendMessage(sessionId, String(sent));
  await sleep(50);
}
for (const end = Date.now() + 10_000; echoed + outOfOrder < sent && Date.now() < end; ) await sleep(50);
console.log(
  `sent ${sent}, echoed in order ${echoed}, out of order ${outOfOrder}, disconnects ${disconnects}`,
);

abilityConnectionManager.disconnect(sessionId);
abilityConnectionManager.destroyAbilityConnectionSession(sessionId);
await rt.stop();
