import { afterAll, describe, expect, it } from 'vitest';
import { arkTsToTypeScript } from '../src/ets.js';
import { deviceEnv, type Proc, randomPort, start, stderrIncludes } from './procs.js';

describe('ArkTS (.ets) loading', () => {
  it('drops ArkUI decorators, turns structs into exported classes and empties build()', () => {
    const ts = arkTsToTypeScript(`@Entry
@Component
struct Index {
  @State message: string = 'Hello' // a "}" in a comment
  @Watch('onChange') @Prop count: number = 0
  go(): void { console.log(\`{\${this.message}}\`) }
  build() {
    Column() {
      Text(this.message).onClick(() => { this.go() })
    }
  }
}`);
    expect(ts).toContain("import { ArkUIComponent as __ArkUIComponent } from '@colink/api-compat/arkui';");
    expect(ts).toContain('export class Index extends __ArkUIComponent {');
    expect(ts).not.toMatch(/@(Entry|Component|State|Watch|Prop)\b/);
    expect(ts).toContain("message: string = 'Hello'");
    expect(ts).toContain('go(): void { console.log(`{${this.message}}`) }');
    expect(ts).toMatch(/build\(\) \{\}\n\}$/);
  });

  const procs: Proc[] = [];
  afterAll(() => {
    for (const p of procs) p.child.kill('SIGKILL');
  });

  it("runs the seed's device-A page verbatim (.ets, ArkUI decorators included) against a second device", async () => {
    const port = randomPort();
    const b = start(
      ['dist/bin/colink-device.js', 'test/fixtures/collab-app'],
      deviceEnv('tablet-ets', 'tablet', port),
    );
    procs.push(b);
    await b.waitFor((l) => l.event === 'ready');
    const a = start(['--import', '@colink/api-compat/register', 'test/fixtures/ets/device-a-ets.ts'], {
      ...deviceEnv('phone-ets', 'phone', port),
      COLINK_APP_DIR: 'test/fixtures/collab-app',
    });
    procs.push(a);
    // The seed logs `hilog.info(…, 'createSession sessionId is', sessionId)`: no specifier, so HarmonyOS (and
    // colink) print the format alone; connect(100) below proves the page created session 100.
    await stderrIncludes(a, 'I 0x0000/testTag: createSession sessionId is\n');
    const connect = await a.waitFor((l) => l.step === 'connect');
    expect(a.stderr.join('')).not.toMatch(/^E 0x0000\/testTag/m);
    expect(connect.result).toEqual({ isConnected: true, reason: '' });
    expect(await b.waitFor((l) => l.event === 'accepted')).toMatchObject({
      peer: { bundleName: 'com.example.remotephotodemo' },
    });
  }, 60_000);
});
