import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { buildConsole, createConsoleUser, launchBrowser, logIn } from './support/console-browser.ts';
import { apiCall, startTestServer, type TestServer } from './support/runtime.ts';

/**
 * Settings as forms (issue 18) in real chromium against a real server: an admin changes quiet
 * hours and the API returns them; an invalid time is refused in Chinese before anything is sent;
 * a save based on an old version is refused with 已被他人修改 and the history says who changed
 * what in words; an operator sees the same form read-only.
 */

let server: TestServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let token = '';

const policy = async () => {
  const r = await apiCall(server.url, token, 'GET', '/v1/planner/policy');
  return r.json as { version: number; policy: Record<string, unknown> };
};

beforeAll(async () => {
  buildConsole();
  server = await startTestServer();
  await createConsoleUser(server.rt, 'ada', 'admin');
  await createConsoleUser(server.rt, 'olivia', 'operator');
  const api = await createUser(server.rt.control, { name: 'api-admin', role: 'admin' });
  if (!api.ok) throw new Error('api-admin exists');
  token = await issueApiToken(server.rt.control, api.value.id);
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.stop();
  server?.cleanup();
});

/** An InputNumber by its test id (on the input itself or on its wrapper). */
const num = (id: string) => page.locator(`input[data-testid="${id}"], [data-testid="${id}"] input`).first();

const openPolicy = async (name: string, width = 1366, height = 900) => {
  await context?.close();
  context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN' });
  page = await context.newPage();
  await logIn(page, server.url, name);
  await page.setViewportSize({ width, height });
  await page.goto(`${server.url}/settings`);
  await page.getByTestId('tab-policy').click();
  await page.getByTestId('policy-form').waitFor();
};

describe('settings as forms', () => {
  it('an admin changes quiet hours in the form; the API returns them', async () => {
    await openPolicy('ada');
    expect(await page.getByTestId('settings-version').first().innerText()).toBe('默认设置（从未保存）');
    await page.getByTestId('quiet-start').fill('23:00');
    await page.getByTestId('quiet-end').fill('07:30');
    await page.getByTestId('policy-save').click();
    await page.getByTestId('policy-saved').waitFor();
    expect(await page.getByTestId('policy-saved').innerText()).toContain('已保存为第 1 版');
    const saved = await policy();
    expect(saved.version).toBe(1);
    expect(saved.policy['quietHours']).toEqual({ start: '23:00', end: '07:30' });
    // Nothing else was changed by the round trip through the form.
    expect(saved.policy['caps']).toHaveLength(4);
    expect(saved.policy['defaultTimezone']).toBe('Asia/Shanghai');
    // The form speaks Chinese: no English word, code or JSON on it (the member's name is data).
    const text = (await page.getByTestId('policy-form').innerText()).replaceAll('ada', '');
    expect(text.match(/[A-Za-z]{3,}/g)).toBeNull();
    expect(text).toContain('免打扰');
  }, 120_000);

  it('refuses an invalid time in Chinese before saving, and the version stays', async () => {
    await page.getByTestId('quiet-start').fill('25:00');
    await page.getByTestId('policy-save').click();
    await page.getByText('请输入 00:00 至 23:59 之间的时间').first().waitFor();
    await page.getByTestId('quiet-start').fill('07:30');
    await page.getByTestId('policy-save').click();
    await page.getByText('开始和结束时间相同；如不需要免打扰，请关闭开关').first().waitFor();
    expect((await policy()).version).toBe(1);
  }, 60_000);

  it('a save based on an old version says 已被他人修改; after reloading the history says what changed', async () => {
    await page.getByTestId('quiet-start').fill('23:00');
    // Someone else saves meanwhile (through the API): version 2.
    const current = await policy();
    const other = await apiCall(server.url, token, 'PUT', '/v1/planner/policy', {
      version: current.version,
      policy: { ...current.policy, marketingGapHours: 6 },
    });
    expect(other.status).toBe(200);
    await num('gap-hours').fill('8');
    await page.getByTestId('policy-save').click();
    await page.getByTestId('policy-conflict').waitFor();
    expect(await page.getByTestId('policy-conflict').innerText()).toContain('已被他人修改');
    expect((await policy()).policy['marketingGapHours']).toBe(6);
    await page.getByTestId('policy-reload').click();
    await page.getByText('第 2 版').first().waitFor();
    await num('gap-hours').fill('8');
    await page.getByTestId('policy-save').click();
    await page.getByTestId('policy-saved').waitFor();
    expect((await policy()).policy['marketingGapHours']).toBe(8);
    const history = page.getByTestId('history-planner_policy');
    await history.getByText('ada 保存了第 3 版').waitFor();
    const words = await history.innerText();
    expect(words).toContain('两条营销消息的最小间隔：6 小时 → 8 小时');
    expect(words).toContain('api-admin 保存了第 2 版');
    expect(words).toContain('两条营销消息的最小间隔：4 小时 → 6 小时');
    expect(words).toContain('ada 保存了第 1 版');
    expect(words).toContain('首次保存');
  }, 60_000);

  it('the churn definition is a form too: days saved, an empty field refused in Chinese', async () => {
    await page.getByTestId('tab-scores').click();
    await page.getByTestId('score-form').waitFor();
    await num('churn-days').fill('45');
    await num('relapse-days').fill('21');
    await page.getByTestId('score-save').click();
    await page.getByTestId('score-saved').waitFor();
    const r = await apiCall(server.url, token, 'GET', '/v1/scores/config');
    const config = r.json['config'] as { churn: { days: number }; relapse: { silentDays: number } };
    expect(config.churn.days).toBe(45);
    expect(config.relapse.silentDays).toBe(21);
    await num('churn-days').fill('');
    await page.getByTestId('score-save').click();
    await page.getByText('必填').first().waitFor();
    expect((await apiCall(server.url, token, 'GET', '/v1/scores/config')).json['version']).toBe(1);
  }, 60_000);

  it('an operator sees the settings read-only', async () => {
    await openPolicy('olivia', 390, 844);
    await page.getByTestId('policy-readonly').waitFor();
    expect(await page.getByTestId('quiet-start').isDisabled()).toBe(true);
    expect(await page.getByTestId('policy-save').isDisabled()).toBe(true);
    expect(await page.getByTestId('quiet-start').inputValue()).toBe('23:00');
    await page.getByText('仅管理员和审核员可查看修改记录。').waitFor();
    // Usable on a phone: nothing wider than the screen.
    const wide = await page.evaluate<number>('document.documentElement.scrollWidth');
    expect(wide).toBeLessThanOrEqual(390);
  }, 60_000);
});
