import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zhCN as baseZh } from '../console/src/lib/dict/base.ts';
import { DEFAULT_POLICY } from '../src/core/campaigns/policy-schema.ts';
import { providersOf } from '../src/delivery/providers/provider-runtime.ts';
import { startDeliveryWorker } from '../src/delivery/worker.ts';
import { shipFacts } from '../src/facts/ship.ts';
import { runSlot } from '../src/planner/run-slot.ts';
import { issueApiToken } from '../src/storage/control/users.ts';
import {
  buildConsole,
  createConsoleUser,
  launchBrowser,
  logIn as logInOnce,
} from './support/console-browser.ts';
import { json, startFakeVendor } from './support/fake-vendor.ts';
import { apiCall, startTestServer, type TestServer } from './support/runtime.ts';
import { event, profile, seed } from './support/score-scenario.ts';

/**
 * Campaigns as tasks (issue 18) in a real browser: the list shows each campaign's status in
 * Chinese, an operator pauses and resumes from the list, copies a campaign into a draft, stops
 * one after a confirm that says what stops, and opens the detail page whose progress numbers are
 * the API's; editing an approved campaign warns that it goes back to review; a viewer sees the
 * actions disabled with the reason. `REKINDLE_SHOTS_DIR` keeps screenshots (1366 and 390 px).
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const USERS = ['t1', 't2', 't3', 't4', 't5', 't6', 't7', 't8'];
const SMS_FEN = 5;
const phoneOf = (u: string) => `+86138002000${u.slice(1).padStart(2, '0')}`;
let refused = ''; // the first planned user's number: the gateway refuses it for good
const zh = (status: string) => baseZh[`camp.status.${status}` as keyof typeof baseZh];

let s: TestServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let vendor: Awaited<ReturnType<typeof startFakeVendor>>;
const tokens: Record<string, string> = {};
const ids: Record<string, string> = {};
const shots = process.env['REKINDLE_SHOTS_DIR'];
const call = (who: string, method: string, path: string, body?: unknown) =>
  apiCall(s.url, tokens[who] ?? '', method, path, body);

/**
 * Logs in, trying again when the page did not come up: other work in the same checkout may be
 * rebuilding console/dist (which this server serves) at that moment.
 */
const logIn = async (p: Page, url: string, name: string): Promise<void> => {
  for (let i = 0; ; i++) {
    try {
      await p.goto(url);
      await p.getByTestId('login-name').waitFor({ timeout: 10_000 });
      return await logInOnce(p, url, name);
    } catch (e) {
      if (i >= 4) throw e;
      await p.waitForTimeout(3_000);
    }
  }
};

/** Opens a page and waits for `testId`, again if the console was being rebuilt at that moment. */
const go = async (path: string, testId: string): Promise<void> => {
  for (let i = 0; ; i++) {
    try {
      await page.goto(`${s.url}${path}`);
      await page.getByTestId(testId).first().waitFor({ timeout: 10_000 });
      return;
    } catch (e) {
      if (i >= 4) throw e;
      await page.waitForTimeout(3_000);
    }
  }
};

const freshPage = async (width = 1366, height = 900) => {
  await context?.close();
  context = await browser.newContext({ viewport: { width, height }, locale: 'zh-CN' });
  page = await context.newPage();
};
const shoot = async (name: string) => {
  if (!shots) return;
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
};
const noOverflow = async () => {
  const width = page.viewportSize()?.width ?? 0;
  // The layout follows a resize a moment later (the menu folds, breakpoints re-render).
  await expect
    .poll(() => page.evaluate('document.documentElement.scrollWidth'), { timeout: 5_000 })
    .toBeLessThanOrEqual(width)
    .catch(() => undefined);
  // What sticks out, to say where when it fails.
  const wide = await page.evaluate(`[...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().right > ${width} + 1 && !e.closest('.ant-table-content, .ant-table-body'))
    .slice(0, 8).map((e) => e.tagName + '.' + String(e.className).slice(0, 60) + ' ' + Math.round(e.getBoundingClientRect().right))`);
  expect(
    Number(await page.evaluate('document.documentElement.scrollWidth')),
    JSON.stringify(wide),
  ).toBeLessThanOrEqual(width);
};
const statusOf = (name: string) => page.getByTestId(`campaign-status-${name}`).textContent();
const apiStatus = async (name: string) => {
  const r = await call('ada', 'GET', '/v1/campaigns');
  return (r.json['campaigns'] as { name: string; status: string }[]).find((c) => c.name === name)?.status;
};

const approve = async (name: string, timing: unknown) => {
  const created = await call('olga', 'POST', '/v1/campaigns', {
    name,
    definition: {
      audienceId: ids['audience'],
      timing,
      channels: ['sms'],
      content: [
        { channel: 'sms', text: '回来看看 https://example.com/a 回T退订', signature: '【Rekindle】' },
      ],
      holdoutShare: 0.2,
      budgetCents: 4 * SMS_FEN,
    },
  });
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  const id = String(created.json['id']);
  expect((await call('olga', 'POST', `/v1/campaigns/${id}/submit`, { version: 1 })).status).toBe(200);
  const r = await call('rita', 'POST', `/v1/campaigns/${id}/review`, { decision: 'approve', version: 1 });
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  ids[name] = id;
  return id;
};

beforeAll(async () => {
  buildConsole();
  vendor = await startFakeVendor((r, res) => {
    if ((JSON.parse(r.body) as { to?: string }).to === refused)
      return json(res, 400, { error: 'invalid number' });
    json(res, 200, { id: `sms-${vendor.requests.length}` });
  });
  s = await startTestServer();
  for (const [name, role] of [
    ['ada', 'admin'],
    ['olga', 'operator'],
    ['rita', 'reviewer'],
    ['vera', 'viewer'],
    ['otto', 'operator'],
  ] as const) {
    await createConsoleUser(s.rt, name, role);
    const row = await s.rt.control.query<{ id: string }>('SELECT id FROM users WHERE name = $1', [name]);
    tokens[name] = await issueApiToken(s.rt.control, Number(row[0]?.id));
  }
  const now = Date.now();
  await seed(
    s.rt.warehouse,
    USERS.map((u) =>
      profile(u, now - 100 * DAY, {
        acquisition_channel: 'tasks',
        timezone: 'Asia/Shanghai',
        ...(u === 't8' ? {} : { phone: phoneOf(u) }),
        consent_sms: true,
      }),
    ),
    USERS.map((u) => event(u, 'login', now - 40 * DAY)),
  );
  // No quiet hours, so the messages go whenever the test runs.
  expect(
    (
      await call('ada', 'PUT', '/v1/planner/policy', {
        version: 0,
        policy: { ...DEFAULT_POLICY, quietHours: null },
      })
    ).status,
  ).toBe(200);
  expect(
    (
      await call('ada', 'POST', '/v1/providers', {
        kind: 'sms_http',
        name: 'gateway',
        ratePerSecond: 1000,
        config: { url: `${vendor.url}/sms` },
        secrets: { authValue: 'Bearer test' },
      })
    ).status,
  ).toBe(201);
  expect(
    (await call('ada', 'PUT', '/v1/planner/quotas/sms', { quota: 1000, costCents: SMS_FEN })).status,
  ).toBe(200);
  const aud = await call('olga', 'POST', '/v1/audiences', {
    name: '回流人群',
    definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: 'tasks' },
  });
  expect(aud.status, JSON.stringify(aud.json)).toBe(201);
  ids['audience'] = String(aud.json['id']);
  // One that ran (planned, sent by the real worker, one number refused), one on a nightly schedule.
  await approve('回流短信', { kind: 'one_off', at: new Date(now - 60_000).toISOString() });
  await approve('每日提醒', { kind: 'periodic', cron: '0 9 * * *', timezone: 'Asia/Shanghai' });
  await runSlot(s.rt, 'default', Date.now());
  const first = await s.rt.control.query<{ user_id: string }>(
    'SELECT user_id FROM outbox WHERE campaign_id = $1 ORDER BY user_id LIMIT 1',
    [ids['回流短信']],
  );
  refused = phoneOf(first[0]?.user_id ?? '');
  const worker = startDeliveryWorker(s.rt, providersOf(s.rt).registry, { idleMs: 20, log: () => undefined });
  await worker.drained();
  await worker.stop();
  await shipFacts(s.rt.control, s.rt.warehouse, { clock: s.rt.clock });
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await vendor?.close();
  await s?.stop();
  s?.cleanup();
});

describe('campaign list', () => {
  it('shows each campaign in Chinese: type, channel, status, owner, audience, sent', async () => {
    await freshPage();
    await logIn(page, s.url, 'olga');
    await go('/campaigns', 'campaign-list');
    for (const name of ['回流短信', '每日提醒']) {
      const status = String(await apiStatus(name));
      await expect.poll(() => statusOf(name)).toBe(zh(status));
    }
    const row = page.locator('tr', { has: page.getByTestId('campaign-link-每日提醒') });
    const text = (await row.textContent()) ?? '';
    expect(text).toContain('周期');
    expect(text).toContain('短信');
    expect(text).toContain('olga');
    expect(text).toContain('回流人群');
    const sent = await call('olga', 'GET', `/v1/campaigns/${ids['回流短信']}/progress`);
    await expect
      .poll(() => page.getByTestId('campaign-sent-回流短信').textContent())
      .toBe(String((sent.json['funnel'] as { sent: number }).sent));
    await shoot('campaigns-zh-1366');
    await page.setViewportSize({ width: 390, height: 844 });
    await noOverflow();
    await shoot('campaigns-zh-390');
  });

  it('pauses then resumes from the list; editing an approved campaign warns first', async () => {
    await freshPage();
    await logIn(page, s.url, 'olga');
    await go('/campaigns', 'campaign-list');
    await expect.poll(() => statusOf('每日提醒')).toBe(zh('scheduled'));
    await page.getByTestId('act-pause-每日提醒').getByRole('button').click();
    await expect.poll(() => statusOf('每日提醒')).toBe(zh('paused'));
    expect(await apiStatus('每日提醒')).toBe('paused');
    await page.getByTestId('act-resume-每日提醒').getByRole('button').click();
    await expect.poll(() => statusOf('每日提醒')).toBe(zh('scheduled'));
    expect(await apiStatus('每日提醒')).toBe('scheduled');
    // 编辑 says it goes back to review, and nothing changes when the operator backs out.
    await page.getByTestId('act-edit-每日提醒').getByRole('button').click();
    await expect(page.getByTestId('edit-review-warning').textContent()).resolves.toContain(
      '重新批准前不会发送',
    );
    await expect(page.locator('.ant-modal-confirm-title').textContent()).resolves.toBe('修改后需重新审核');
    await page.locator('.ant-modal-confirm .ant-btn').first().click();
    // Backing out closes the dialog and stays on the list (its fade-out may still cover the page).
    await page.locator('.ant-modal-confirm').waitFor({ state: 'detached' });
    expect(page.url()).toBe(`${s.url}/campaigns`);
  });

  it('copies a campaign into a draft, and stops one after saying what stops', async () => {
    await go('/campaigns', 'campaign-list');
    await page.getByTestId('act-copy-回流短信').getByRole('button').click();
    await expect.poll(() => statusOf('回流短信 副本')).toBe(zh('draft'));
    expect(await apiStatus('回流短信 副本')).toBe('draft');
    await page.getByTestId('act-cancel-回流短信 副本').getByRole('button').click();
    await expect(page.getByTestId('cancel-warning').textContent()).resolves.toContain(
      '尚未发出的消息将全部撤回',
    );
    await page.getByTestId('cancel-confirm').click();
    await expect.poll(() => statusOf('回流短信 副本')).toBe(zh('cancelled'));
    expect(await apiStatus('回流短信 副本')).toBe('cancelled');
    // Filters: by status and by name.
    await page.getByTestId('campaign-search').locator('input').fill('副本');
    await expect.poll(() => page.locator('[data-testid^="campaign-link-"]').count()).toBe(1);
  });
});

describe('campaign detail', () => {
  it('shows the progress numbers the API gives, the skip reasons and the failures in words', async () => {
    const r = await call('olga', 'GET', `/v1/campaigns/${ids['回流短信']}/progress`);
    const p = r.json as {
      funnel: Record<string, number>;
      skipped: { reasons: { reason: string; count: number }[] };
      snapshot: { members: number };
      holdout: { users: number };
      budget: { spentCents: number; remainingCents: number };
      channels: { dead: number; failed: number; unknown: number }[];
    };
    expect(p.funnel['sent']).toBeGreaterThan(0);
    expect(p.channels[0]?.dead).toBe(1);
    await freshPage();
    await logIn(page, s.url, 'olga');
    await go('/campaigns', 'campaign-list');
    await page.getByTestId('campaign-link-回流短信').click();
    await page.getByTestId('detail-funnel').waitFor();
    for (const k of ['planned', 'sent', 'delivered', 'clicked', 'converted'])
      await expect.poll(() => page.getByTestId(`funnel-${k}-count`).textContent()).toBe(String(p.funnel[k]));
    for (const reason of p.skipped.reasons)
      await expect(page.getByTestId(`skip-${reason.reason}`).textContent()).resolves.toMatch(
        new RegExp(`^${reason.count} 位用户未发送：[\\u4e00-\\u9fff]`, 'u'),
      );
    expect(p.skipped.reasons.map((x) => x.reason)).toContain('unreachable');
    await expect(page.getByTestId('detail-snapshot').textContent()).resolves.toContain(
      `${p.snapshot.members} 位用户`,
    );
    await expect(page.getByTestId('detail-holdout').textContent()).resolves.toContain(
      `${p.holdout.users} 位用户`,
    );
    await expect(page.getByTestId('budget-spent').textContent()).resolves.toBe(
      `¥${(p.budget.spentCents / 100).toFixed(2)}`,
    );
    await expect(page.getByTestId('channel-failed-sms').textContent()).resolves.toBe('1');
    await expect(page.getByTestId('channel-failure').first().textContent()).resolves.toMatch(
      /^1 条：[\u4e00-\u9fff]/u,
    );
    const body = (await page.locator('main, body').first().textContent()) ?? '';
    expect(body).not.toMatch(/campaign_budget|unreachable|one_off|\bsms\b/u);
    await shoot('campaign-detail-zh-1366');
    await page.setViewportSize({ width: 390, height: 844 });
    await noOverflow();
    await shoot('campaign-detail-zh-390');
    // English once.
    await page.setViewportSize({ width: 1366, height: 900 });
    await page.getByTestId('lang-switch').click();
    await expect.poll(() => page.getByTestId('funnel-sent').textContent()).toContain('Sent');
    await shoot('campaign-detail-en-1366');
    await go('/campaigns', 'campaign-list');
    await shoot('campaigns-en-1366');
  });

  it('a nightly slot says when quiet hours let it go', async () => {
    expect(
      (
        await call('ada', 'PUT', '/v1/planner/policy', {
          version: 1,
          policy: { ...DEFAULT_POLICY, quietHours: { start: '08:00', end: '10:00' } },
        })
      ).status,
    ).toBe(200);
    await freshPage();
    await logIn(page, s.url, 'olga');
    await go(`/campaigns/${ids['每日提醒'] ?? ''}`, 'campaign-detail');
    await expect(page.getByTestId('detail-quiet').textContent()).resolves.toContain(
      '免打扰时段内，将于 10:00 后发送',
    );
    await expect(page.getByTestId('detail-next-slot').textContent()).resolves.toContain('09:00');
  });
});

describe('live progress', () => {
  it('a running campaign refreshes its numbers on the open page, without a reload', async () => {
    const id = ids['每日提醒'] ?? '';
    const c = await call('olga', 'GET', `/v1/campaigns/${id}`);
    const slotAt = Date.parse(String(c.json['nextSlotAt']));
    const run = (await runSlot(s.rt, 'default', slotAt)).campaigns.find((x) => x.campaignId === id);
    expect(run?.messages).toBeGreaterThan(0);
    expect(await apiStatus('每日提醒')).toBe('running');
    await freshPage();
    await logIn(page, s.url, 'olga');
    await go(`/campaigns/${id}`, 'campaign-detail');
    await page.getByTestId('detail-live').waitFor();
    await expect
      .poll(() => page.getByTestId('funnel-planned-count').textContent())
      .toBe(String(run?.messages));
    await expect(page.getByTestId('detail-waiting').textContent()).resolves.toContain(`${run?.messages} 条`);
    await expect(page.getByTestId('funnel-sent-count').textContent()).resolves.toBe('0');
    // The slot's messages fall due now and go out while the page stays open.
    await s.rt.control.query('UPDATE outbox SET send_at = $2 WHERE campaign_id = $1', [id, new Date()]);
    const worker = startDeliveryWorker(s.rt, providersOf(s.rt).registry, {
      idleMs: 20,
      log: () => undefined,
    });
    await worker.drained();
    await worker.stop();
    await shipFacts(s.rt.control, s.rt.warehouse, { clock: s.rt.clock });
    const p = await call('olga', 'GET', `/v1/campaigns/${id}/progress`);
    const sent = (p.json['funnel'] as { sent: number }).sent;
    expect(sent).toBeGreaterThan(0);
    await expect
      .poll(() => page.getByTestId('funnel-sent-count').textContent(), { timeout: 15_000 })
      .toBe(String(sent));
    await shoot('campaign-detail-running-zh-1366');
  });
});

describe('roles', () => {
  it('a viewer sees every action disabled with the reason', async () => {
    await freshPage();
    await logIn(page, s.url, 'vera');
    await go('/campaigns', 'campaign-list');
    await expect(page.getByTestId('campaign-new').isDisabled()).resolves.toBe(true);
    for (const act of ['edit', 'copy', 'pause', 'cancel']) {
      const cell = page.getByTestId(`act-${act}-每日提醒`);
      await expect(cell.getByRole('button').isDisabled()).resolves.toBe(true);
      expect(await cell.getAttribute('data-reason')).toMatch(/[\u4e00-\u9fff]/u);
    }
    // The reason shows on hover.
    await page.getByTestId('act-pause-每日提醒').hover();
    await expect(page.locator('.ant-tooltip:visible').textContent()).resolves.toMatch(/[\u4e00-\u9fff]/u);
    // 查看 stays open to every role.
    await page.getByTestId('act-view-每日提醒').getByRole('button').click();
    await page.getByTestId('campaign-detail').waitFor();
  });

  it("another operator may copy someone's campaign but not pause, edit or stop it", async () => {
    await freshPage();
    await logIn(page, s.url, 'otto');
    await go('/campaigns', 'campaign-list');
    await expect(page.getByTestId('act-copy-每日提醒').getByRole('button').isDisabled()).resolves.toBe(false);
    // It is running: 编辑 says to pause first; 暂停 and 终止 are the owner's.
    await expect(page.getByTestId('act-edit-每日提醒').getAttribute('data-reason')).resolves.toBe(
      '运行中的任务不能直接编辑，请先暂停',
    );
    for (const act of ['pause', 'cancel']) {
      const cell = page.getByTestId(`act-${act}-每日提醒`);
      await expect(cell.getByRole('button').isDisabled()).resolves.toBe(true);
      expect(await cell.getAttribute('data-reason')).toBe('仅创建人或管理员可执行此操作');
    }
    // The server agrees.
    expect((await call('otto', 'POST', `/v1/campaigns/${ids['每日提醒'] ?? ''}/pause`)).status).toBe(403);
  });
});
