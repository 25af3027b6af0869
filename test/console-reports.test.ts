import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadDemo } from '../src/demo/load-demo.ts';
import { issueApiToken } from '../src/storage/control/users.ts';
import { buildConsole, createConsoleUser, launchBrowser, logIn } from './support/console-browser.ts';
import { runMoneyCampaign } from './support/money-campaign.ts';
import { apiCall, startTestServer, type TestServer } from './support/runtime.ts';
import { duckdbWarehouseOf } from '../src/runtime.ts';

/**
 * Money and reports in a real browser (issue 18), zh-CN first: one push + SMS campaign sent for
 * ¥0.21 (test/support/money-campaign.ts) reads ¥0.21 in the campaign report, the period view,
 * the dashboard and the budget; the report's date range changes its numbers (today included);
 * the period table downloads as a CSV with a BOM and Chinese headers; the cost calculator says
 * the holdout as a share and its money in ¥; the preview is drawn as a phone. Fits 390 px;
 * English once. Screenshots (1366 and 390 px) go to REKINDLE_SHOTS_DIR when it is set.
 */

const DAY = 86_400_000;
const CAMPAIGN = '双渠道召回';
let server: TestServer;
let browser: Browser;
let context: BrowserContext | undefined;
let page: Page;
const tokens: Record<string, string> = {};
let draftId = '';
let draftHoldout = -1;
const shots = process.env['REKINDLE_SHOTS_DIR'];

const shoot = async (name: string) => {
  if (!shots) return;
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
};

/** A browser context of its own, logged in (logins are few: the server throttles them). */
const loggedIn = async (name: string): Promise<Page> => {
  await context?.close();
  context = await browser.newContext({
    viewport: { width: 1366, height: 768 },
    locale: 'zh-CN',
    acceptDownloads: true,
  });
  const p = await context.newPage();
  await logIn(p, server.url, name);
  return p;
};

const fitsScreen = async () =>
  (await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1')) === true;

const text = async (testId: string) => (await page.getByTestId(testId).first().textContent()) ?? '';

/** The console users, with API tokens of their own (the fixture acts as them). */
const userWithToken = async (name: string, role: 'admin' | 'operator' | 'reviewer') => {
  await createConsoleUser(server.rt, name, role);
  const [u] = await server.rt.control.query<{ id: number }>('SELECT id FROM users WHERE name = $1', [name]);
  tokens[name] = await issueApiToken(server.rt.control, Number(u?.id));
};

beforeAll(async () => {
  buildConsole();
  server = await startTestServer();
  await loadDemo(server.rt.warehouse, { size: 400, seed: 7, now: Math.floor(Date.now() / DAY) * DAY });
  await duckdbWarehouseOf(server.rt).compactEvents();
  await userWithToken('ada', 'admin');
  await userWithToken('olga', 'operator');
  await userWithToken('rita', 'reviewer');
  await runMoneyCampaign(server, tokens);
  // A draft on the demo's users with a 10 % holdout and four channels, for the calculator and preview.
  const aud = await apiCall(server.url, tokens['olga'] ?? '', 'POST', '/v1/audiences', {
    name: '演示用户',
    definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'neq', value: 'money' },
  });
  expect(aud.status, JSON.stringify(aud.json)).toBe(201);
  const draft = await apiCall(server.url, tokens['olga'] ?? '', 'POST', '/v1/campaigns', {
    name: '预算测算草稿',
    definition: {
      audienceId: aud.json['id'],
      timing: { kind: 'one_off', at: new Date(Date.now() + 2 * DAY).toISOString() },
      channels: ['push', 'sms', 'in_app', 'webhook'],
      content: [
        { channel: 'push', title: '好久不见', body: '回来看看新品，{{ offer.code | default: "有惊喜" }}' },
        { channel: 'sms', text: '老朋友，好久不见 https://example.com/a 回T退订', signature: '【Rekindle】' },
        { channel: 'in_app', title: '专属福利', body: '新人礼包已到账' },
        { channel: 'webhook', body: '{"reason": "winback", "tags": ["a", "b"], "score": 3}' },
      ],
      holdoutShare: 0.1,
      goal: { event: 'order', withinDays: 3 },
    },
  });
  expect(draft.status, JSON.stringify(draft.json)).toBe(201);
  draftId = String(draft.json['id']);
  const est = await apiCall(server.url, tokens['olga'] ?? '', 'POST', `/v1/campaigns/${draftId}/estimate`, {
    conversionRate: 0.05,
    baselineConversionRate: 0.02,
    averageOrderCents: 15_000,
    marginRate: 0.3,
  });
  expect(est.status, JSON.stringify(est.json)).toBe(200);
  draftHoldout = Number(est.json['holdout']);
  browser = await launchBrowser();
}, 300_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.stop();
  server?.cleanup();
});

afterEach(async (t) => {
  if (t.task.result?.state === 'fail' && shots && page)
    await shoot(`failed-${t.task.name.slice(0, 20)}`).catch(() => undefined);
});

/** Opens the range picker and clicks one of its presets. */
const openRange = async () => {
  await page.getByTestId('report-range').locator('input').first().click();
};
const preset = async (label: string) => {
  await openRange();
  await page.locator('.ant-picker-presets li', { hasText: label }).first().click();
};

describe('money and reports in the console', () => {
  it(
    'shows the same ¥ for the campaign in its report, the period view, the dashboard and the budget',
    { timeout: 120_000 },
    async () => {
      page = await loggedIn('olga');
      await page.goto(`${server.url}/reports`);
      await page.getByTestId('report-campaign').waitFor({ timeout: 60_000 });
      await page.getByTestId('report-campaign').click();
      await page
        .locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: CAMPAIGN })
        .click();
      await expect.poll(() => text('report-cost'), { timeout: 15_000 }).toContain('¥0.21');
      await expect.poll(() => text('period-cost')).toContain('¥0.21');
      // The funnel in words: planned → sent → delivered → clicked → converted, with rates.
      const funnel = await text('campaign-funnel');
      expect(funnel).toContain('计划发送');
      expect(funnel).toContain('较上一环节');
      await shoot('reports-1366');

      await page.goto(`${server.url}/`);
      await expect.poll(() => text('dashboard-spent'), { timeout: 15_000 }).toContain('¥0.21');
      await page.getByTestId('dashboard-funnel').waitFor();
      // The period of the money cards and the funnel: 近7天 still holds today's sends.
      await page.getByTestId('dashboard-range').locator('input').first().click();
      await page.locator('.ant-picker-dropdown:visible .ant-picker-presets li', { hasText: '近7天' }).click();
      await expect.poll(() => page.getByText('花费（近7天）').count()).toBe(1);
      expect(await text('dashboard-spent')).toContain('¥0.21');
      await shoot('dashboard-1366');

      await page.goto(`${server.url}/budgets`);
      await expect.poll(() => text('budgets-table'), { timeout: 15_000 }).toContain('¥0.21');
      const quotas = await text('quotas-table');
      expect(quotas).toContain('App 推送');
      expect(quotas).toContain('¥0.02');
      expect(quotas).toContain('¥0.05');
      // An operator may not change prices: the button says why.
      await expect(page.getByTestId('quota-save').isDisabled()).resolves.toBe(true);
      await shoot('budgets-1366');
    },
  );

  it(
    'changes the period view with the date range, today included, and exports it as CSV',
    { timeout: 120_000 },
    async () => {
      await page.goto(`${server.url}/reports`);
      await preset('今天');
      await expect.poll(() => text('period-table'), { timeout: 15_000 }).toContain(CAMPAIGN);
      expect(await text('period-cost')).toContain('¥0.21');
      const today = new Date().toISOString().slice(0, 10);
      expect(await text('report-range-text')).toContain(`${today} 至 ${today}`);

      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByTestId('period-export').click(),
      ]);
      expect(download.suggestedFilename()).toBe(`周期报表_${today}_${today}.csv`);
      const bytes = readFileSync(await download.path());
      expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const lines = bytes.subarray(3).toString('utf8').split('\r\n');
      expect(lines[0]).toBe(
        '触达任务,已发送,触达人数,转化人数,收入（元）,消息费用（元）,优惠券成本（元）,成本（元）,归因 ROI（含自然下单）',
      );
      expect(lines).toContain(`${CAMPAIGN},6,6,0,0.00,0.21,0.00,0.21,-100.0%`);

      // Two days of last month: nothing was sent then.
      await openRange();
      await page.locator('.ant-picker-dropdown:visible .ant-picker-header-prev-btn').first().click();
      const d = new Date();
      const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1));
      const month = last.toISOString().slice(0, 7);
      await page.locator(`.ant-picker-dropdown:visible td[title="${month}-10"]`).first().click();
      await page.locator(`.ant-picker-dropdown:visible td[title="${month}-12"]`).first().click();
      await expect.poll(() => text('report-range-text')).toContain(`${month}-10 至 ${month}-12`);
      await expect.poll(() => text('period-cost'), { timeout: 15_000 }).toContain('¥0.00');
      expect(await text('period-table')).not.toContain(CAMPAIGN);
    },
  );

  it(
    'says the cost in words with ¥ and the holdout as a share, and draws the preview as a phone',
    { timeout: 120_000 },
    async () => {
      await page.goto(`${server.url}/campaigns/${draftId}/edit`);
      await page.getByTestId('estimate-run').click();
      await page.getByTestId('estimate-result').waitFor({ timeout: 20_000 });
      expect(await text('calc-audience')).toContain(`对照组 10%（约 ${draftHoldout} 人）`);
      // Each channel in a line: messages × price, or that none would go out now (quiet hours, caps).
      const direct = await text('calc-direct');
      expect(direct).toContain('App 推送：');
      expect(direct).toMatch(/App 推送：(\d[\d,]* 条 × ¥0\.02 = ¥[\d,.]+|当前不会发送)/);
      expect(await text('calc-total')).toMatch(/^¥[\d,]+\.\d\d（/);
      const all = await text('estimate-result');
      expect(all).toContain('预计投入产出比');
      expect(all).toContain('隐性成本');
      // No raw field names or cents.
      expect(all).not.toMatch(/[a-z]+[A-Z][a-z]+|_[a-z]|Cents|CN¥/);

      await page.getByTestId('preview-run').click();
      await page.getByTestId('content-preview').waitFor({ timeout: 20_000 });
      expect(await text('preview-sms-bubble')).toMatch(/^【Rekindle】老朋友，好久不见/);
      expect(await text('preview-push-card')).toContain('好久不见');
      expect(await text('preview-inapp-card')).toContain('专属福利');
      const phones = await page.locator('[data-testid^="preview-phone-"]').allTextContents();
      for (const p of phones.filter((x) => !x.includes('回调内容'))) expect(p).not.toMatch(/[{}]/);
      // The webhook's body is the operator's JSON, pretty-printed under 回调内容.
      const webhook = await text('preview-webhook');
      expect(webhook).toContain('回调内容');
      expect(
        await page.getByTestId('content-preview').getByTestId('preview-webhook').locator('pre').textContent(),
      ).toContain('\n  "reason": "winback"');
      await shoot('editor-calculator-1366');
    },
  );

  it(
    'fits a phone (390 px) on every page of this area, and reads ¥ in English too',
    { timeout: 120_000 },
    async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      for (const [path, ready, name] of [
        ['/reports', 'period-cost', 'reports-390'],
        ['/', 'dashboard-spent', 'dashboard-390'],
        ['/budgets', 'budgets-table', 'budgets-390'],
        [`/campaigns/${draftId}/edit`, 'cost-calculator', 'editor-390'],
      ] as const) {
        await page.goto(`${server.url}${path}`);
        await page.getByTestId(ready).first().waitFor({ timeout: 15_000 });
        if (path === '/reports') {
          // The calendar opened on a phone fits too (months stacked).
          await openRange();
          await page.locator('.ant-picker-dropdown:visible').first().waitFor();
          await shoot('reports-range-390');
          expect(await fitsScreen(), 'range picker at 390 px').toBe(true);
          await page.keyboard.press('Escape');
          await page.getByText('时间范围', { exact: true }).click();
          await page
            .locator('.ant-picker-dropdown:visible')
            .waitFor({ state: 'detached' })
            .catch(() => undefined);
          // On a phone the presets are buttons under the picker.
          await page
            .getByTestId('report-range')
            .getByRole('button', { name: /^今\s?天$/ })
            .click();
          await expect.poll(() => text('report-range-text')).toMatch(/^(\d{4}-\d{2}-\d{2}) 至 \1/);
          await page.getByTestId('report-campaign').click();
          await page
            .locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: CAMPAIGN })
            .click();
          await page.getByTestId('report-cost').waitFor();
        }
        if (path.endsWith('/edit')) {
          await page.getByTestId('estimate-run').click();
          await page.getByTestId('estimate-result').waitFor({ timeout: 20_000 });
          await page.getByTestId('preview-run').click();
          await page.getByTestId('content-preview').waitFor({ timeout: 20_000 });
        }
        await page.waitForTimeout(300);
        await shoot(name);
        expect(await fitsScreen(), name).toBe(true);
      }

      await page.setViewportSize({ width: 1366, height: 768 });
      await page.getByTestId('lang-switch').click();
      await page.goto(`${server.url}/reports`);
      await expect.poll(() => text('period-cost'), { timeout: 15_000 }).toContain('¥0.21');
      expect(await text('period-cost')).not.toContain('CN¥');
      await expect(page.getByTestId('period-export').textContent()).resolves.toContain('Export CSV');
      await shoot('reports-en-1366');
    },
  );
  it('lets an admin type a price in yuan and stores it as fen', { timeout: 120_000 }, async () => {
    page = await loggedIn('ada');
    await page.goto(`${server.url}/budgets`);
    await page.getByTestId('quota-channel').click();
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: '邮件' }).click();
    await page.getByPlaceholder('每日条数上限').fill('500');
    await page
      .locator('input[data-testid="quota-price"], [data-testid="quota-price"] input')
      .first()
      .fill('0.12');
    await page.getByTestId('quota-save').click();
    await expect.poll(() => text('quotas-table'), { timeout: 15_000 }).toContain('¥0.12');
    const r = await apiCall(server.url, tokens['ada'] ?? '', 'GET', '/v1/planner/resources');
    const email = (r.json['channels'] as { channel: string; costCents: number }[]).find(
      (c) => c.channel === 'email',
    );
    expect(email?.costCents).toBe(12);
  });
});
