// What the seeds' sample projects have and no Node process does, defined before any block runs (imported by every
// composed block module). Nothing here stands in for an API under test.
// - `GlobalContext`: the sample project's singleton holding app state (net-connection-guide `GlobalContext.getContext()`).
// - `NETWORK_CONNECTION_TIMEOUT`: the sample project's constant (net-connection-guide createNetConnection), in ms.
// - An unhandled promise rejection is logged, not fatal, as the ArkTS runtime does (Node would exit): the seed code
//   has `.then()` chains without `.catch()`.
import { hilog } from '@kit.PerformanceAnalysisKit';

class GlobalContextImpl {
  private static instance: GlobalContextImpl | undefined;
  netList: unknown;
  static getContext(): GlobalContextImpl {
    GlobalContextImpl.instance ??= new GlobalContextImpl();
    return GlobalContextImpl.instance;
  }
}

const g = globalThis as unknown as Record<string, unknown>;
if (g.GlobalContext === undefined) {
  g.GlobalContext = GlobalContextImpl;
  g.NETWORK_CONNECTION_TIMEOUT = Number(process.env.SEED_NETWORK_CONNECTION_TIMEOUT ?? 1000);
  process.on('unhandledRejection', (reason) => {
    hilog.error(
      0x0000,
      'seedPrelude',
      '%{public}s',
      `Unhandled promise rejection: ${JSON.stringify(reason)}`,
    );
  });
}
