import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemo } from '../src/demo/load-demo.ts';
import { findUserByName, issueApiToken } from '../src/storage/control/users.ts';
import { buildConsole, createConsoleUser, launchBrowser, logIn } from './support/console-browser.ts';
import { startTestServer, type TestServer } from './support/runtime.ts';
import { duckdbWarehouseOf } from '../src/runtime.ts';

/**
 * Editing a campaign keeps what the form does not show (issue 18, no silent loss): a triggered
 * campaign set up through the API with trigger conditions, a skip-if event, a department, a
 * re-reach interval and a red packet with its own validity opens with those listed above the form
 * in words, its trigger event picked by its name; after the text is changed and saved, the server
 * still holds every one of them. Real Chromium, zh-CN, 1366 and 390 px (screenshots under $SHOTS,
 * default /tmp/kept).
 */

const DAY = 86_400_000;
const SHOTS = process.env['SHOTS'] ?? '/tmp/kept';
let server: TestServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let token = '';
let campaignId = '';

const call = async <T>(method: 'GET' | 'POST', url: string, payload?: unknown) => {
  const res = await server.app.inject({
    method,
    url,
    headers: {
      authorization: `Bearer ${token}`,
      ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
  return { status: res.statusCode, body: res.json() as T };
};

interface Saved {
  version: number;
  definition: Record<string, unknown> & { content: Record<string, unknown>[] };
}

const freshPage = async (width: number, height: number) => {
  await context?.close();
  context = await browser.newContext({
    viewport: { width, height },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  page = await context.newPage();
  await logIn(page, server.url, 'olivia');
};

const shot = async (name: string) => {
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
  const wide = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
  expect(wide, `${name} is wider than the screen`).toBeLessThanOrEqual(0);
};

const redPacket = {
  kind: 'red_packet',
  amount: { type: 'fixed', amount: 800 },
  validityDays: 14,
  expectedRedemptionRate: 0.35,
  costRecognition: 'issue',
};

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  buildConsole();
  server = await startTestServer();
  await loadDemo(server.rt.warehouse, { size: 300, seed: 5, now: Math.floor(Date.now() / DAY) * DAY });
  await duckdbWarehouseOf(server.rt).compactEvents();
  await createConsoleUser(server.rt, 'olivia', 'operator');
  const u = await findUserByName(server.rt.control, 'olivia');
  if (u === null) throw new Error('olivia');
  token = await issueApiToken(server.rt.control, u.id);
  const a = await call<{ id: string }>('POST', '/v1/audiences', {
    name: '分销渠道用户',
    definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: 'distribution' },
  });
  expect(a.status).toBe(201);
  const created = await call<{ id: string }>('POST', '/v1/campaigns', {
    name: '降级挽回 · 红包',
    definition: {
      audienceId: a.body.id,
      timing: {
        kind: 'triggered',
        event: 'tier_changed',
        where: { to: 'low' },
        delayMinutes: 60,
        unlessEvent: 'order',
      },
      channels: ['in_app'],
      content: [{ channel: 'in_app', title: '送你一个红包', body: '{{ offer.amount_yuan }} 元红包已到账' }],
      offer: redPacket,
      department: '会员运营部',
      reEligibilityDays: 30,
      holdoutShare: 0.1,
    },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  campaignId = created.body.id;
  browser = await launchBrowser();
}, 240_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.stop();
  server?.cleanup();
});

describe('campaign editor keeps what it does not show', () => {
  it.each([
    [1366, 768],
    [390, 844],
  ])('at %i px: lists them in words, picks the trigger by name, and saving keeps them', async (w, h) => {
    await freshPage(w, h);
    await page.goto(`${server.url}/campaigns/${campaignId}/edit`);
    const note = page.getByTestId('kept-beyond-form');
    await note.waitFor({ timeout: 20_000 });
    const words = (await note.textContent()) ?? '';
    for (const w of ['所属部门', '再次触达间隔天数', '触发条件', '跳过条件事件']) expect(words).toContain(w);
    expect(words).not.toMatch(/[a-z]{3,}/);
    expect(await page.getByTestId('campaign-trigger-event').textContent()).toContain('价值分层变化');
    // A red packet stays one: the amount is labelled by the offer's kind.
    expect(await page.getByText('红包', { exact: true }).count()).toBeGreaterThan(0);
    const body = page.getByTestId('in_app-body');
    await body.fill(`{{ offer.amount_yuan }} 元红包已到账 · ${w}`);
    await shot(`kept-${w}`);
    await page.getByTestId('campaign-save').click();
    await expect
      .poll(
        async () =>
          (await call<Saved>('GET', `/v1/campaigns/${campaignId}`)).body.definition.content[0]?.['body'],
        {
          timeout: 15_000,
        },
      )
      .toBe(`{{ offer.amount_yuan }} 元红包已到账 · ${w}`);
    const d = (await call<Saved>('GET', `/v1/campaigns/${campaignId}`)).body.definition;
    expect(d['timing']).toEqual({
      kind: 'triggered',
      event: 'tier_changed',
      where: { to: 'low' },
      delayMinutes: 60,
      unlessEvent: 'order',
    });
    expect(d['offer']).toEqual(redPacket);
    expect(d['department']).toBe('会员运营部');
    expect(d['reEligibilityDays']).toBe(30);
  });
});
