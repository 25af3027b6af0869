import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CAMPAIGNS } from '../src/cli/demo-history.ts';
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
 * The campaign editor's channels beyond push and SMS in real Chromium (issue 18): a demo in-app
 * campaign opens editable, its text is changed, saved and seen again after a reload; a new
 * campaign on e-mail and in-app shows both rendered for a sample member (an in-app card, a mail
 * with its subject) before it is saved, an A/B variant has its own in-app text, the goal event is
 * picked by its name in words, and a webhook body that is not JSON is refused at its field.
 * Screenshots at 1366 and 390 px, zh-CN, under $SHOTS (default /tmp/channels).
 */

const DAY = 86_400_000;
const SHOTS = process.env['SHOTS'] ?? '/tmp/channels';
let server: TestServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let token = '';
let audienceId = '';

const call = async <T>(method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) => {
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
  id: string;
  name: string;
  definition: { content: Record<string, unknown>[]; variants: Record<string, unknown>[]; goal?: unknown };
}

const freshPage = async (width = 1366, height = 768) => {
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

const demo = DEMO_CAMPAIGNS[0]!;
const demoContent = { channel: 'in_app', title: demo.title, body: demo.body, landingUrl: demo.landing };
let demoId = '';

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  buildConsole();
  server = await startTestServer();
  await loadDemo(server.rt.warehouse, { size: 400, seed: 11, now: Math.floor(Date.now() / DAY) * DAY });
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
  audienceId = a.body.id;
  // A demo campaign as the demo seeds it (src/cli/demo-history.ts): in-app only, a coupon, goal: order.
  const created = await call<Saved>('POST', '/v1/campaigns', {
    name: demo.name,
    definition: {
      audienceId,
      timing: { kind: 'one_off', at: new Date(Date.now() + 3 * DAY).toISOString() },
      channels: ['in_app'],
      content: [demoContent],
      holdoutShare: 0.15,
      goal: { event: 'order', withinDays: 3 },
      offer: {
        kind: 'coupon',
        amount: { type: 'fixed', amount: demo.couponFen },
        validityDays: 7,
        expectedRedemptionRate: 0.3,
        costRecognition: 'redemption',
      },
    },
  });
  expect(created.status).toBe(201);
  demoId = created.body.id;
  browser = await launchBrowser();
}, 240_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.stop();
  server?.cleanup();
});

describe('campaign editor channels', () => {
  it('opens a demo in-app campaign editable; the changed text is saved and seen after a reload', async () => {
    await freshPage();
    await page.goto(`${server.url}/campaigns/${demoId}/edit`);
    const body = page.getByTestId('in_app-body');
    await body.waitFor();
    expect(await page.getByTestId('beyond-editor').count()).toBe(0);
    await expect(body.inputValue()).resolves.toBe(demo.body);
    await expect(page.getByTestId('in_app-title').inputValue()).resolves.toBe(demo.title);
    // The goal by its name in words, picked from the app's events.
    await expect(page.getByTestId('campaign-goal-event').textContent()).resolves.toContain('下单');
    // The in-app card rendered for a member: the coupon code filled in, not {{ offer.code }}.
    const card = page.getByTestId('draft-phone-in_app').getByTestId('preview-inapp-card');
    await expect.poll(async () => card.textContent(), { timeout: 15_000 }).toContain(demo.title);
    expect(await card.textContent()).not.toContain('{{');
    const edited = `${demo.body}，仅限今日`;
    await body.fill(edited);
    await expect.poll(async () => card.textContent(), { timeout: 15_000 }).toContain('仅限今日');
    await shot('demo-inapp-zh-1366');
    await page.getByTestId('campaign-save').click();
    await expect
      .poll(async () => (await call<Saved>('GET', `/v1/campaigns/${demoId}`)).body.definition.content)
      .toEqual([{ ...demoContent, body: edited }]);
    await page.reload();
    await page.getByTestId('in_app-body').waitFor();
    await expect(page.getByTestId('in_app-body').inputValue()).resolves.toBe(edited);
    // Saved again untouched: the server gets the same content back.
    await page.getByTestId('campaign-save').click();
    await expect
      .poll(async () => (await call<Saved>('GET', `/v1/campaigns/${demoId}`)).body.definition)
      .toMatchObject({
        content: [{ ...demoContent, body: edited }],
        goal: { event: 'order', withinDays: 3 },
      });
  });

  it('a new campaign on e-mail and in-app: both rendered for a sample member, a variant with its own text, saved', async () => {
    await freshPage();
    await page.goto(`${server.url}/campaigns/new`);
    await page.getByTestId('campaign-name').fill('邮件加站内信召回');
    await pickOption(page, 'campaign-audience', '分销渠道用户');
    const channels = page.getByTestId('campaign-channels');
    await channels.getByText('推送').click();
    await channels.getByText('站内信').click();
    await channels.getByText('邮件').click();
    await page.getByTestId('in_app-title').fill('{{ user.user_id }}，送你一张券');
    await page.getByTestId('in_app-body').fill('满 100 减 20，7 天内有效');
    await page.getByTestId('email-subject').fill('{{ user.user_id }}，您的专属优惠');
    await page.getByTestId('email-from').fill('Rekindle 商城');
    await page
      .getByTestId('email-html')
      .fill(
        '<h3>春季新品</h3><p>{{ user.user_id }}，好久不见。</p><p><a href="{{ unsubscribe_url }}">退订</a></p>',
      );
    // Save says what is missing first: nothing now.
    const inApp = page.getByTestId('draft-phone-in_app').getByTestId('preview-inapp-card');
    const mail = page.getByTestId('draft-phone-email').getByTestId('preview-email');
    await expect.poll(async () => mail.textContent(), { timeout: 15_000 }).toContain('您的专属优惠');
    const subject = (await mail.textContent()) ?? '';
    expect(subject).not.toContain('{{');
    expect(subject).toContain('Rekindle 商城');
    // The sample member's id in both, where the templates had {{ user.user_id }}.
    const member = /主题：(\S+)，您的专属优惠/.exec(subject)?.[1] ?? '';
    expect(member).not.toBe('');
    await expect.poll(async () => inApp.textContent()).toContain(`${member}，送你一张券`);
    const html = page.getByTestId('draft-phone-email').getByTestId('preview-email-html');
    await expect(html.getAttribute('srcdoc')).resolves.toContain(`<p>${member}，好久不见。</p>`);
    // The goal event: a picker of the app's events in words.
    await pickOption(page, 'campaign-goal-event', '加入购物车');
    await expect
      .poll(async () => page.getByTestId('campaign-goal-event').textContent())
      .toContain('加入购物车');
    // A/B: variant B has its own in-app text.
    await page.getByTestId('campaign-ab').click();
    await page.getByTestId('variant-B-own-in_app').click();
    await page.getByTestId('variant-B-in_app-body').fill('B 组：满 100 减 30');
    await shot('new-email-inapp-zh-1366');
    await page.getByTestId('campaign-save').click();
    await expect
      .poll(async () => {
        const list = await call<{ campaigns: { id: string; name: string }[] }>('GET', '/v1/campaigns');
        return list.body.campaigns.find((c) => c.name === '邮件加站内信召回')?.id ?? '';
      })
      .not.toBe('');
    const list = await call<{ campaigns: { id: string; name: string }[] }>('GET', '/v1/campaigns');
    const id = list.body.campaigns.find((c) => c.name === '邮件加站内信召回')?.id ?? '';
    const saved = await call<Saved>('GET', `/v1/campaigns/${id}`);
    const inAppContent = {
      channel: 'in_app',
      title: '{{ user.user_id }}，送你一张券',
      body: '满 100 减 20，7 天内有效',
    };
    expect(saved.body.definition.content).toEqual([
      inAppContent,
      {
        channel: 'email',
        subject: '{{ user.user_id }}，您的专属优惠',
        html: '<h3>春季新品</h3><p>{{ user.user_id }}，好久不见。</p><p><a href="{{ unsubscribe_url }}">退订</a></p>',
        fromName: 'Rekindle 商城',
      },
    ]);
    expect(saved.body.definition.goal).toEqual({ event: 'add_to_cart', withinDays: 3 });
    expect(saved.body.definition.variants).toEqual([
      { id: 'A', weight: 50 },
      { id: 'B', weight: 50, content: [{ ...inAppContent, body: 'B 组：满 100 减 30' }] },
    ]);
    // At a phone's width, the saved campaign reopened.
    await freshPage(390, 844);
    await page.goto(`${server.url}/campaigns/${id}/edit`);
    await page.getByTestId('draft-phone-email').getByTestId('preview-email').waitFor({ timeout: 15_000 });
    await expect(page.getByTestId('variant-B-in_app-body').inputValue()).resolves.toBe('B 组：满 100 减 30');
    await shot('new-email-inapp-zh-390');
    await page.getByTestId('draft-preview').screenshot({ path: `${SHOTS}/draft-preview-zh-390.png` });
    await page.getByTestId('content-email').screenshot({ path: `${SHOTS}/email-fields-zh-390.png` });
  });

  it('shows a cancelled campaign read-only, saying why', async () => {
    const c = await call<Saved>('POST', '/v1/campaigns', {
      name: '已取消的站内信',
      definition: {
        audienceId,
        timing: { kind: 'one_off', at: new Date(Date.now() + 3 * DAY).toISOString() },
        channels: ['in_app'],
        content: [demoContent],
      },
    });
    expect(c.status).toBe(201);
    expect((await call('POST', `/v1/campaigns/${c.body.id}/cancel`)).status).toBe(200);
    await freshPage();
    await page.goto(`${server.url}/campaigns/${c.body.id}/edit`);
    await page.getByTestId('final-note').waitFor();
    await expect(page.getByTestId('final-note').textContent()).resolves.toContain('不能再修改');
    await expect(page.getByTestId('campaign-save').isDisabled()).resolves.toBe(true);
    await expect(page.getByTestId('in_app-body').inputValue()).resolves.toBe(demo.body);
  });

  it("shows a webhook body the server refuses at its field, with the server's place in words", async () => {
    await freshPage();
    await page.goto(`${server.url}/campaigns/new`);
    await page.getByTestId('campaign-name').fill('回调通知');
    await pickOption(page, 'campaign-audience', '分销渠道用户');
    const channels = page.getByTestId('campaign-channels');
    await channels.getByText('推送').click();
    await channels.getByText('回调').click();
    await channels.getByText('企业微信').click();
    await page.getByTestId('webhook-body').fill('{"user": "{{ user.user_id }}",\n  }');
    await page.getByTestId('wecom-template').fill('TPL-1');
    await page.getByTestId('wecom-field-0-key').fill('thing1');
    await page.getByTestId('wecom-field-0-value').fill('{{ user.user_id }} 的券');
    await page.getByTestId('campaign-save').click();
    const err = page.getByTestId('field-error-webhook.body');
    await err.waitFor();
    await expect(err.textContent()).resolves.toMatch(
      /^回调数据（JSON） 第 2 行第 \d+ 个字符：不是有效的 JSON$/,
    );
    await expect
      .poll(async () => page.getByTestId('draft-phone-wecom').textContent(), { timeout: 15_000 })
      .toContain(' 的券');
    await shot('webhook-error-zh-1366');
    await page.getByTestId('content-wecom').screenshot({ path: `${SHOTS}/wecom-fields-zh-1366.png` });
    await page.getByTestId('content-webhook').screenshot({ path: `${SHOTS}/webhook-fields-zh-1366.png` });
    await page.getByTestId('webhook-body').fill('{"user": "{{ user.user_id }}"}');
    await page.getByTestId('campaign-save').click();
    await expect
      .poll(async () => {
        const list = await call<{ campaigns: { name: string; definition: Saved['definition'] }[] }>(
          'GET',
          '/v1/campaigns',
        );
        return list.body.campaigns.find((c) => c.name === '回调通知')?.definition.content;
      })
      .toEqual([
        { channel: 'wecom', templateId: 'TPL-1', fields: { thing1: '{{ user.user_id }} 的券' } },
        { channel: 'webhook', body: '{"user": "{{ user.user_id }}"}' },
      ]);
  });
});
