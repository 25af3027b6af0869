import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providersOf } from '../src/delivery/providers/provider-runtime.ts';
import { startDeliveryWorker } from '../src/delivery/worker.ts';
import { shipFacts } from '../src/facts/ship.ts';
import { runSlot } from '../src/planner/run-slot.ts';
import { findUserByName, issueApiToken } from '../src/storage/control/users.ts';
import { deliveredShown } from '../console/src/lib/in-app-figures.ts';
import {
  buildConsole,
  createConsoleUser,
  launchBrowser,
  logIn,
  pickOption,
} from './support/console-browser.ts';
import { json, startFakeVendor } from './support/fake-vendor.ts';
import { apiCall, basicAuth, startTestServer, TEST_WRITE_KEY, type TestServer } from './support/runtime.ts';
import { event, profile, seed } from './support/score-scenario.ts';

/**
 * In-app messages have no delivery receipt (issue 18): the campaign's stats and progress give the
 * inbox's own figures (put in the inbox, read by the app) instead, the delivery rate of a campaign
 * that mixes in-app with SMS is over the SMS only, and the detail page and the report say
 * 站内信已读 / 站内信无送达回执 instead of 已送达 0. Real planner, delivery worker, inbox routes
 * (write key + the user's inbox token) and warehouse; only the SMS gateway is faked, over HTTP.
 */

const T = Date.UTC(2026, 10, 20, 4); // 12:00 in Shanghai: outside quiet hours
const DAY = 86_400_000;
const started = Date.now();
const clock = () => T + (Date.now() - started);
/** `REKINDLE_SHOTS_DIR` keeps screenshots. */
const shots = process.env['REKINDLE_SHOTS_DIR'];

const INBOX_ONLY = ['a1', 'a2', 'a3', 'a4'];
const WITH_PHONE = ['b1', 'b2', 'b3'];
const NO_PHONE = ['b4', 'b5'];

let s: TestServer;
let browser: Browser;
let vendor: Awaited<ReturnType<typeof startFakeVendor>>;
const tokens: Record<string, string> = {};
const call = (who: string, method: string, path: string, body?: unknown) =>
  apiCall(s.url, tokens[who] ?? '', method, path, body);
let inAppId = '';
let mixedId = '';

const approve = async (name: string, audience: string, channels: string[]) => {
  const aud = await call('olga', 'POST', '/v1/audiences', {
    name: `${name} 人群`,
    definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: audience },
  });
  expect(aud.status, JSON.stringify(aud.json)).toBe(201);
  const content = [
    { channel: 'in_app', title: '专属福利', body: '新人礼包已到账', landingUrl: 'https://example.com/a' },
    { channel: 'sms', text: '回来看看 https://example.com/a 回T退订', signature: '【Rekindle】' },
  ].filter((c) => channels.includes(c.channel));
  const made = await call('olga', 'POST', '/v1/campaigns', {
    name,
    definition: {
      audienceId: aud.json['id'],
      timing: { kind: 'one_off', at: new Date(T).toISOString() },
      channels,
      content,
      holdoutShare: 0,
    },
  });
  expect(made.status, JSON.stringify(made.json)).toBe(201);
  const id = String(made.json['id']);
  expect((await call('olga', 'POST', `/v1/campaigns/${id}/submit`, { version: 1 })).status).toBe(200);
  const r = await call('rita', 'POST', `/v1/campaigns/${id}/review`, { decision: 'approve', version: 1 });
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  return id;
};

/** What the app does when the user opens a message: its inbox, then "read", with the user's token. */
const readInApp = async (userId: string) => {
  const token = await call('olga', 'POST', `/v1/users/${userId}/inbox-token`);
  expect(token.status).toBe(200);
  const headers = {
    authorization: basicAuth(TEST_WRITE_KEY),
    'x-rekindle-user-token': String(token.json['token']),
    'content-type': 'application/json',
  };
  const inbox = (await (await fetch(`${s.url}/v1/inbox?userId=${userId}`, { headers })).json()) as {
    messages: { id: number }[];
  };
  expect(inbox.messages).toHaveLength(1);
  const read = await fetch(`${s.url}/v1/inbox/${inbox.messages[0]?.id ?? 0}/read`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ userId }),
  });
  expect(read.status).toBe(200);
};

beforeAll(async () => {
  buildConsole();
  vendor = await startFakeVendor((_r, res) => json(res, 200, { id: `sms-${vendor.requests.length}` }));
  s = await startTestServer({ clock });
  for (const [name, role] of [
    ['ada', 'admin'],
    ['olga', 'operator'],
    ['rita', 'reviewer'],
  ] as const) {
    await createConsoleUser(s.rt, name, role);
    const u = await findUserByName(s.rt.control, name);
    if (!u) throw new Error(name);
    tokens[name] = await issueApiToken(s.rt.control, u.id);
  }
  const users = [...INBOX_ONLY, ...WITH_PHONE, ...NO_PHONE];
  await seed(
    s.rt.warehouse,
    users.map((u) =>
      profile(u, T - 100 * DAY, {
        acquisition_channel: u.startsWith('a') ? 'inbox-only' : 'mixed',
        timezone: 'Asia/Shanghai',
        ...(WITH_PHONE.includes(u) ? { phone: `+861380010000${u.slice(1)}`, consent_sms: true } : {}),
      }),
    ),
    users.map((u) => event(u, 'login', T - 40 * DAY)),
  );
  for (const body of [
    { kind: 'inbox', name: '站内信', config: {}, secrets: {} },
    {
      kind: 'sms_http',
      name: '短信网关',
      ratePerSecond: 1000,
      config: { url: `${vendor.url}/sms` },
      secrets: { authValue: 'Bearer test' },
    },
  ]) {
    const p = await call('ada', 'POST', '/v1/providers', body);
    expect(p.status, JSON.stringify(p.json)).toBe(201);
  }
  inAppId = await approve('站内信召回', 'inbox-only', ['in_app']);
  mixedId = await approve('短信加站内信', 'mixed', ['sms', 'in_app']);
  await runSlot(s.rt, 'default', T);
  const worker = startDeliveryWorker(s.rt, providersOf(s.rt).registry, { idleMs: 20 });
  await worker.drained();
  await worker.stop();
  // Two of the four in-app-only users and one of the mixed campaign's open their message.
  for (const u of ['a1', 'a3', 'b4']) await readInApp(u);
  await shipFacts(s.rt.control, s.rt.warehouse, { clock });
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await vendor?.close();
  await s?.stop();
  s?.cleanup();
});

describe('in-app figures in place of delivery receipts', () => {
  it('stats and progress give the inbox’s stored and read; delivered and its rate leave in-app out', async () => {
    const stats = await call('olga', 'GET', `/v1/campaigns/${inAppId}/stats?by=channel`);
    expect(stats.status).toBe(200);
    expect(stats.json['inApp']).toEqual({ stored: 4, read: 2 });
    expect(stats.json['total']).toMatchObject({ sent: 4, delivered: 0 });
    const p = await call('olga', 'GET', `/v1/campaigns/${inAppId}/progress`);
    expect(p.json['funnel']).toMatchObject({
      sent: 4,
      delivered: 0,
      deliveredRate: null, // no message that could have a receipt: no rate, not 0 %
      inApp: { stored: 4, read: 2, readRate: 0.5 },
    });

    const mixed = await call('olga', 'GET', `/v1/campaigns/${mixedId}/progress`);
    expect(mixed.json['funnel']).toMatchObject({
      sent: 5,
      delivered: 0,
      deliveredRate: 0, // over the three SMS (no receipt yet), not over all five
      inApp: { stored: 2, read: 1, readRate: 0.5 },
    });
    expect(vendor.requests).toHaveLength(3);

    // A campaign without in-app has none of it.
    const sms = await call('olga', 'GET', `/v1/campaigns/${mixedId}/stats`);
    expect(sms.json['inApp']).toEqual({ stored: 2, read: 1 });
  });

  it('says which funnel a campaign has: receipts, in-app only, or both', () => {
    expect(deliveredShown(10, null)).toEqual({ kind: 'receipts' });
    expect(deliveredShown(10, { stored: 0, read: 0 })).toEqual({ kind: 'receipts' });
    expect(deliveredShown(4, { stored: 4, read: 2 })).toEqual({ kind: 'inAppOnly', read: 2, stored: 4 });
    // The warehouse's sent may lag the inbox by a few seconds: still in-app only, never negative.
    expect(deliveredShown(3, { stored: 4, read: 2 })).toEqual({ kind: 'inAppOnly', read: 2, stored: 4 });
    expect(deliveredShown(5, { stored: 2, read: 1 })).toEqual({
      kind: 'mixed',
      read: 1,
      stored: 2,
      receiptSent: 3,
    });
  });

  const shoot = async (page: Page, name: string, fullPage = true) => {
    if (!shots) return;
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: join(shots, `${name}.png`), fullPage });
  };

  for (const width of [1366, 390])
    it(`the detail page and the report say 站内信已读, never 已送达 0 (${width} px)`, async () => {
      const context = await browser.newContext({ viewport: { width, height: 844 }, locale: 'zh-CN' });
      const page = await context.newPage();
      try {
        await logIn(page, s.url, 'olga');
        await page.goto(`${s.url}/campaigns/${inAppId}`);
        await page.getByTestId('funnel-inAppRead-count').waitFor();
        expect(await page.getByTestId('funnel-inAppRead-count').innerText()).toBe('2');
        expect(await page.getByTestId('funnel-delivered').count()).toBe(0);
        const funnel = await page.getByTestId('detail-funnel').innerText();
        expect(funnel).toContain('站内信已读');
        expect(funnel).toContain('占 4 条站内信');
        expect(funnel).toContain('站内信无送达回执');
        expect(await page.getByTestId('channel-delivered-in_app').innerText()).toBe('站内信无送达回执');
        await shoot(page, `in-app-detail-${width}`);

        await page.goto(`${s.url}/campaigns/${mixedId}`);
        await page.getByTestId('funnel-inAppRead-count').waitFor();
        expect(await page.getByTestId('funnel-delivered').innerText()).toContain('已送达（不含站内信）');
        expect(await page.getByTestId('funnel-delivered').innerText()).toContain('占其已发送');
        expect(await page.getByTestId('funnel-inAppRead-count').innerText()).toBe('1');
        await shoot(page, `in-app-mixed-detail-${width}`);

        await page.goto(`${s.url}/reports`);
        await page.getByTestId('report-campaign').waitFor({ timeout: 60_000 });
        await pickOption(page, 'report-campaign', '站内信召回');
        await page.getByTestId('report-in-app-read').waitFor();
        expect(await page.getByTestId('report-delivered').innerText()).toContain('站内信无送达回执');
        expect(await page.getByTestId('report-in-app-read').innerText()).toContain('2');
        const reportFunnel = await page.getByTestId('campaign-funnel').innerText();
        expect(reportFunnel).toContain('站内信已读');
        expect(reportFunnel).not.toContain('已送达');
        expect(await page.getByTestId('report-in-app-note').innerText()).toContain('已写入 4 条，已读 2 条');
        await page.getByTestId('report-in-app-read').scrollIntoViewIfNeeded();
        await shoot(page, `in-app-report-${width}`, false);
        const scroll = await page.locator('html').evaluate((h) => h.scrollWidth);
        expect(scroll).toBeLessThanOrEqual(width);
      } finally {
        await context.close();
      }
    });
});
