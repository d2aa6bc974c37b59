// The tablet's ability: accepts every collaboration request and echoes each message back.
import { AbilityConstant, UIAbility } from '@kit.AbilityKit';
import { abilityConnectionManager } from '@kit.DistributedServiceKit';
import { hilog } from '@kit.PerformanceAnalysisKit';

export default class EntryAbility extends UIAbility {
  override onCollaborate(wantParam: Record<string, Object>): AbilityConstant.CollaborateResult {
    const param = wantParam['ohos.extra.param.key.supportCollaborateIndex'] as Record<string, Object>;
    const sessionId = abilityConnectionManager.createAbilityConnectionSession(
      'echo',
      this.context,
      param['PeerInfo'] as abilityConnectionManager.PeerInfo,
      param['ConnectOption'] as abilityConnectionManager.ConnectOptions,
    );
    abilityConnectionManager.on('receiveMessage', sessionId, (info) => {
      hilog.info(0x0000, 'echo', 'got %{public}s', info.msg);
      abilityConnectionManager.sendMessage(sessionId, `echo: ${info.msg}`);
    });
    abilityConnectionManager.acceptConnect(sessionId, param['ohos.dms.collabToken'] as string);
    return AbilityConstant.CollaborateResult.ACCEPT;
  }
}
