import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createSavedAudience } from '../src/audience/saved-audiences.ts';
import { runSlot } from '../src/planner/run-slot.ts';
import { recordUnsubscribeAs } from '../src/planner/settings-service.ts';
import { findUserByName } from '../src/storage/control/users.ts';
import {
  buildConsole,
  createConsoleUser,
  launchBrowser,
  logIn,
  pickOption,
} from './support/console-browser.ts';
import { approvedCampaign, distributionUsers, makeActor } from './support/planner-scenario.ts';
import { startTestServer, type TestServer } from './support/runtime.ts';
import { seed } from './support/score-scenario.ts';

/**
 * The console's outbox page in chromium (issue 17), at a laptop's and a phone's width: counts,
 * dead letters in words with a retry for operators, "why wasn't this user reached?" and the
 * audit log naming the new actions in zh-CN. `REKINDLE_SHOTS_DIR` keeps screenshots.
 */

const NOW = Date.UTC(2026, 10, 20, 4); // 12:00 in Shanghai
const HOUR = 3_600_000;
let s: TestServer;
let browser: Browser;
let campaignId = '';
const shots = process.env['REKINDLE_SHOTS_DIR'];

const shoot = async (page: Page, name: string) => {
  if (!shots) return;
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
};

/** Raw codes and English server words that must not reach the zh-CN page. */
const RAW = ['max_attempts', 'unsubscribed', 'not_in_audience', 'outbox.retry', 'access.refused', 'webhook:'];

beforeAll(async () => {
  buildConsole();
  let now = NOW - HOUR;
  s = await startTestServer({ clock: () => now });
  const rt = s.rt;
  await seed(rt.warehouse, distributionUsers(NOW));
  await createConsoleUser(rt, 'olga', 'operator');
  await createConsoleUser(rt, 'ada', 'admin');
  const opUser = await findUserByName(rt.control, 'olga');
  if (!opUser) throw new Error('olga');
  const op = { userId: opUser.id, workspaceId: 'default', name: 'olga', role: 'operator' as const };
  const rev = await makeActor(rt.control, 'rita', 'reviewer');
  await recordUnsubscribeAs(rt, op, { userId: 'u4', channel: 'all', source: 'reply TD' });
  const aud = await createSavedAudience(rt, op, {
    name: '分销渠道用户',
    definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: 'distribution' },
  });
  if (!aud.ok) throw new Error('audience');
  const campaign = await approvedCampaign(rt, { op, rev }, '双十一召回', {
    audienceId: aud.value.id,
    holdoutShare: 0,
    timing: { kind: 'one_off', at: new Date(NOW).toISOString() },
    channels: ['push'],
    content: [{ channel: 'push', title: '好久不见', body: '回来看看', landingUrl: 'https://example.com/a' }],
    priority: 50,
  });
  campaignId = campaign.id;
  now = NOW;
  await runSlot(rt, 'default', NOW);
  // Two of the planned pushes died: one after its retries, one refused by the vendor.
  await rt.control.query(
    `UPDATE outbox SET status = 'dead', dead_reason = 'max_attempts', attempts = 5, final_at = $1,
            last_error = 'http_503: service unavailable' WHERE user_id = 'u1'`,
    [new Date(NOW + 60_000)],
  );
  await rt.control.query(
    `UPDATE outbox SET status = 'dead', dead_reason = 'UNREGISTERED', attempts = 1, final_at = $1,
            last_error = 'UNREGISTERED: token gone' WHERE user_id = 'u2'`,
    [new Date(NOW + 120_000)],
  );
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await s?.stop();
  s?.cleanup();
});

describe('outbox page', () => {
  for (const width of [1366, 390])
    it(`shows the outbox, dead letters and the lookup in zh-CN at ${width} px`, async () => {
      const context = await browser.newContext({ viewport: { width, height: 900 } });
      const page = await context.newPage();
      try {
        await logIn(page, s.url, 'olga');
        await page.goto(`${s.url}/outbox`);
        await page.getByTestId('dead-reason').first().waitFor();
        const summary = await page.getByTestId('outbox-summary').innerText();
        expect(summary).toContain('待发送');
        expect(summary).toContain('双十一召回');
        expect(summary).toContain('推送');
        const dead = await page.getByTestId('dead-letters').innerText();
        expect(dead).toContain('多次重试后仍失败，已放弃');
        expect(dead).toContain('服务商拒收（代码 UNREGISTERED）');
        expect(dead).not.toContain('u1');
        await shoot(page, `outbox-${width}`);

        await pickOption(page, 'why-campaign', '双十一召回');
        await page.keyboard.press('Escape');
        await page.getByTestId('why-user').fill('u4');
        await page.getByTestId('why-lookup').click();
        await page.getByTestId('why-answer').waitFor();
        const why = await page.getByTestId('why-answer').innerText();
        expect(why).toContain('已跳过');
        expect(why).toContain('用户已退订该渠道（或全部渠道）');
        await shoot(page, `why-${width}`);
        const text = await page.locator('body').innerText();
        for (const raw of RAW) expect(text).not.toContain(raw);
      } finally {
        await context.close();
      }
    });

  it('lets an operator retry a dead letter, and the audit log says so in words', async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    const page = await context.newPage();
    try {
      await logIn(page, s.url, 'olga');
      await page.goto(`${s.url}/outbox`);
      await page.getByTestId('dead-retry').first().click();
      await page.locator('.ant-popconfirm .ant-btn-primary').click();
      await page.locator('.ant-message').getByText('已重新排队').waitFor();
      const statuses = await s.rt.control.query<{ status: string }>(
        `SELECT status FROM outbox WHERE user_id IN ('u1', 'u2') ORDER BY user_id`,
      );
      expect(statuses.map((r) => r.status).sort()).toEqual(['dead', 'pending']);
      await context.close();
      const admin = await browser.newContext({ viewport: { width: 1366, height: 900 } });
      const p2 = await admin.newPage();
      await logIn(p2, s.url, 'ada');
      await p2.goto(`${s.url}/audit`);
      await p2.getByTestId('audit-table').getByText('重试死信').waitFor();
      const audit = await p2.getByTestId('audit-table').innerText();
      expect(audit).toContain('olga');
      expect(audit).toContain('消息');
      expect(audit).toContain('渠道: 推送');
      expect(audit).not.toContain('userAgent');
      for (const raw of RAW) expect(audit).not.toContain(raw);
      await shoot(p2, 'audit-1366');
      await admin.close();
    } finally {
      await context.close().catch(() => undefined);
    }
  });

  for (const width of [1366, 390])
    it(`answers at once for the campaign and user a link names, and a campaign's page links with its campaign (${width} px)`, async () => {
      const context = await browser.newContext({ viewport: { width, height: 844 } });
      const page = await context.newPage();
      try {
        await logIn(page, s.url, 'olga');
        // Both named: no click needed, the answer is there and the form shows what was asked.
        await page.goto(`${s.url}/outbox?campaign=${encodeURIComponent(campaignId)}&user=u4`);
        await page.getByTestId('why-answer').waitFor();
        expect(await page.getByTestId('why-answer').innerText()).toContain('用户已退订该渠道（或全部渠道）');
        expect(await page.getByTestId('decision-lookup').innerText()).toContain('双十一召回');
        expect(await page.getByTestId('why-user').inputValue()).toBe('u4');
        await shoot(page, `why-linked-${width}`);

        // From the campaign's page: the campaign is chosen, the user is asked for.
        await page.goto(`${s.url}/campaigns/${encodeURIComponent(campaignId)}`);
        await page.getByTestId('detail-lookup').click();
        await page.waitForURL(/\/outbox\?campaign=/);
        await page.getByTestId('decision-lookup').getByText('双十一召回').waitFor();
        expect(await page.getByTestId('why-answer').count()).toBe(0);
        await page.getByTestId('why-user').fill('u4');
        await page.getByTestId('why-lookup').click();
        await page.getByTestId('why-answer').waitFor();
        expect(await page.getByTestId('why-answer').innerText()).toContain('已跳过');
        const text = await page.locator('body').innerText();
        for (const raw of RAW) expect(text).not.toContain(raw);
      } finally {
        await context.close();
      }
    });
});
