import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskPhone } from '../src/core/audience/mask.ts';
import { loadDemo } from '../src/demo/load-demo.ts';
import {
  buildConsole,
  createConsoleUser,
  launchBrowser,
  logIn,
  logOut,
  pickOption,
} from './support/console-browser.ts';
import { startTestServer, type TestServer } from './support/runtime.ts';
import { generateKeyPairSync } from 'node:crypto';
import { providersOf } from '../src/delivery/providers/provider-runtime.ts';
import { startDeliveryWorker } from '../src/delivery/worker.ts';
import { shipFacts } from '../src/facts/ship.ts';
import { runSlot } from '../src/planner/run-slot.ts';
import { json, startFakeVendor } from './support/fake-vendor.ts';
import { duckdbWarehouseOf } from '../src/runtime.ts';

/**
 * The operators' console in a real browser (Debian's chromium through playwright-core) against a
 * real server with demo data: log in, the language switch, and the journey from a new audience to
 * an approved campaign by two different people (four eyes), planned, sent through fake providers
 * on loopback, and its numbers in the report.
 */

const DAY = 86_400_000;
let server: TestServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;

const countOf = async (definition: unknown): Promise<number> => {
  const res = await server.app.inject({
    method: 'POST',
    url: '/v1/audiences/preview',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    payload: { definition, sample: 0 },
  });
  expect(res.statusCode).toBe(200);
  return (res.json() as { count: number }).count;
};
let adminToken = '';

beforeAll(async () => {
  buildConsole();
  server = await startTestServer();
  await loadDemo(server.rt.warehouse, { size: 1500, seed: 7, now: Math.floor(Date.now() / DAY) * DAY });
  await duckdbWarehouseOf(server.rt).compactEvents();
  await createConsoleUser(server.rt, 'olivia', 'operator');
  await createConsoleUser(server.rt, 'rita', 'reviewer');
  await createConsoleUser(server.rt, 'ada', 'admin');
  const { createUser, issueApiToken } = await import('../src/storage/control/users.ts');
  const admin = await createUser(server.rt.control, { name: 'e2e-admin', role: 'admin' });
  if (!admin.ok) throw new Error('admin');
  adminToken = await issueApiToken(server.rt.control, admin.value.id);
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  server?.cleanup();
});

const freshPage = async () => {
  await context?.close();
  context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  page = await context.newPage();
};

describe('console serving', () => {
  it('serves the app for client routes and leaves API, docs and health to the server', async () => {
    const html = await fetch(`${server.url}/campaigns`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toContain('text/html');
    expect(await html.text()).toContain('<div id="root">');
    const api404 = await fetch(`${server.url}/v1/no-such-route`);
    expect(api404.status).toBe(404);
    expect(api404.headers.get('content-type')).toContain('application/json');
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const docs = await fetch(`${server.url}/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toMatch(/swagger/i);
    // The console's routes stay out of the API documentation.
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(
      Object.keys(doc.paths).filter(
        (p) => p === '/' || p === '/*' || p.startsWith('/assets') || p.endsWith('.html'),
      ),
    ).toEqual([]);
    expect(Object.keys(doc.paths)).toContain('/v1/console/activity');
    const me = await fetch(`${server.url}/v1/auth/me`);
    expect(me.status).toBe(401);
  });
});

describe('console in a browser', () => {
  it('logs in (zh-CN by default), refuses a wrong password, and switches to English', async () => {
    await freshPage();
    await page.goto(server.url);
    // Ant Design spaces out a two-character Chinese button label.
    await expect(page.getByTestId('login-submit').textContent()).resolves.toMatch(/^登\s?录$/);
    await page.getByTestId('login-name').fill('olivia');
    await page.getByTestId('login-password').fill('not the password at all');
    await page.getByTestId('login-submit').click();
    await expect(page.getByTestId('login-error').textContent()).resolves.toContain('用户名或密码错误');
    await logIn(page, server.url, 'olivia');
    await expect(page.getByTestId('nav-campaigns').textContent()).resolves.toBe('触达任务');
    await page.getByTestId('lang-switch').click();
    await expect(page.getByTestId('nav-campaigns').textContent()).resolves.toBe('Campaigns');
    // The choice survives a reload (and the session cookie keeps the user logged in).
    await page.reload();
    await expect(page.getByTestId('nav-campaigns').textContent()).resolves.toBe('Campaigns');
    await expect(page.getByTestId('current-user').textContent()).resolves.toBe('olivia');
  });

  it('journey: an operator builds an audience and a campaign, a reviewer approves it, it runs, the report shows it', async () => {
    await freshPage();
    await logIn(page, server.url, 'olivia');
    await page.getByTestId('lang-switch').click(); // English, for readable selectors below

    // Audience: logged in within 30 days AND NOT ordered within 30 days; the live count is the API's.
    await page.getByTestId('nav-audiences').click();
    await page.getByTestId('audience-name').fill('E2E lapsed buyers');
    await page.getByTestId('add-behavior-condition').click();
    // Events are picked from the warehouse's list (typing filters it).
    await page.getByTestId('behavior-event-0').click();
    await page.keyboard.type('login');
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option').first().click();
    const loginOnly = await countOf({ kind: 'did', event: 'login', window: { type: 'last_days', days: 30 } });
    await expect
      .poll(() => page.getByTestId('audience-count').textContent(), { timeout: 15_000 })
      .toBe(loginOnly.toLocaleString('en-US'));
    await page.getByTestId('add-behavior-condition').click();
    await page.getByTestId('behavior-event-1').click();
    await page.keyboard.type('order');
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option').first().click();
    await page.getByTestId('behavior-kind-1').click();
    await page
      .locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: 'did not' })
      .click();
    const expected = await countOf({
      kind: 'and',
      children: [
        { kind: 'did', event: 'login', window: { type: 'last_days', days: 30 } },
        { kind: 'did_not', event: 'order', window: { type: 'last_days', days: 30 } },
      ],
    });
    expect(expected).toBeGreaterThan(0);
    expect(expected).toBeLessThan(loginOnly);
    await expect
      .poll(() => page.getByTestId('audience-count').textContent(), { timeout: 15_000 })
      .toBe(expected.toLocaleString('en-US'));
    await page.getByTestId('audience-save').click();
    await page.getByTestId('audience-list').getByText('E2E lapsed buyers').waitFor();

    // Campaign: push + SMS, checks, save the draft, estimate the cost, submit.
    await page.getByTestId('nav-campaigns').click();
    // The list's 新建 opens the editor on a page of its own.
    await page.getByTestId('campaign-new').click();
    await page.getByTestId('campaign-name').fill('E2E win-back');
    await pickOption(page, 'campaign-audience', 'E2E lapsed buyers');
    await page.getByTestId('campaign-channels').getByText('sms').click();
    await page.getByTestId('push-title').fill('We miss you');
    await page.getByTestId('push-body').fill('Come back for something new');
    await page.getByTestId('sms-text').fill('您的专属券已到账 https://example.com/a');
    // The checks run on the text rendered for a sample member, a moment after typing.
    await expect.poll(() => page.getByTestId('sms-checks').textContent()).toContain('opt-out text missing');
    await page.getByTestId('sms-text').fill('您的专属券已到账 https://example.com/a 回T退订');
    await expect.poll(() => page.getByTestId('sms-checks').textContent()).toContain('SMS looks fine');
    await page.getByTestId('campaign-save').click();
    await page.getByTestId('cost-calculator').waitFor();
    await page.getByTestId('estimate-run').click();
    await page.getByTestId('estimate-result').waitFor();
    const estimateText = (await page.getByTestId('estimate-result').textContent()) ?? '';
    expect(estimateText).toContain(expected.toLocaleString('en-US'));
    await page.getByTestId('campaign-submit').click();
    // Submitted: the editor starts a new campaign; the list shows this one's status.
    await expect.poll(() => page.getByTestId('campaign-name').inputValue()).toBe('');
    await page.getByTestId('nav-campaigns').click();
    await expect
      .poll(() => page.getByTestId('campaign-status-E2E win-back').textContent())
      .toBe('Pending review');

    // The submitter cannot approve their own campaign (and an operator may not review at all).
    await page.getByTestId('nav-approvals').click();
    await page.getByTestId('approval-E2E win-back').waitFor();
    await expect(page.getByTestId('approval-E2E win-back').getByTestId('approve').isDisabled()).resolves.toBe(
      true,
    );
    await logOut(page);

    // Another user, a reviewer, approves it.
    await logIn(page, server.url, 'rita');
    await page.getByTestId('nav-approvals').click();
    await page.getByTestId('approval-E2E win-back').getByTestId('approve').click();
    await page.getByText('Nothing waiting for review').waitFor();

    const list = await server.app.inject({
      method: 'GET',
      url: '/v1/campaigns',
      headers: { authorization: `Bearer ${adminToken}` },
    });
    const campaign = (
      list.json() as { campaigns: { id: string; name: string; status: string; approvedBy: number | null }[] }
    ).campaigns.find((c) => c.name === 'E2E win-back');
    expect(campaign?.status).toMatch(/^(approved|scheduled)$/);
    expect(campaign?.approvedBy).not.toBeNull();

    // It runs: the planner plans its slot, the delivery workers send through the configured
    // providers (a generic SMS gateway and FCM, both faked on loopback), the facts reach the
    // warehouse — then the report in the console shows what the vendor received.
    const vendor = await startFakeVendor((r, res) => {
      if (r.url === '/token') return json(res, 200, { access_token: 'ya29.e2e', expires_in: 3600 });
      if (r.url.includes('messages:send'))
        return json(res, 200, { name: `projects/e2e/messages/${r.body.length}` });
      json(res, 200, { id: `sms-${vendor.requests.length}` });
    });
    try {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      for (const body of [
        {
          kind: 'sms_http',
          name: 'e2e-sms',
          ratePerSecond: 1000,
          config: { url: `${vendor.url}/sms` },
          secrets: { authValue: 'Bearer e2e' },
        },
        {
          kind: 'fcm',
          name: 'e2e-push',
          ratePerSecond: 1000,
          config: { projectId: 'e2e', tokenUrl: `${vendor.url}/token`, apiBaseUrl: vendor.url },
          secrets: {
            clientEmail: 'sa@e2e.iam.gserviceaccount.com',
            privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
          },
        },
      ]) {
        const res = await server.app.inject({
          method: 'POST',
          url: '/v1/providers',
          headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
          payload: body,
        });
        expect(res.statusCode, res.body).toBe(201);
      }
      // Two days on: the campaign's slot (tomorrow 09:00) has come and any quiet hours have passed.
      const ctx = { ...server.rt, clock: () => Date.now() + 2 * DAY };
      const slot = await runSlot(ctx, 'default', ctx.clock());
      const run = slot.campaigns.find((c) => c.campaignId === campaign?.id);
      expect(run?.messages).toBeGreaterThan(0);
      // Quiet hours may hold some users' messages to their morning (which part of the day "two
      // days on" falls in depends on when the test runs): deliver once the last one is due.
      const [last] = await server.rt.control.query<{ at: Date | null }>(
        'SELECT max(send_at) AS at FROM outbox WHERE campaign_id = $1',
        [campaign?.id],
      );
      const shift = Math.max(2 * DAY, (last?.at?.getTime() ?? 0) + 1000 - Date.now());
      const sendCtx = { ...server.rt, clock: () => Date.now() + shift };
      const errors: string[] = [];
      const worker = startDeliveryWorker(sendCtx, providersOf(server.rt).registry, {
        idleMs: 20,
        log: (msg, e) => errors.push(`${msg}: ${e instanceof Error ? e.message : String(e)}`),
      });
      await worker.drained();
      await worker.stop();
      await shipFacts(server.rt.control, server.rt.warehouse, { clock: sendCtx.clock });
      const accepted = vendor.requests.filter((r) => r.url === '/sms' || r.url.includes('messages:send'));
      expect(accepted.length).toBe(worker.stats.sent);
      const outcomes = await server.rt.control.query<{
        status: string;
        dead_reason: string | null;
        n: number;
      }>('SELECT status, dead_reason, count(*)::int AS n FROM outbox WHERE campaign_id = $1 GROUP BY 1, 2', [
        campaign?.id,
      ]);
      expect(worker.stats.sent, JSON.stringify({ stats: worker.stats, outcomes, errors })).toBeGreaterThan(0);

      const stats = await server.app.inject({
        method: 'GET',
        url: `/v1/campaigns/${campaign?.id ?? ''}/stats?by=channel`,
        headers: { authorization: `Bearer ${adminToken}` },
      });
      const total = (stats.json() as { total: { sent: number; planned: number } }).total;
      expect(total.sent).toBe(worker.stats.sent);
      expect(total.planned).toBe(run?.messages);

      await page.getByTestId('nav-reports').click();
      await page.getByTestId('report-campaign').click();
      await page
        .locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: 'E2E win-back' })
        .click();
      await expect
        .poll(() => page.getByTestId('report-totals').locator('.ant-statistic').first().textContent(), {
          timeout: 15_000,
        })
        .toContain(total.sent.toLocaleString('en-US'));
    } finally {
      await vendor.close();
    }
  }, 180_000);

  it('long operations run as server jobs and show their progress: an uploaded file is imported', async () => {
    await freshPage();
    await logIn(page, server.url, 'olivia');
    await page.getByTestId('nav-settings').click();
    await page.getByRole('tab', { name: /长时间操作|Long operations/ }).click();
    const lines = Array.from({ length: 300 }, (_, i) =>
      JSON.stringify({
        type: 'track',
        userId: `console-upload-${i % 30}`,
        event: 'app_open',
        messageId: `console-upload-${i}`,
        timestamp: new Date(Date.now() - i * 60_000).toISOString(),
      }),
    ).join('\n');
    await page
      .getByTestId('job-import-file')
      .setInputFiles({ name: 'events.ndjson', mimeType: 'application/x-ndjson', buffer: Buffer.from(lines) });
    const row = page.getByTestId('job-row-import');
    await row.getByTestId('job-done').waitFor({ timeout: 30_000 });
    await expect(row.textContent()).resolves.toContain('"accepted":300');
    const [n] = await server.rt.warehouse.query<{ n: bigint }>(
      "SELECT count(*) AS n FROM events WHERE message_id LIKE 'console-upload-%'",
    );
    expect(Number(n?.n)).toBe(300);
    await page.getByTestId('job-start-score').click();
    await page.getByTestId('job-row-score').getByTestId('job-done').waitFor({ timeout: 60_000 });
    await expect(page.getByTestId('job-row-score').textContent()).resolves.toContain('"users":');
  });

  it('opens every page without a script error, with charts on the dashboard and a user timeline', async () => {
    await freshPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await logIn(page, server.url, 'ada');
    await page.getByTestId('chart-activity').locator('canvas').waitFor();
    await page.getByTestId('chart-risk').or(page.locator('.ant-empty')).first().waitFor();
    for (const nav of [
      'users',
      'audiences',
      'campaigns',
      'approvals',
      'strategies',
      'budgets',
      'reports',
      'settings',
      'outbox',
      'audit',
    ]) {
      await page.getByTestId(`nav-${nav}`).click();
      await page.waitForURL(`**/${nav}`);
      await page.locator('.ant-card').first().waitFor();
    }
    await page
      .getByTestId('audit-table')
      .getByText('E2E lapsed buyers')
      .or(page.getByTestId('audit-table').getByText('人群'))
      .first()
      .waitFor();
    // A demo user's timeline, contacts masked.
    const [someone] = await server.rt.warehouse.query<{ user_id: string; phone: string }>(
      `SELECT user_id, phone FROM profiles WHERE phone IS NOT NULL ORDER BY user_id LIMIT 1`,
    );
    if (someone === undefined) throw new Error('the demo data has no phone numbers');
    await page.getByTestId('nav-users').click();
    await page.getByTestId('user-search').locator('input').fill(someone.user_id);
    await page.getByTestId('user-search').locator('input').press('Enter');
    const phone = (await page.getByTestId('profile-phone').textContent()) ?? '';
    expect(phone).toBe(maskPhone(someone.phone));
    expect(phone).not.toContain(someone.phone.slice(3, -4));
    // A reload on a client route serves the app again (SPA fallback) and keeps the session.
    await page.reload();
    await page.getByTestId('user-search').waitFor();
    expect(errors).toEqual([]);
  });
});
