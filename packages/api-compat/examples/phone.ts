// The phone: plain HarmonyOS collaboration code (@kit.* imports), run on Node with the register hook. It finds the
// tablet, opens an abilityConnectionManager session to its EntryAbility, sends a message and prints the echo.
import { getRuntime } from '@colink/api-compat/runtime';
import { abilityConnectionManager, distributedDeviceManager } from '@kit.DistributedServiceKit';

await getRuntime().waitForDevices(1, 15_000); // on a real device the peer is already in the list
const dm = distributedDeviceManager.createDeviceManager('com.example.echo');
const tablet = dm.getAvailableDeviceListSync()[0]!;
console.log(`found ${tablet.deviceName}`);

const sessionId = abilityConnectionManager.createAbilityConnectionSession(
  'echo',
  getContext(),
  {
    deviceId: tablet.networkId!,
    bundleName: 'com.example.echo',
    moduleName: 'entry',
    abilityName: 'EntryAbility',
    serviceName: 'echo',
  },
  { needSendData: false, startOptions: abilityConnectionManager.StartOptionParams.START_IN_FOREGROUND },
);
const echo = new Promise<string>((resolve) =>
  abilityConnectionManager.on('receiveMessage', sessionId, (info) => resolve(info.msg!)),
);
const result = await abilityConnectionManager.connect(sessionId);
console.log(`connected: ${result.isConnected}`);
await abilityConnectionManager.sendMessage(sessionId, 'hello tablet');
console.log(await echo);

abilityConnectionManager.disconnect(sessionId);
abilityConnectionManager.destroyAbilityConnectionSession(sessionId);
await getRuntime().stop();
