import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignDefinition } from '../src/core/campaigns/schema.ts';
import { shipFacts } from '../src/facts/ship.ts';
import { insertCampaign } from '../src/storage/control/campaigns.ts';
import { appendMessageLog, type MessageLogEntry } from '../src/storage/control/message-log.ts';
import { buildConsole, createConsoleUser, launchBrowser, logIn } from './support/console-browser.ts';
import { startTestServer, type TestServer } from './support/runtime.ts';

/**
 * The campaign report in a real browser, zh-CN (issue 18): an offer test names each variant's
 * offer and what it spent (变体 A · 5 元优惠券 · 已花费 ¥10.00; 变体 B · 不发券); the period view
 * and its CSV call ROI 归因 ROI（含自然下单）; an in-app-only campaign's chart draws 站内信已读 and
 * no 已送达 series, a mixed one both; the by-day table is the server's, for the range picked.
 * At 1366 and 390 px; screenshots go to /tmp/reports2.
 */

const SHOTS = '/tmp/reports2';
const H = 3_600_000;
let server: TestServer;
let browser: Browser;
let context: BrowserContext | undefined;
let page: Page;

const coupon = {
  kind: 'coupon',
  amount: { type: 'fixed', amount: 500 },
  validityDays: 14,
  expectedRedemptionRate: 0.2,
  costRecognition: 'issue',
};
const definition = (channels: string[], variants: unknown[]) =>
  ({
    audienceId: 'aud',
    class: 'marketing',
    priority: 0,
    category: 'recall',
    timing: { kind: 'one_off', at: new Date(Date.now() - 2 * H).toISOString() },
    channels,
    content: [],
    holdoutShare: 0,
    goal: { event: 'order', withinDays: 3 },
    variants,
  }) as unknown as CampaignDefinition;

/** Sends: one message per user, on its channel and variant, an hour ago (today in Beijing or close). */
const sendAll = async (
  campaignId: string,
  sends: { user: string; channel: string; variant: string | null; read?: boolean }[],
) => {
  const { control } = server.rt;
  const at = Date.now() - H;
  const entries: MessageLogEntry[] = [];
  for (const s of sends) {
    const key = `${campaignId}:r1:0:${s.user}`;
    await control.query(
      `INSERT INTO outbox (idempotency_key, workspace_id, campaign_id, run_id, step, user_id, channel, class, variant,
         send_at, cost_cents, status, created_at)
       VALUES ($1, 'default', $2, 'r1', '0', $3, $4, 'marketing', $5, $6, 5, 'sent', $6)`,
      [key, campaignId, s.user, s.channel, s.variant, new Date(at)],
    );
    const base = {
      workspaceId: 'default',
      idempotencyKey: key,
      campaignId,
      runId: 'r1',
      step: '0',
      variant: s.variant,
      userId: s.user,
      channel: s.channel,
    };
    if (s.channel === 'in_app') {
      entries.push({ ...base, kind: 'sent', at });
      await control.query(
        `INSERT INTO inbox_messages (workspace_id, user_id, idempotency_key, campaign_id, title, body, created_at, read_at)
         VALUES ('default', $1, $2, $3, '福利', '回来看看', $4, $5)`,
        [s.user, key, campaignId, new Date(at), s.read === true ? new Date(at + 60_000) : null],
      );
    } else
      entries.push({ ...base, kind: 'sent', at, costCents: 5 }, { ...base, kind: 'delivered', at: at + 1 });
    if (s.variant === 'A')
      await control.query(
        `INSERT INTO offers_issued (code, workspace_id, campaign_id, user_id, idempotency_key, kind, amount, value_cents,
           cost_recognition, issued_at, expires_at, details, cost_at_issue)
         VALUES ($1, 'default', $2, $3, $4, 'coupon', 500, 500, 'issue', $5, $6, '{}', 500)`,
        [`C${s.user}`, campaignId, s.user, key, new Date(at), new Date(at + 14 * 24 * H)],
      );
  }
  await appendMessageLog(control, entries);
  await shipFacts(control, server.rt.warehouse, { clock: () => Date.now() });
};

beforeAll(async () => {
  buildConsole();
  server = await startTestServer();
  await createConsoleUser(server.rt, 'olga', 'operator');
  const [u] = await server.rt.control.query<{ id: number }>("SELECT id FROM users WHERE name = 'olga'");
  const ownerId = Number(u?.id);
  const add = (id: string, name: string, d: CampaignDefinition) =>
    insertCampaign(server.rt.control, {
      id,
      workspaceId: 'default',
      name,
      definition: d,
      ownerId,
      at: Date.now(),
    });
  await add(
    'ab1',
    '券面额测试',
    definition(
      ['sms'],
      [
        { id: 'A', weight: 1, offer: coupon },
        { id: 'B', weight: 1, offer: null },
      ],
    ),
  );
  await sendAll('ab1', [
    { user: 'a1', channel: 'sms', variant: 'A' },
    { user: 'a2', channel: 'sms', variant: 'A' },
    { user: 'b1', channel: 'sms', variant: 'B' },
    { user: 'b2', channel: 'sms', variant: 'B' },
  ]);
  await add('ia1', '站内信召回', definition(['in_app'], []));
  await sendAll('ia1', [
    { user: 'i1', channel: 'in_app', variant: null, read: true },
    { user: 'i2', channel: 'in_app', variant: null, read: true },
    { user: 'i3', channel: 'in_app', variant: null },
  ]);
  await add('mx1', '短信加站内信', definition(['sms', 'in_app'], []));
  await sendAll('mx1', [
    { user: 'm1', channel: 'sms', variant: null },
    { user: 'm2', channel: 'in_app', variant: null, read: true },
  ]);
  browser = await launchBrowser();
  mkdirSync(SHOTS, { recursive: true });
}, 300_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.stop();
  server?.cleanup();
});

const open = async (width: number, height: number) => {
  await context?.close();
  context = await browser.newContext({ viewport: { width, height }, locale: 'zh-CN', acceptDownloads: true });
  page = await context.newPage();
  await logIn(page, server.url, 'olga');
  await page.goto(`${server.url}/reports`);
  await page.getByTestId('report-campaign').waitFor({ timeout: 60_000 });
};

const pick = async (name: string) => {
  await page.getByTestId('report-campaign').click();
  await page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: name }).click();
  await page.getByTestId('report-totals').waitFor({ timeout: 15_000 });
};

const text = async (testId: string) => (await page.getByTestId(testId).first().textContent()) ?? '';
const chartSeries = async () =>
  (await page.getByTestId('chart-stats').first().getAttribute('aria-label', { timeout: 15_000 })) ?? '';
const fitsScreen = async () =>
  (await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1')) === true;

describe('campaign report: offers per variant, attributed ROI, in-app in the chart', () => {
  for (const [width, height] of [
    [1366, 768],
    [390, 844],
  ] as const)
    it(
      `reads an offer test, the period ROI and an in-app campaign at ${width} px`,
      { timeout: 120_000 },
      async () => {
        await open(width, height);
        // The period view's ROI is the attributed one, as on the dashboard and the campaign's card.
        await expect
          .poll(() => text('period-table'), { timeout: 15_000 })
          .toContain('归因 ROI（含自然下单）');
        expect(await page.getByText('投入产出比').count()).toBe(0);

        await pick('券面额测试');
        await expect
          .poll(() => text('report-ab-offer-A'), { timeout: 15_000 })
          .toBe('变体 A · 5 元优惠券 · 已花费 ¥10.00');
        expect(await text('report-ab-offer-B')).toBe('变体 B · 不发券');
        expect(await chartSeries()).toBe('柱状图：已发送、已送达、已点击、转化人数');
        await page.getByTestId('report-ab-offers').scrollIntoViewIfNeeded();
        expect(await fitsScreen()).toBe(true);
        await page.screenshot({ path: `${SHOTS}/offers-${width}.png`, fullPage: true });
        await page.getByTestId('report-ab-offers').screenshot({ path: `${SHOTS}/offers-card-${width}.png` });

        await pick('站内信召回');
        await expect
          .poll(chartSeries, { timeout: 15_000 })
          .toBe('柱状图：已发送、站内信已读、已点击、转化人数');
        expect(await text('report-in-app-read')).toContain('2');
        // The table reads the inbox's figure where 已送达 would say 0.
        const table = await text('stats-table');
        expect(table).toContain('站内信已读');
        expect(table).not.toContain('已送达');
        await page.getByTestId('chart-stats').scrollIntoViewIfNeeded();
        expect(await fitsScreen()).toBe(true);
        await page.screenshot({ path: `${SHOTS}/in-app-${width}.png`, fullPage: true });
        await page.getByTestId('chart-stats').screenshot({ path: `${SHOTS}/in-app-chart-${width}.png` });

        await pick('短信加站内信');
        await expect
          .poll(chartSeries, { timeout: 15_000 })
          .toBe('柱状图：已发送、已送达（不含站内信）、站内信已读、已点击、转化人数');
        // By day: the server's days for the range (today), in the browser's zone.
        await page.locator('.ant-segmented-item', { hasText: '按天' }).click();
        await expect.poll(() => text('stats-table'), { timeout: 15_000 }).toMatch(/\d{4}-\d{2}-\d{2}/);
        expect(await text('stats-table')).toContain('站内信已读');
        await page.screenshot({ path: `${SHOTS}/mixed-day-${width}.png`, fullPage: true });
      },
    );
});
