// Device A of the abilityConnectionManager seed: find the peer with distributedDeviceManager, create a session,
// connect, send a message and data, then disconnect.

import { getRuntime } from '@colink/api-compat/runtime';
import { abilityConnectionManager, distributedDeviceManager } from '@kit.DistributedServiceKit';
import { hilog } from '@kit.PerformanceAnalysisKit';

await getRuntime().waitForDevices(1, 15_000);
const dmClass = distributedDeviceManager.createDeviceManager('com.example.remotephotodemo');
const list = dmClass.getAvailableDeviceListSync();
hilog.info(
  0x0000,
  'testTag',
  'available devices: %{public}s',
  list.map((d) => `${d.deviceName} (${d.networkId!.slice(0, 12)}…)`).join(', '),
);

const peerInfo: abilityConnectionManager.PeerInfo = {
  deviceId: list[0].networkId!,
  bundleName: 'com.example.remotephotodemo',
  moduleName: 'entry',
  abilityName: 'EntryAbility',
  serviceName: 'collabTest',
};
const connectOptions: abilityConnectionManager.ConnectOptions = {
  needSendData: true,
  startOptions: abilityConnectionManager.StartOptionParams.START_IN_FOREGROUND,
  parameters: { newKey1: 'value1' },
};
const sessionId = abilityConnectionManager.createAbilityConnectionSession(
  'collabTest',
  getContext(),
  peerInfo,
  connectOptions,
);
hilog.info(0x0000, 'testTag', 'createSession sessionId is %{public}d', sessionId);
const echoed = new Promise<void>((resolve) =>
  abilityConnectionManager.on('receiveMessage', sessionId, (info) => {
    hilog.info(0x0000, 'testTag', 'receiveMessage, msg is %{public}s', info.msg);
    resolve();
  }),
);
const result = await abilityConnectionManager.connect(sessionId);
hilog.info(0x0000, 'testTag', 'connect result %{public}s', JSON.stringify(result));
await abilityConnectionManager.sendMessage(sessionId, 'message send success');
await echoed;
await abilityConnectionManager.sendData(sessionId, new ArrayBuffer(256 * 1024));
hilog.info(0x0000, 'testTag', 'sendData success (256 KiB)');
await new Promise((r) => setTimeout(r, 200));
abilityConnectionManager.disconnect(sessionId);
hilog.info(0x0000, 'testTag', 'disconnect called');
await new Promise((r) => setTimeout(r, 300));
await getRuntime().stop();
process.exit(0);
