import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemo } from '../src/demo/load-demo.ts';
import { findUserByName, issueApiToken } from '../src/storage/control/users.ts';
import {
  buildConsole,
  createConsoleUser,
  launchBrowser,
  logIn,
  pickOption,
} from './support/console-browser.ts';
import { startTestServer, type TestServer } from './support/runtime.ts';
import { duckdbWarehouseOf } from '../src/runtime.ts';

/**
 * The campaign editor and the reviewer's view in real Chromium (issue 18, "Campaigns as tasks"):
 * a Liquid error in words next to its field, SMS checks on the text rendered for a sample member
 * (a blocked word that only the rendered text holds is flagged), editing an approved campaign
 * asks first and leaves it pending review, and the reviewer sees the rendered content and the
 * estimated cost the API computes. Screenshots at 1366 and 390 px, zh-CN and en, under
 * $SHOTS (default /tmp/rekindle-campaign-editor-shots).
 */

const DAY = 86_400_000;
const SHOTS = process.env['SHOTS'] ?? '/tmp/rekindle-campaign-editor-shots';
let server: TestServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const tokens: Record<string, string> = {};
let audienceId = '';

const call = async <T>(
  who: string,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  payload?: unknown,
) => {
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

const freshPage = async (width = 1366, height = 768) => {
  await context?.close();
  // An operator in China: the send time typed in the browser is Beijing time.
  context = await browser.newContext({
    viewport: { width, height },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  page = await context.newPage();
};

const shot = async (name: string) => {
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
  // No page wider than the screen.
  const wide = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
  expect(wide, `${name} is wider than the screen`).toBeLessThanOrEqual(0);
};

const definition = (sms: string) => ({
  audienceId,
  // 23:30 in Beijing, two days from now: in the users' night.
  timing: {
    kind: 'one_off',
    at: new Date(Math.floor(Date.now() / DAY) * DAY + 2 * DAY + 15.5 * 3_600_000).toISOString(),
  },
  channels: ['push', 'sms'],
  content: [
    { channel: 'push', title: '好久不见', body: '{{ user.user_id }}，新品上架' },
    { channel: 'sms', text: sms, signature: '【Rekindle】' },
  ],
  offer: {
    kind: 'coupon',
    amount: { type: 'fixed', amount: 1000 },
    validityDays: 7,
    expectedRedemptionRate: 0.2,
    costRecognition: 'redemption',
  },
  budgetCents: 50_000,
  variants: [],
  holdoutShare: 0.1,
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
  audienceId = a.body.id;
  browser = await launchBrowser();
}, 240_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.stop();
  server?.cleanup();
});

/** The first member's rendering of a template, as the server's draft preview answers it. */
const renderedSms = async (text: string) => {
  const r = await call<{ userId: string | null; items: { preview: { rendered: { text: string } } }[] }>(
    'olivia',
    'POST',
    '/v1/campaigns/draft-preview',
    { audienceId, content: [{ channel: 'sms', text, signature: '【Rekindle】' }] },
  );
  expect(r.status).toBe(200);
  return { userId: r.body.userId, text: r.body.items[0]?.preview.rendered.text ?? '' };
};

describe('campaign editor', () => {
  it('shows a Liquid error in Chinese next to the SMS field, and what Save misses', async () => {
    await freshPage();
    await logIn(page, server.url, 'olivia');
    await page.goto(`${server.url}/campaigns/new`);
    await page.getByTestId('campaign-save').click();
    await expect(page.getByTestId('campaign-missing').textContent()).resolves.toContain(
      '保存前还需填写：名称、人群、推送标题和正文',
    );
    await page.getByTestId('campaign-name').fill('夜间召回');
    await pickOption(page, 'campaign-audience', '分销渠道用户');
    await page.getByTestId('campaign-channels').getByText('推送').click();
    await page.getByTestId('campaign-channels').getByText('短信').click();
    await page.getByTestId('sms-text').fill('您好 {{ user.user_id 回T退订');
    const err = page.getByTestId('field-error-sms.text');
    await err.waitFor();
    await expect(err.textContent()).resolves.toBe('短信内容 第 4 个字符：未闭合的 {{');
    // The server's refusal of Save lands on the same field, in the same words.
    await page.getByTestId('campaign-save').click();
    await expect(page.getByTestId('field-error-sms.text').textContent()).resolves.toBe(
      '短信内容 第 4 个字符：未闭合的 {{',
    );
    expect((await call<{ campaigns: unknown[] }>('olivia', 'GET', '/v1/campaigns')).body.campaigns).toEqual(
      [],
    );
  });

  it('checks the SMS as rendered for a sample member: the name, not {{ … }}, and a blocked word only the rendering has', async () => {
    const template = '{{ user.user_id }}您好，春季新品 https://s.example.com/a 回T退订';
    const api = await renderedSms(template);
    expect(api.userId).not.toBeNull();
    expect(api.text).toContain(api.userId as string);
    await page.getByTestId('sms-text').fill(template);
    const rendered = page.getByTestId('sms-checks-rendered');
    await expect
      .poll(async () => rendered.textContent(), { timeout: 10_000 })
      .toBe(`【Rekindle】${api.text}`);
    await expect(page.getByTestId('sms-checks').textContent()).resolves.toContain('短信检查通过');
    // Block the sample member's id: the template does not hold it, the rendered text does.
    const blocked = await call('rita', 'POST', '/v1/content/blocked-words', { word: api.userId });
    expect(blocked.status).toBe(201);
    await page.getByTestId('sms-text').fill(`${template} `);
    await expect
      .poll(async () => page.getByTestId('sms-checks').textContent(), { timeout: 10_000 })
      .toContain(`含屏蔽词「${api.userId}」（第 1 个字）`);
    // A second 【signature】 in the text is flagged too.
    await page.getByTestId('sms-text').fill(`【活动】${template}`);
    await expect
      .poll(async () => page.getByTestId('sms-checks').textContent(), { timeout: 10_000 })
      .toContain('正文中出现第二个签名「【活动】」');
    await page
      .getByTestId('sms-text')
      .fill('{{ user.user_id }}您好，春季新品 https://s.example.com/a 回T退订');
    await page.getByTestId('campaign-at').fill('2030-01-08T23:30');
    await expect(page.getByTestId('quiet-hours-note').textContent()).resolves.toContain(
      '北京时间 23:30 处于用户夜间免打扰时段（22:00–08:00）：消息会暂存，实际在 08:00–10:00 之间分散发出',
    );
    await page.getByTestId('campaign-ab').click();
    await page.getByTestId('variant-B-share').fill('60');
    await expect(page.getByTestId('variant-shares-error').textContent()).resolves.toContain('合计为 110%');
    await page.getByTestId('variant-B-share').fill('50');
    await page.getByTestId('variant-B-own-sms').click();
    await page.getByTestId('variant-B-sms-text').fill('B 组 {{ user.user_id }} 回T退订');
    await expect
      .poll(async () => page.getByTestId('variant-B-sms-checks-rendered').textContent(), { timeout: 10_000 })
      .toBe(`【Rekindle】B 组 ${api.userId} 回T退订`);
    await shot('editor-zh-1366');
    // Unblocked again: the next campaign renders the same member.
    expect((await call('rita', 'DELETE', `/v1/content/blocked-words/${api.userId}`)).status).toBe(200);
  });

  it('asks before an approved campaign is edited, then the campaign is pending review', async () => {
    const created = await call<{ id: string; version: number }>('olivia', 'POST', '/v1/campaigns', {
      name: '已批准的召回',
      definition: definition('{{ user.user_id }}，您有一张 10 元券待领取 回T退订'),
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const sub = await call<{ version: number }>('olivia', 'POST', `/v1/campaigns/${id}/submit`, {
      version: created.body.version,
    });
    expect(sub.status).toBe(200);
    const ok = await call<{ status: string }>('rita', 'POST', `/v1/campaigns/${id}/review`, {
      decision: 'approve',
      version: sub.body.version,
    });
    expect(ok.status).toBe(200);
    expect(['approved', 'scheduled']).toContain(ok.body.status);

    await page.goto(`${server.url}/campaigns/${id}/edit`);
    await page.getByTestId('approved-note').waitFor();
    await page.getByTestId('push-title').fill('好久不见，新品上架');
    await page.getByTestId('campaign-save').click();
    const confirm = page.getByTestId('back-to-review-confirm');
    await confirm.waitFor();
    await expect(confirm.textContent()).resolves.toContain('修改后任务将退回待审核，审核通过前不会发送');
    await page.screenshot({ path: `${SHOTS}/editor-confirm-zh-1366.png` });
    // Nothing is saved before the answer.
    expect((await call<{ status: string }>('olivia', 'GET', `/v1/campaigns/${id}`)).body.status).toBe(
      ok.body.status,
    );
    await page.locator('.ant-modal-confirm .ant-btn-primary').click();
    await expect
      .poll(async () => (await call<{ status: string }>('olivia', 'GET', `/v1/campaigns/${id}`)).body.status)
      .toBe('pending_review');
    const after = await call<{ definition: { content: { title?: string }[] } }>(
      'olivia',
      'GET',
      `/v1/campaigns/${id}`,
    );
    expect(after.body.definition.content[0]?.title).toBe('好久不见，新品上架');
    await freshPage();
    await logIn(page, server.url, 'olivia');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${server.url}/campaigns/${id}/edit`);
    await page.getByTestId('campaign-editor').waitFor();
    await page.getByTestId('sms-checks-rendered').waitFor();
    await shot('editor-zh-390');
  });
});

describe('reviewer view', () => {
  it('shows the rendered content and the estimated cost the API computes; the owner cannot approve', async () => {
    const list = await call<{ campaigns: { id: string; name: string; version: number }[] }>(
      'rita',
      'GET',
      '/v1/campaigns?status=pending_review',
    );
    const c = list.body.campaigns.find((x) => x.name === '已批准的召回');
    if (c === undefined) throw new Error('no pending campaign');
    const estimate = await call<{ cost: { total: number } }>(
      'rita',
      'POST',
      `/v1/campaigns/${c.id}/estimate`,
      {
        conversionRate: 0.05,
        baselineConversionRate: 0.02,
        averageOrderCents: 15_000,
        marginRate: 0.3,
      },
    );
    expect(estimate.status).toBe(200);
    const preview = await call<{
      preview: { channels: { channel: string; rendered: { text?: string; title?: string } }[] };
    }>('rita', 'POST', `/v1/campaigns/${c.id}/preview`, {});
    const sms = preview.body.preview.channels.find((x) => x.channel === 'sms')?.rendered.text ?? '';
    expect(sms).not.toContain('{{');

    await freshPage();
    await logIn(page, server.url, 'rita');
    await page.goto(`${server.url}/approvals`);
    const card = page.getByTestId('approval-已批准的召回');
    await card.waitFor();
    await expect
      .poll(async () => card.getByTestId('review-message-1').textContent(), { timeout: 10_000 })
      .toContain(sms);
    await expect(card.getByTestId('review-message-0').textContent()).resolves.toContain('好久不见，新品上架');
    const yuan = new Intl.NumberFormat('zh-CN', { style: 'currency', currency: 'CNY' }).format(
      estimate.body.cost.total / 100,
    );
    await expect(card.getByTestId('review-estimate-total').textContent()).resolves.toBe(yuan);
    await expect(card.getByTestId('review-audience').textContent()).resolves.toMatch(
      /^分销渠道用户 · [\d,]+ 人$/,
    );
    await expect(card.getByTestId('review-schedule').textContent()).resolves.toContain('23:30:00 发送一次');
    await expect(card.getByTestId('review-quiet').textContent()).resolves.toBe(
      '（处于用户夜间免打扰时段 22:00–08:00，实际在 08:00–10:00 之间发出）',
    );
    // Reject needs a reason.
    await card.getByTestId('reject').click();
    await expect(card.getByTestId('reject-confirm').isDisabled()).resolves.toBe(true);
    await shot('approvals-zh-1366');
    await freshPage();
    await logIn(page, server.url, 'rita');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${server.url}/approvals`);
    await page.getByTestId('approval-已批准的召回').getByTestId('review-estimate-total').waitFor();
    await shot('approvals-zh-390');
    // The owner sees the campaign but cannot approve it.
    await freshPage();
    await logIn(page, server.url, 'olivia');
    await page.goto(`${server.url}/approvals`);
    const own = page.getByTestId('approval-已批准的召回');
    await own.waitFor();
    await expect(own.getByTestId('approve').isDisabled()).resolves.toBe(true);
    // English once.
    await page.getByTestId('lang-switch').click();
    await own.getByTestId('review-estimate-total').waitFor();
    await shot('approvals-en-1366');
    await page.goto(`${server.url}/campaigns/new`);
    await page.getByTestId('campaign-editor').waitFor();
    await shot('editor-en-1366');
  });
});
