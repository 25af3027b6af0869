import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemo } from '../src/demo/load-demo.ts';
import { findUserByName, issueApiToken } from '../src/storage/control/users.ts';
import { buildConsole, createConsoleUser, launchBrowser, logIn } from './support/console-browser.ts';
import { startTestServer, type TestServer } from './support/runtime.ts';
import { duckdbWarehouseOf } from '../src/runtime.ts';

/**
 * Per-variant offers in the console (issue 18, "A/B: edit each variant's … offer"), in real
 * Chromium, zh-CN: an operator gives variant A its own ¥5 coupon and variant B none (C keeps the
 * campaign's ¥10), Save first says what is missing, the server stores it in fen, the editor shows
 * it again after a reload; the reviewer's card shows each variant's offer with the estimate's
 * count. Screenshots at 1366 and 390 px under $SHOTS (default /tmp/offers).
 */

const DAY = 86_400_000;
const SHOTS = process.env['SHOTS'] ?? '/tmp/offers';
let server: TestServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const tokens: Record<string, string> = {};
let campaignId = '';

const call = async <T>(who: string, method: 'GET' | 'POST', url: string, payload?: unknown) => {
  const res = await server.app.inject({
    method,
    url,
    headers: {
      authorization: `Bearer ${tokens[who]}`,
      ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
  return { status: res.statusCode, body: res.json() as T };
};

interface Saved {
  version: number;
  definition: { variants: { id: string; offer?: Record<string, unknown> | null }[] };
}

const freshPage = async (who: string, width = 1366, height = 768) => {
  await context?.close();
  context = await browser.newContext({
    viewport: { width, height },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  page = await context.newPage();
  await logIn(page, server.url, who);
};

const shot = async (name: string) => {
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
  const wide = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
  expect(wide, `${name} is wider than the screen`).toBeLessThanOrEqual(0);
};

const coupon = (fen: number) => ({
  kind: 'coupon',
  amount: { type: 'fixed', amount: fen },
  validityDays: 7,
  expectedRedemptionRate: 0.2,
  costRecognition: 'redemption',
});

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  buildConsole();
  server = await startTestServer();
  await loadDemo(server.rt.warehouse, { size: 400, seed: 11, now: Math.floor(Date.now() / DAY) * DAY });
  await duckdbWarehouseOf(server.rt).compactEvents();
  for (const [name, role] of [
    ['olivia', 'operator'],
    ['rita', 'reviewer'],
  ] as const) {
    await createConsoleUser(server.rt, name, role);
    const u = await findUserByName(server.rt.control, name);
    if (u === null) throw new Error(name);
    tokens[name] = await issueApiToken(server.rt.control, u.id);
  }
  const a = await call<{ id: string }>('olivia', 'POST', '/v1/audiences', {
    name: '分销渠道用户',
    definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: 'distribution' },
  });
  expect(a.status).toBe(201);
  const created = await call<{ id: string }>('olivia', 'POST', '/v1/campaigns', {
    name: '券额测试',
    definition: {
      audienceId: a.body.id,
      timing: { kind: 'one_off', at: new Date(Date.now() + 3 * DAY).toISOString() },
      channels: ['push'],
      content: [{ channel: 'push', title: '好久不见', body: '送你一张券 {{ offer.code }}' }],
      offer: coupon(1000),
      budgetCents: 500_000,
      holdoutShare: 0.1,
      variants: [
        // Shares the editor reads as 34 / 33 / 33 %, adding up to 100.
        { id: 'A', weight: 34 },
        { id: 'B', weight: 33 },
        { id: 'C', weight: 33 },
      ],
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

describe('variant offers in the console', () => {
  it('sets a variant’s own coupon and another’s none, saves in fen, and shows them after a reload', async () => {
    await freshPage('olivia');
    await page.goto(`${server.url}/campaigns/${campaignId}/edit`);
    const a = page.getByTestId('variant-A-offer');
    await a.waitFor();
    // Every variant starts with the campaign's offer, named with its amount.
    await expect(a.textContent()).resolves.toContain('同主活动（¥10.00）');
    await a.getByText('自定义').click();
    // No amount yet: Save says what is missing and nothing is saved.
    await page.getByTestId('campaign-save').click();
    await expect(page.getByTestId('campaign-missing').textContent()).resolves.toContain(
      '自定义权益的实验组的优惠券金额',
    );
    await page.getByTestId('variant-A-offer-amount').fill('5');
    await page.getByTestId('variant-B-offer').getByText('不发券').click();
    await page.getByTestId('variant-A').scrollIntoViewIfNeeded();
    await shot('editor-variant-offers-zh-1366');
    await page.getByTestId('campaign-save').click();
    await expect
      .poll(
        async () =>
          (await call<Saved>('olivia', 'GET', `/v1/campaigns/${campaignId}`)).body.definition.variants.map(
            (v) => v.offer,
          ),
        { timeout: 10_000 },
      )
      .toEqual([coupon(500), null, undefined]);
    await page.reload();
    await page.getByTestId('variant-A-offer-amount').waitFor();
    await expect(page.getByTestId('variant-A-offer-amount').inputValue()).resolves.toBe('5.00');
    const checked = (id: string) =>
      page.getByTestId(`variant-${id}-offer`).locator('.ant-radio-button-wrapper-checked').textContent();
    await expect(checked('A')).resolves.toBe('自定义');
    await expect(checked('B')).resolves.toBe('不发券');
    await expect(checked('C')).resolves.toBe('同主活动（¥10.00）');
    // At a phone's width.
    await freshPage('olivia', 390, 844);
    await page.goto(`${server.url}/campaigns/${campaignId}/edit`);
    await page.getByTestId('variant-A-offer-amount').waitFor();
    await page.getByTestId('variant-A').scrollIntoViewIfNeeded();
    await shot('editor-variant-offers-zh-390');
    // The variants alone, to look at closely.
    await page.getByTestId('variant-editor').screenshot({ path: `${SHOTS}/editor-variants-zh-390.png` });
  });

  it('the reviewer sees each variant’s offer with the estimated count', async () => {
    const c = await call<Saved>('olivia', 'GET', `/v1/campaigns/${campaignId}`);
    const sub = await call('olivia', 'POST', `/v1/campaigns/${campaignId}/submit`, {
      version: c.body.version,
    });
    expect(sub.status, JSON.stringify(sub.body)).toBe(200);
    const est = await call<{
      offer: { byVariant: { variant: string; issued: number; totalValueCents: number }[] };
    }>('rita', 'POST', `/v1/campaigns/${campaignId}/estimate`, {
      conversionRate: 0.05,
      baselineConversionRate: 0.02,
      averageOrderCents: 15_000,
      marginRate: 0.3,
    });
    expect(est.status).toBe(200);
    const [ea, eb, ec] = est.body.offer.byVariant;
    expect(ea?.issued).toBeGreaterThan(0);
    expect(ea?.totalValueCents).toBe((ea?.issued ?? 0) * 500);
    expect(eb).toEqual({ variant: 'B', issued: 0, totalValueCents: 0 });
    expect(ec?.totalValueCents).toBe((ec?.issued ?? 0) * 1000);
    for (const [width, height] of [
      [1366, 768],
      [390, 844],
    ] as const) {
      await freshPage('rita', width, height);
      await page.goto(`${server.url}/approvals`);
      const card = page.getByTestId('approval-券额测试');
      await card.waitFor();
      const offerOf = (id: string) => card.getByTestId(`review-variant-${id}-offer`);
      await expect
        .poll(async () => offerOf('A').textContent(), { timeout: 15_000 })
        .toBe(
          `权益：优惠券 ¥5.00，有效期 7 天，预计发放 ${ea?.issued} 张，共 ¥${((ea?.totalValueCents ?? 0) / 100).toFixed(2)}`,
        );
      await expect(offerOf('B').textContent()).resolves.toBe('权益：不发权益');
      await expect(offerOf('C').textContent()).resolves.toContain('同主活动（优惠券 ¥10.00，有效期 7 天）');
      await card.getByTestId('review-variants').scrollIntoViewIfNeeded();
      await shot(`review-variant-offers-zh-${width}`);
      await card
        .getByTestId('review-variants')
        .screenshot({ path: `${SHOTS}/review-variants-zh-${width}.png` });
    }
  });
});
