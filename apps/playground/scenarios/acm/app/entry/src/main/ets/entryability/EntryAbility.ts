// Device B of the abilityConnectionManager seed (acceptConnect example), with the seed's event snippets.
import { type AbilityConstant, UIAbility, type Want } from '@kit.AbilityKit';
import { abilityConnectionManager } from '@kit.DistributedServiceKit';
import { hilog } from '@kit.PerformanceAnalysisKit';

export default class EntryAbility extends UIAbility {
  onCreate(want: Want, launchParam: AbilityConstant.LaunchParam): void {
    hilog.info(0x0000, 'testTag', '%{public}s', 'Ability onCreate');
  }

  onCollaborate(wantParam: Record<string, Object>): AbilityConstant.CollaborateResult {
    hilog.info(0x0000, 'testTag', '%{public}s', 'on collaborate');
    const param = wantParam['ohos.extra.param.key.supportCollaborateIndex'] as Record<string, Object>;
    this.onCollab(param);
    return 0;
  }

  onCollab(collabParam: Record<string, Object>) {
    const sessionId = this.createSessionFromWant(collabParam);
    if (sessionId == -1) {
      hilog.info(0x0000, 'testTag', 'Invalid session ID.');
      return;
    }
    abilityConnectionManager.on('receiveMessage', sessionId, (callbackInfo) => {
      hilog.info(0x0000, 'testTag', 'receiveMessage, msg is %{public}s', callbackInfo.msg);
      abilityConnectionManager.sendMessage(sessionId, 'echo: ' + callbackInfo.msg);
    });
    abilityConnectionManager.on('receiveData', sessionId, (callbackInfo) => {
      hilog.info(0x0000, 'testTag', 'receiveData, %{public}d bytes', callbackInfo.data!.byteLength);
    });
    abilityConnectionManager.on('disconnect', sessionId, (callbackInfo) => {
      hilog.info(
        0x0000,
        'testTag',
        'session disconnect, sessionId is %{public}d, reason %{public}d',
        callbackInfo.sessionId,
        callbackInfo.reason,
      );
    });
    const collabToken = collabParam['ohos.dms.collabToken'] as string;
    abilityConnectionManager
      .acceptConnect(sessionId, collabToken)
      .then(() => {
        hilog.info(0x0000, 'testTag', 'acceptConnect success');
      })
      .catch(() => {
        hilog.error(0x0000, 'testTag', 'failed');
      });
  }

  createSessionFromWant(collabParam: Record<string, Object>): number {
    let sessionId = -1;
    const peerInfo = collabParam['PeerInfo'] as abilityConnectionManager.PeerInfo;
    if (peerInfo == undefined) {
      return sessionId;
    }
    const options = collabParam['ConnectOption'] as abilityConnectionManager.ConnectOptions;
    try {
      sessionId = abilityConnectionManager.createAbilityConnectionSession(
        'collabTest',
        this.context,
        peerInfo,
        options,
      );
      AppStorage.setOrCreate('sessionId', sessionId);
      hilog.info(0x0000, 'testTag', 'createSession sessionId is ' + sessionId);
    } catch (error) {
      hilog.error(0x0000, 'testTag', error);
    }
    return sessionId;
  }
}
