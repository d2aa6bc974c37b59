import { createHash } from 'node:crypto';
import { type DeviceAdvert, isColinkError, LocalDevice, MemoryNetwork } from '@colink/core';
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { transcript } from './transcript.js';

const app = { bundleName: 'com.example.notes', moduleName: 'entry', abilityName: 'EntryAbility' };

function advert(deviceName: string, deviceType: string): DeviceAdvert {
  return { networkId: createHash('sha256').update(deviceName).digest('hex'), deviceName, deviceType };
}

/**
 * Two virtual devices on an in-memory medium: discovery, a rejected and an accepted collaboration session,
 * messages and data both ways, and the disconnect reasons — printed as a transcript.
 */
export async function runMemoryDemo(): Promise<void> {
  const log = transcript();
  const net = new MemoryNetwork({ model: { latencyMs: 2, bandwidthBytesPerSec: 50e6 } });
  const phone = new LocalDevice({ advert: advert('phone', 'phone'), transports: [net.createTransport()] });
  const tablet = new LocalDevice({ advert: advert('tablet', 'tablet'), transports: [net.createTransport()] });
  await phone.start();
  await tablet.start();
  log('lab', 'phone and tablet started on an in-memory medium (2 ms latency, 50 MB/s)');
  const [found] = await firstValueFrom(phone.directory.devices$.pipe(filter((l) => l.length > 0)));
  log(
    'phone',
    `found ${found!.deviceName} (${found!.networkId.slice(0, 12)}…) via ${found!.mediums.join(', ')}`,
  );

  let answer: 'reject' | 'accept' = 'reject';
  tablet.sessions.requests$.subscribe((req) => {
    log(
      'tablet',
      `session request from ${req.peer.deviceName}: ${req.from.bundleName}/${req.from.abilityName} → service "${req.service}"`,
    );
    if (answer === 'reject') {
      log('tablet', 'rejects: "busy editing"');
      req.reject('busy editing');
      return;
    }
    log('tablet', 'accepts');
    void req.accept().then((s) => {
      s.messages$.subscribe((m) => {
        log('tablet', `received message "${m}"`);
        void s.sendMessage(`echo: ${m}`);
      });
      s.data$.subscribe((d) => log('tablet', `received ${d.length} bytes of data`));
      s.ended$.subscribe((why) => log('tablet', `session ended: ${why}`));
    });
  });

  const request = { peer: tablet.advert.networkId, service: 'notes-sync', local: app, remote: app };
  log('phone', 'requests a session with tablet');
  try {
    await phone.sessions.request(request);
  } catch (e) {
    if (!isColinkError(e, 'ERR_REJECTED')) throw e;
    log('phone', `request rejected: "${e.message}"`);
  }
  answer = 'accept';
  log('phone', 'requests again');
  const session = await phone.sessions.request(request);
  log('phone', `session open over ${session.via.medium} link ${session.via.id}`);
  const echoes = firstValueFrom(session.messages$.pipe(take(2), toArray()));
  await session.sendMessage('hello from the phone');
  await session.sendMessage('你好');
  for (const e of await echoes) log('phone', `received message "${e}"`);
  await session.sendData(new Uint8Array(1024 * 1024));
  log('phone', 'sent 1 MiB of data');
  await new Promise((r) => setTimeout(r, 100));
  log('phone', 'closes the session');
  await session.close();
  await new Promise((r) => setTimeout(r, 20));
  const s2 = await phone.sessions.request(request);
  log('phone', 'opened a second session; now the medium fails');
  net.sever(phone.transports[0]!.localAddress!);
  log('phone', `session ended: ${await firstValueFrom(s2.ended$)}`);
  await phone.stop();
  await tablet.stop();
  log('lab', 'done');
}
