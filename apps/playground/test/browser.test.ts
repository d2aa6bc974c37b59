import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../src/lab/lab.js';
import { type LabServer, serveLab } from '../src/lab/server.js';
import {
  CHROMIUM,
  chromiumInstalled,
  launchLoopbackOnly,
  type RefusingProxy,
  refusingProxy,
} from './chromium.js';

// End to end in Debian's Chromium (installed by .ci/run; no browser download): the lab's UI creates a session
// between two devices, sends a message, sees it arrive, drops the link, watches an 8 MiB transfer move tcp → ble →
// tcp under faults with its progress bar reaching 100 %, and sees the disconnect. The browser can
// resolve and reach nothing but loopback (chromium.ts); no-egress.test.ts proves it with a packet capture.
const UI_DIR = path.resolve(import.meta.dirname, '../dist/ui');
const SCREENSHOT = path.resolve(import.meta.dirname, '../docs/screenshot.png');
const available = chromiumInstalled && fs.existsSync(path.join(UI_DIR, 'index.html'));
if (!available)
  console.warn(`browser test skipped: needs ${CHROMIUM} (apt install chromium) and a built UI (pnpm build)`);

describe.skipIf(!available)('playground web UI in Chromium', () => {
  let lab: Lab;
  let server: LabServer;
  let browser: Browser;
  let page: Page;
  let proxy: RefusingProxy;

  beforeAll(async () => {
    lab = new Lab();
    await lab.start();
    server = await serveLab(lab, { port: 0, uiDir: UI_DIR });
    proxy = await refusingProxy();
    browser = await launchLoopbackOnly(proxy.port);
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await lab?.stop();
    await proxy?.close();
  });

  it('shows three devices that discover each other over four mediums', async () => {
    await page.goto(server.url);
    await expect.poll(() => page.locator('svg.topo g.node').count(), { timeout: 15_000 }).toBe(3);
    await expect
      .poll(() => page.getByText('via ble + memory + tcp + wifi-p2p').count(), { timeout: 20_000 })
      .toBe(6);
  });

  it('binds a guest device: both devices show the same code, the user confirms on both', async () => {
    await page.getByLabel('new device name').fill('guest');
    await page.getByLabel("guest (not on the lab's account)").check();
    await page.getByRole('button', { name: 'add device' }).click();
    await expect.poll(() => page.locator('svg.topo g.node').count(), { timeout: 15_000 }).toBe(4);
    const bind = page.getByRole('button', { name: 'bind phone with guest' });
    await expect.poll(() => bind.count(), { timeout: 20_000 }).toBe(1);
    await bind.click();
    const prompts = page.getByTestId('bind-prompt');
    await expect.poll(() => prompts.count(), { timeout: 15_000 }).toBe(2);
    const codes = await prompts
      .locator('output.bind-code')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-code')));
    expect(codes[0]).toMatch(/^\d{6}$/);
    expect(codes[1]).toBe(codes[0]);
    await page
      .locator('[data-testid="bind-prompt"][data-device="guest"]')
      .getByRole('button', { name: 'confirm' })
      .click();
    await page
      .locator('[data-testid="bind-prompt"][data-device="phone"]')
      .getByRole('button', { name: 'confirm' })
      .click();
    await expect.poll(() => prompts.count(), { timeout: 15_000 }).toBe(0);
    await expect
      .poll(() => page.getByRole('button', { name: 'unbind phone from guest' }).count(), { timeout: 15_000 })
      .toBe(1);
    await expect
      .poll(() => page.getByRole('button', { name: 'unbind guest from phone' }).count(), { timeout: 15_000 })
      .toBe(1);
    // the guest leaves again so the picture shows the lab's three devices
    await page.getByRole('button', { name: 'remove guest' }).click();
    await expect.poll(() => page.locator('svg.topo g.node').count(), { timeout: 15_000 }).toBe(3);
  });

  it('opens a session, delivers a message, keeps it when its link is dropped, and reports the disconnect', async () => {
    // links over four mediums for the picture: laptop–phone over BLE and the in-memory air, tablet–laptop over
    // Wi-Fi P2P, and the session phone–tablet over TCP
    await page.getByLabel('link from').selectOption({ label: 'laptop' });
    await page.getByLabel('link to').selectOption({ label: 'phone' });
    await page.getByLabel('link medium').selectOption('ble');
    await page.getByRole('button', { name: 'open link' }).click();
    await expect
      .poll(() => page.locator('svg.topo g.edge[data-medium="ble"]').count(), { timeout: 15_000 })
      .toBe(1);
    await page.getByLabel('link from').selectOption({ label: 'tablet' });
    await page.getByLabel('link to').selectOption({ label: 'laptop' });
    await page.getByLabel('link medium').selectOption('wifi-p2p');
    await page.getByRole('button', { name: 'open link' }).click();
    await expect
      .poll(() => page.locator('svg.topo g.edge[data-medium="wifi-p2p"]').count(), { timeout: 15_000 })
      .toBe(1);
    await page.getByLabel('link from').selectOption({ label: 'laptop' });
    await page.getByLabel('link to').selectOption({ label: 'phone' });
    await page.getByLabel('link medium').selectOption('memory');
    await page.getByRole('button', { name: 'open link' }).click();

    await page.getByLabel('from device').selectOption({ label: 'phone' });
    await page.getByLabel('to device').selectOption({ label: 'tablet' });
    await page.locator('.sessions').getByRole('button', { name: 'connect', exact: true }).click();
    const prompt = page.getByTestId('prompt');
    await expect.poll(() => prompt.count(), { timeout: 15_000 }).toBe(1);
    await prompt.getByRole('button', { name: 'accept' }).click();
    const session = page.getByTestId('session').first();
    await expect.poll(() => session.locator('.badge.open').count(), { timeout: 15_000 }).toBe(1);

    await session.getByLabel('message from phone').fill('hello from the browser');
    await session.getByRole('button', { name: 'send message' }).first().click();
    await expect
      .poll(() => page.getByTestId('events').getByText('tablet: tablet ← "hello from the browser"').count(), {
        timeout: 15_000,
      })
      .toBe(1);
    await expect
      .poll(() => page.locator('svg.topo g.edge[data-medium="tcp"]').count(), { timeout: 15_000 })
      .toBeGreaterThan(0);
    await expect
      .poll(() => page.locator('svg.topo g.edge[data-medium="memory"]').count(), { timeout: 15_000 })
      .toBeGreaterThan(0);

    // linkEnhance: the tablet starts server "demo", the phone connects to it by the tablet's BLE MAC
    const le = page.locator('.linkenhance');
    await le.getByLabel('linkEnhance server device').selectOption({ label: 'tablet' });
    await le.getByRole('button', { name: 'start server' }).click();
    await expect.poll(() => le.getByTestId('le-server').count(), { timeout: 15_000 }).toBe(1);
    await le.getByLabel('linkEnhance from').selectOption({ label: 'phone' });
    const tabletMac = lab.state().devices.find((d) => d.name === 'tablet')!.bleMac;
    await le.getByLabel('linkEnhance peer MAC').selectOption(tabletMac);
    await le.getByRole('button', { name: 'open connection' }).click();
    const leConns = le.getByTestId('le-connection');
    await expect.poll(() => leConns.locator('.badge.open').count(), { timeout: 15_000 }).toBe(2);
    await le.getByLabel('linkEnhance message from phone').fill('hi over linkEnhance');
    await leConns
      .filter({ has: page.getByLabel('linkEnhance message from phone') })
      .getByRole('button', { name: 'send', exact: true })
      .click();
    await expect.poll(() => le.getByText('“hi over linkEnhance”').count(), { timeout: 15_000 }).toBe(1);

    await page.waitForTimeout(1500); // one sampling period so edges carry RTT and throughput labels
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    const state = lab.state();
    const tcpLink = state.links.find((l) => l.medium === 'tcp')!;
    await page
      .locator('.faults .row', { hasText: tcpLink.id })
      .getByRole('button', { name: 'drop link' })
      .click();
    // The session lives on the phone–tablet peer connection, not on that Link: the peer connection re-dials within
    // its grace period and the session carries on — a message sent after the drop arrives, the session stays open.
    await session.getByLabel('message from phone').fill('after the drop');
    await session.getByRole('button', { name: 'send message' }).first().click();
    await expect
      .poll(() => page.getByTestId('events').getByText('tablet: tablet ← "after the drop"').count(), {
        timeout: 20_000,
      })
      .toBe(1);
    expect(await session.locator('.badge.closed').count()).toBe(0);
    expect(await session.locator('.badge.open').count()).toBe(1);

    // An 8 MiB transfer moves between mediums while it runs: with a BLE Link standing by, the lab cuts the TCP Link
    // carrying the session a quarter of the way through; the session (and the transfer) moves to BLE. The devices
    // dial the better medium again by themselves (core's make-before-break, `upgradeDialMs`, 2 s by default), so the
    // session moves back to a re-dialled TCP Link while BLE still carries; then the tablet leaves BLE range and the
    // session stays on TCP. The progress bar (bytes the tablet acknowledged) reaches 100 %.
    const carrier = session.getByTestId('session-carrier');
    await expect.poll(() => carrier.getAttribute('data-medium'), { timeout: 15_000 }).toBe('tcp');
    await page.getByLabel('link from').selectOption({ label: 'phone' });
    await page.getByLabel('link to').selectOption({ label: 'tablet' });
    await page.getByLabel('link medium').selectOption('ble');
    await page.getByRole('button', { name: 'open link' }).click();
    await expect
      .poll(() => page.locator('svg.topo g.edge[data-medium="ble"]').count(), { timeout: 15_000 })
      .toBe(2);
    await expect
      .poll(() => page.locator('svg.topo g.edge.carrier').getAttribute('data-medium'), { timeout: 15_000 })
      .toBe('tcp');
    await session.getByLabel('cut the carrier at 25 % of each transfer').check();
    await session.getByRole('button', { name: 'send 8 MiB' }).first().click();
    const events = page.getByTestId('events');
    await expect
      .poll(() => events.getByText('session moved tcp → ble').count(), { timeout: 30_000 })
      .toBeGreaterThan(0);
    await expect
      .poll(() => events.getByText('session moved ble → tcp').count(), { timeout: 30_000 })
      .toBeGreaterThan(0);
    const tablet = page.locator('.faults .row', { hasText: 'tablet' });
    await tablet.getByRole('button', { name: 'move out of BLE range' }).click();
    // the phone–tablet BLE Link goes (the other BLE Link of the lab stays)
    await expect
      .poll(() => page.locator('svg.topo g.edge[data-medium="ble"]').count(), { timeout: 15_000 })
      .toBe(1);
    await expect.poll(() => carrier.getAttribute('data-medium'), { timeout: 15_000 }).toBe('tcp');
    await expect
      .poll(() => page.locator('svg.topo g.edge.carrier').getAttribute('data-medium'), { timeout: 15_000 })
      .toBe('tcp');
    const transfer = session.getByTestId('transfer').first();
    await expect.poll(() => transfer.getAttribute('data-percent'), { timeout: 60_000 }).toBe('100');
    expect(await transfer.getAttribute('data-state')).toBe('done');
    const bar = transfer.locator('progress');
    expect(await bar.getAttribute('value')).toBe(await bar.getAttribute('max'));
    await tablet.getByRole('button', { name: 'bring back into BLE range' }).click();
    expect(await session.locator('.badge.open').count()).toBe(1);

    // the phone's app disconnects: both sides report it
    await session.getByRole('button', { name: 'disconnect' }).first().click();
    await expect.poll(() => session.locator('.badge.closed').count(), { timeout: 15_000 }).toBe(1);
    expect(await session.locator('.badge.closed').textContent()).toMatch(/ended: \S+/);
  });
});
