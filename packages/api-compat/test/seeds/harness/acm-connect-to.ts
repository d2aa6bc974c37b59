// Harness (not a seed block): device A's side for the seed's device-B abilities that the seed's own device-A code
// cannot reach (the API 16 example names the placeholder "sinkDeviceId"; the API 18 page targets EntryAbility
// only): creates a session to `__seedArg.abilityName` on the first device found and connects, as device-a.ts does.
import { abilityConnectionManager, distributedDeviceManager } from '@kit.DistributedServiceKit';

const arg = (globalThis as unknown as { __seedArg: { abilityName: string; api: 16 | 18 } }).__seedArg;
const say = (o: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify({ ev: 'harnessConnect', abilityName: arg.abilityName, ...o })}\n`);
};
const dm = distributedDeviceManager.createDeviceManager('com.example.remotephotodemo');
const deviceId = dm.getAvailableDeviceListSync()[0]!.networkId!;
const base = {
  deviceId,
  bundleName: 'com.example.remotephotodemo',
  moduleName: 'entry',
  abilityName: arg.abilityName,
};
const sessionId =
  arg.api === 16
    ? abilityConnectionManager.createAbilityConnectionSession(
        'collabTest',
        getContext(),
        { ...base, serverId: 'collabTest' },
        {
          needSendData: true,
          needSendStream: false,
          needReceiveStream: true,
          options: {},
          parameters: {},
        },
      )
    : abilityConnectionManager.createAbilityConnectionSession(
        'collabTest',
        getContext(),
        { ...base, serviceName: 'collabTest' },
        { needSendData: true, startOptions: abilityConnectionManager.StartOptionParams.START_IN_FOREGROUND },
      );
say({ sessionId });
abilityConnectionManager.connect(sessionId).then(
  (result) => say({ result }),
  (err: unknown) => say({ error: err }),
);
