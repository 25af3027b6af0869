import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemo } from '../src/demo/load-demo.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { isServerPath } from '../src/server/console.ts';
import { createConsoleUser, launchBrowser, logIn } from './support/console-browser.ts';
import { findUnexplainedText } from './support/raw-text.ts';
import { startTestServer, type TestServer } from './support/runtime.ts';
import { en } from '../console/src/lib/i18n-dict.ts';
import { tempDir } from './support/tmp.ts';
import { duckdbWarehouseOf } from '../src/runtime.ts';

/**
 * The audience builder in a real browser against a real server with demo data: an event and a
 * property value picked from the pickers (filled from the warehouse), the live count equal to
 * the API's preview of the same tree; save, reopen, edit, portrait, delete; a score condition
 * (churn risk level 高) counted as the API counts it; an unknown event refused with the server's
 * warning in Chinese; a delete refused in words while a campaign uses the audience; viewers
 * cannot save. Screenshots (1366 and 390 px, zh-CN, and English once) go to REKINDLE_SHOTS_DIR.
 */

const DAY = 86_400_000;
let server: TestServer;
let browser: Browser;
let context: BrowserContext | undefined;
let page: Page;
let adminToken = '';
const shots = process.env['REKINDLE_SHOTS_DIR'];

const shoot = async (name: string) => {
  if (!shots) return;
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
};

const call = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${adminToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

const countOf = async (definition: unknown): Promise<number> => {
  const r = await call('POST', '/v1/audiences/preview', { definition, sample: 0 });
  expect(r.status).toBe(200);
  return Number(r.json['count']);
};

/**
 * The console built into this test's own directory and served to the browser from there (the
 * API still answers from the server): other work rebuilding console/dist meanwhile cannot swap
 * the files under a running test.
 */
const dist = tempDir('rekindle-aud-console-');
const buildOwnConsole = () => {
  // Another build of the project may be running (the checkout is shared): wait for it and retry.
  for (let attempt = 1; ; attempt += 1) {
    try {
      execFileSync(
        process.execPath,
        [
          'node_modules/vite/bin/vite.js',
          'build',
          '--config',
          'console/vite.config.ts',
          '--outDir',
          dist.dir,
          '--emptyOutDir',
          '--logLevel',
          'warn',
        ],
        {
          cwd: fileURLToPath(new URL('..', import.meta.url)),
          stdio: 'pipe',
          env: { ...process.env, NODE_ENV: 'production' },
        },
      );
      return;
    } catch (e) {
      if (attempt >= 20) throw e;
      execFileSync('sleep', ['6']);
    }
  }
};

const freshPage = async (width = 1366, height = 768) => {
  await context?.close();
  context = await browser.newContext({ viewport: { width, height }, locale: 'zh-CN' });
  await context.route(`${server.url}/**`, async (route) => {
    const path = new URL(route.request().url()).pathname;
    if (isServerPath(path)) return route.continue();
    return route.fulfill({ path: join(dist.dir, path.startsWith('/assets/') ? path : 'index.html') });
  });
  page = await context.newPage();
};

/** Opens a picker, types to filter it, and picks the first option left (or the one with `text`). */
const pick = async (testId: string, typed: string, text?: string) => {
  await page.getByTestId(testId).click();
  await page.keyboard.type(typed);
  const options = page.locator('.ant-select-dropdown:visible .ant-select-item-option');
  await (text === undefined ? options : options.filter({ hasText: text })).first().click();
  // The next picker's list must not be confused with this one while it closes.
  await expect.poll(() => page.locator('.ant-select-dropdown:visible').count(), { timeout: 5_000 }).toBe(0);
};

/** A call as the signed-in console user (the browser context's session cookie). */
const asUser = async (method: 'POST' | 'DELETE', path: string, data?: unknown) => {
  const r = await context!.request.fetch(`${server.url}${path}`, {
    method,
    ...(data === undefined ? {} : { data }),
  });
  return { status: r.status(), json: (await r.json()) as Record<string, unknown> };
};

/** Types into a number box (the test id sits on the input or on its wrapper). */
const fillNumber = async (testId: string, v: string) => {
  const el = page.getByTestId(testId);
  const input = (await el.evaluate((e) => e.tagName)) === 'INPUT' ? el : el.locator('input');
  await input.fill(v);
};

const shownCount = async () => (await page.getByTestId('audience-count').textContent())?.trim() ?? '';
const zh = (n: number) => n.toLocaleString('zh-CN');

/** The page is no wider than the screen. */
const fitsScreen = async () =>
  (await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1')) === true;

beforeAll(async () => {
  buildOwnConsole();
  server = await startTestServer();
  await loadDemo(server.rt.warehouse, { size: 1500, seed: 7, now: Math.floor(Date.now() / DAY) * DAY });
  await duckdbWarehouseOf(server.rt).compactEvents();
  // Scores as the scoring job would leave them (a spread of levels, stages and tiers; some unscored).
  await server.rt.warehouse.write(
    `INSERT INTO user_scores (user_id, lifecycle_stage, rfm_tier, churn_risk_score, churn_risk_level, computed_at)
     SELECT user_id,
            (['new','growing','mature','silent','churned'])[1 + (hash(user_id || 's') % 5)::BIGINT],
            (['high','medium','low','none'])[1 + (hash(user_id || 't') % 4)::BIGINT],
            hash(user_id) % 100,
            CASE WHEN hash(user_id) % 100 >= 70 THEN 'high' WHEN hash(user_id) % 100 >= 40 THEN 'medium' ELSE 'low' END,
            now()
     FROM profiles WHERE hash(user_id) % 10 <> 0`,
  );
  await createConsoleUser(server.rt, 'olivia', 'operator');
  await createConsoleUser(server.rt, 'vera', 'viewer');
  const admin = await createUser(server.rt.control, { name: 'aud-admin', role: 'admin' });
  if (!admin.ok) throw new Error('admin');
  adminToken = await issueApiToken(server.rt.control, admin.value.id);
  browser = await launchBrowser();
}, 240_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.stop();
  server?.cleanup();
  dist.cleanup();
});

describe('audience builder in a browser (zh-CN)', () => {
  it('picks an event and a property value from the pickers; the live count is the API preview; save, reopen, edit, portrait, delete', async () => {
    await freshPage();
    await logIn(page, server.url, 'olivia');
    await page.getByTestId('nav-audiences').click();
    await page.getByTestId('audience-name').fill('近 30 天买过热门品类');
    await page.getByTestId('add-behavior-condition').click();
    // The event picker lists the warehouse's events in words: typing "下单" finds `order`.
    await pick('behavior-event-0', '下单', '下单');
    const orders = await countOf({ kind: 'did', event: 'order', window: { type: 'last_days', days: 30 } });
    await expect.poll(shownCount, { timeout: 15_000 }).toBe(zh(orders));

    // A property filter: the property and its value from the pickers (the most frequent category).
    const values = await call('GET', '/v1/metadata/properties/category/values?event=order');
    const top = (values.json['values'] as { value: string }[])[0]?.value ?? '';
    expect(top).not.toBe('');
    await page.getByTestId('behavior-filter-0-add').click();
    await pick('behavior-filter-0-0-property', 'category');
    await pick('behavior-filter-0-0-value', top);
    const definition = {
      kind: 'did',
      event: 'order',
      where: [{ property: 'category', op: 'eq', value: top }],
      window: { type: 'last_days', days: 30 },
    };
    const filtered = await countOf(definition);
    expect(filtered).toBeGreaterThan(0);
    expect(filtered).toBeLessThan(orders);
    await expect.poll(shownCount, { timeout: 15_000 }).toBe(zh(filtered));
    // The chosen value reads in words, not as the stored code.
    const shown = (await page.getByTestId('behavior-filter-0-0-value').textContent()) ?? '';
    expect(shown).not.toContain(top);
    await shoot('audiences-builder-1366');
    // No code, key or English word on the page (the sample's cities and the picked names in words).
    expect(
      findUnexplainedText(await page.locator('.ant-layout-content').innerText(), Object.keys(en)),
    ).toEqual([]);

    await page.getByTestId('audience-save').click();
    const row = page.getByTestId('audience-list').locator('tr', { hasText: '近 30 天买过热门品类' });
    await row.waitFor();
    const list = await call('GET', '/v1/audiences?search=' + encodeURIComponent('热门品类'));
    const saved = (list.json['audiences'] as { id: string; definition: unknown; version: number }[])[0];
    expect(saved?.definition).toEqual(definition);
    // Its size in the list is the API's count now.
    await expect
      .poll(async () => (await row.getByText(/当前/).textContent()) ?? '', { timeout: 15_000 })
      .toContain(zh(filtered));

    // Reopen: the form comes back as built; widen the window to 60 days and save the change.
    await row.getByTestId('audience-edit').click();
    await expect
      .poll(async () => (await page.getByTestId('audience-builder').textContent()) ?? '', { timeout: 15_000 })
      .toContain('编辑人群');
    await expect
      .poll(async () => (await page.getByTestId('behavior-event-0').textContent()) ?? '', { timeout: 15_000 })
      .toContain('下单');
    await fillNumber('behavior-days-0', '60');
    const wider = await countOf({ ...definition, window: { type: 'last_days', days: 60 } });
    await expect.poll(shownCount, { timeout: 15_000 }).toBe(zh(wider));
    await page.getByTestId('audience-save').click();
    await expect
      .poll(async () => (await call('GET', `/v1/audiences/${saved?.id ?? ''}`)).json['version'], {
        timeout: 10_000,
      })
      .toBe(2);
    expect((await call('GET', `/v1/audiences/${saved?.id ?? ''}`)).json['definition']).toEqual({
      ...definition,
      window: { type: 'last_days', days: 60 },
    });

    // Portrait: five dimensions whose bars sum to the size the API gives.
    await row.getByTestId('audience-portrait').click();
    const portrait = page.getByTestId('portrait');
    await portrait.waitFor();
    await expect(page.getByTestId('portrait-size').getAttribute('data-count')).resolves.toBe(String(wider));
    const api = await call('GET', `/v1/audiences/${saved?.id ?? ''}/portrait?top=8`);
    for (const d of api.json['dimensions'] as { dimension: string; buckets: { users: number }[] }[]) {
      const users = await page
        .getByTestId(`portrait-${d.dimension}-rows`)
        .locator('li')
        .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-users'))));
      expect(users).toEqual(d.buckets.map((b) => b.users));
      expect(users.reduce((a, b) => a + b, 0)).toBe(wider);
    }
    await expect
      .poll(async () => (await page.getByTestId('portrait-churn_risk_level').textContent()) ?? '', {
        timeout: 15_000,
      })
      .toMatch(/高风险/);
    await page.waitForTimeout(500);
    expect(findUnexplainedText(await portrait.innerText(), Object.keys(en))).toEqual([]);
    await shoot('audiences-portrait-1366');
    await page.keyboard.press('Escape');
    await portrait.waitFor({ state: 'detached' });

    // Delete, confirmed: gone from the list and from the API.
    await row.getByTestId('audience-delete').click();
    await page.getByTestId('audience-delete-confirm').click();
    await row.waitFor({ state: 'detached' });
    expect((await call('GET', `/v1/audiences/${saved?.id ?? ''}`)).status).toBe(404);
  });

  it('counts a score condition (churn risk level 高) as the API does', async () => {
    await freshPage();
    await logIn(page, server.url, 'olivia');
    await page.getByTestId('nav-audiences').click();
    await page.getByTestId('add-profile-condition').click();
    await pick('profile-source-0', '', '模型评分');
    await pick('profile-attr-0', '流失风险等级', '流失风险等级');
    await pick('profile-value-0', '高', '高风险');
    const high = await countOf({ kind: 'score', score: 'churn_risk_level', op: 'eq', value: 'high' });
    expect(high).toBeGreaterThan(0);
    await expect.poll(shownCount, { timeout: 15_000 }).toBe(zh(high));
    // AND a behaviour: logged in within 7 days.
    await page.getByTestId('add-behavior-condition').click();
    await pick('behavior-event-0', 'login');
    await fillNumber('behavior-days-0', '7');
    const both = await countOf({
      kind: 'and',
      children: [
        { kind: 'score', score: 'churn_risk_level', op: 'eq', value: 'high' },
        { kind: 'did', event: 'login', window: { type: 'last_days', days: 7 } },
      ],
    });
    await expect.poll(shownCount, { timeout: 15_000 }).toBe(zh(both));
    const text = (await page.getByTestId('audience-builder').innerText()).replace(/\s+/g, ' ');
    expect(text).not.toMatch(/churn_risk_level|high\b|login/);
  });

  it('refuses an event the warehouse never saw, with the warning in Chinese', async () => {
    const created = await call('POST', '/v1/audiences', {
      name: '拼错的事件',
      definition: { kind: 'did', event: 'logn', window: { type: 'last_days', days: 30 } },
    });
    expect(created.status).toBe(201);
    await freshPage();
    await logIn(page, server.url, 'olivia');
    await page.getByTestId('nav-audiences').click();
    // An admin's audience: the operator may look but not edit it.
    const row = page.getByTestId('audience-list').locator('tr', { hasText: '拼错的事件' });
    await expect
      .poll(async () => row.getByTestId('audience-edit').isDisabled(), { timeout: 15_000 })
      .toBe(true);
    await call('DELETE', `/v1/audiences/${String(created.json['id'])}`);

    await page.getByTestId('audience-name').fill('拼错');
    await page.getByTestId('add-behavior-condition').click();
    // Only names from the list can be picked: "logn" finds nothing, so nothing is chosen.
    await page.getByTestId('behavior-event-0').click();
    await page.keyboard.type('logn');
    await expect(page.locator('.ant-select-dropdown:visible .ant-select-item-option').count()).resolves.toBe(
      0,
    );
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('behavior-event-0').textContent()).resolves.not.toContain('logn');
  });

  it('opens a saved audience with an unknown event and refuses to save it, naming the suggestion', async () => {
    await freshPage();
    await logIn(page, server.url, 'olivia');
    const mine = await asUser('POST', '/v1/audiences', {
      name: '我的旧拼写',
      definition: { kind: 'did', event: 'logn', window: { type: 'last_days', days: 30 } },
    });
    expect(mine.status).toBe(201);
    await page.getByTestId('nav-audiences').click();
    const row = page.getByTestId('audience-list').locator('tr', { hasText: '我的旧拼写' });
    await row.getByTestId('audience-edit').click();
    const warnings = page.getByTestId('audience-warnings');
    await warnings.waitFor();
    await expect(warnings.textContent()).resolves.toContain('事件「logn」从未出现过，是否想输入「登录」？');
    await expect
      .poll(async () => page.getByTestId('audience-save').isDisabled(), { timeout: 15_000 })
      .toBe(true);
    await shoot('audiences-unknown-event-1366');
    await page.getByTestId('audience-warning-apply').click();
    await expect
      .poll(async () => page.getByTestId('audience-save').isDisabled(), { timeout: 15_000 })
      .toBe(false);
  });

  it('refuses to delete an audience a campaign uses, saying which', async () => {
    await freshPage();
    await logIn(page, server.url, 'olivia');
    const aud = await asUser('POST', '/v1/audiences', {
      name: '活动在用的人群',
      definition: { kind: 'did', event: 'order', window: { type: 'last_days', days: 30 } },
    });
    const campaign = await asUser('POST', '/v1/campaigns', {
      name: '春季召回',
      definition: {
        audienceId: aud.json['id'],
        timing: { kind: 'periodic', cron: '0 9 * * *', timezone: 'Asia/Shanghai' },
        channels: ['push'],
        content: [
          { channel: 'push', title: '回来看看', body: '专属好礼', landingUrl: 'https://example.com/a' },
        ],
        priority: 60,
        budgetCents: 500_00,
      },
    });
    expect(campaign.status).toBe(201);
    await page.getByTestId('nav-audiences').click();
    const row = page.getByTestId('audience-list').locator('tr', { hasText: '活动在用的人群' });
    await row.getByTestId('audience-delete').click();
    await page.getByTestId('audience-delete-confirm').click();
    await expect
      .poll(async () => (await page.locator('.ant-message').textContent()) ?? '', { timeout: 10_000 })
      .toContain('活动「春季召回」');
    expect((await call('GET', `/v1/audiences/${String(aud.json['id'])}`)).status).toBe(200);
  });

  it('viewers cannot save; the reason is shown', async () => {
    await freshPage();
    await logIn(page, server.url, 'vera');
    await page.getByTestId('nav-audiences').click();
    await page.getByTestId('audience-name').fill('只看看');
    await expect
      .poll(async () => page.getByTestId('audience-save').isDisabled(), { timeout: 15_000 })
      .toBe(true);
    await expect(page.getByTestId('audience-save-blocked').textContent()).resolves.not.toBe('');
  });

  /** Whether a checkbox (the test id on its input or its wrapper) is ticked. */
  const isChecked = (testId: string) =>
    page.getByTestId(testId).evaluate((e) => {
      const input = e.tagName === 'INPUT' ? e : e.querySelector('input');
      return (input as unknown as { checked?: boolean } | null)?.checked === true;
    });
  const textOf = async (testId: string) => (await page.getByTestId(testId).textContent()) ?? '';

  for (const width of [1366, 390]) {
    it(`builds a nested audience (A and (B or not C)) with a since window and a 3-step sequence at ${width} px; saves, counts and reopens it`, async () => {
      await freshPage(width, width === 390 ? 844 : 768);
      await logIn(page, server.url, 'olivia');
      await page.goto(`${server.url}/audiences`);
      const name = `嵌套条件 ${width}`;
      await page.getByTestId('audience-name').fill(name);
      // A: churn risk level high.
      await page.getByTestId('add-profile-condition').click();
      await pick('profile-source-0', '', '模型评分');
      await pick('profile-attr-0', '流失风险等级', '流失风险等级');
      await pick('profile-value-0', '高', '高风险');
      // (B or not C): a sub-group, "any of these".
      await page.getByTestId('add-group').click();
      await page.getByTestId('group-combinator-1').getByText('满足任一').click();
      // B: ordered since the first time the app was opened.
      await pick('behavior-event-0', '下单', '下单');
      await pick('behavior-window-0', '', '自某事件以来');
      await pick('behavior-since-occurrence-0', '', '第一次');
      await pick('behavior-since-0', '打开应用', '打开应用');
      // not C: viewed an item, then added to cart, then ordered, within 7 days (in the last 30).
      await page.getByTestId('add-behavior-condition-g1').click();
      await pick('behavior-kind-1', '', '先后做过');
      await pick('behavior-event-1', '浏览商品', '浏览商品');
      await pick('behavior-then-1', '加入购物车', '加入购物车');
      await page.getByTestId('behavior-add-step-1').click();
      await pick('behavior-step-1-2', '下单', '下单');
      await fillNumber('behavior-within-1', '7');
      await page.getByTestId('behavior-not-1').click();
      const definition = {
        kind: 'and',
        children: [
          { kind: 'score', score: 'churn_risk_level', op: 'eq', value: 'high' },
          {
            kind: 'or',
            children: [
              {
                kind: 'did',
                event: 'order',
                window: { type: 'since', event: 'app_open', occurrence: 'first' },
              },
              {
                kind: 'not',
                child: {
                  kind: 'sequence',
                  steps: [{ event: 'view_item' }, { event: 'add_to_cart' }, { event: 'order' }],
                  within: { value: 7, unit: 'days' },
                  window: { type: 'last_days', days: 30 },
                },
              },
            ],
          },
        ],
      };
      const count = await countOf(definition);
      expect(count).toBeGreaterThan(0);
      await expect.poll(shownCount, { timeout: 15_000 }).toBe(zh(count));
      expect(await fitsScreen()).toBe(true);
      expect(
        findUnexplainedText(await page.getByTestId('audience-builder').innerText(), Object.keys(en)),
      ).toEqual([]);
      await shoot(`audiences-nested-build-${width}`);

      await page.getByTestId('audience-save').click();
      const row = page.getByTestId('audience-list').locator('tr', { hasText: name });
      await row.waitFor();
      const list = await call('GET', '/v1/audiences?search=' + encodeURIComponent(name));
      const saved = (list.json['audiences'] as { id: string; definition: unknown }[])[0];
      expect(saved?.definition).toEqual(definition);
      // Its size in the list is the API's count for the same tree.
      await expect
        .poll(async () => (await row.getByText(/当前/).textContent()) ?? '', { timeout: 15_000 })
        .toContain(zh(count));

      // Reopen: the same groups and conditions, the same count.
      await row.getByTestId('audience-edit').click();
      await expect.poll(() => textOf('audience-builder'), { timeout: 15_000 }).toContain('编辑人群');
      await expect.poll(() => textOf('behavior-since-0'), { timeout: 15_000 }).toContain('打开应用');
      expect(await textOf('profile-attr-0')).toContain('流失风险等级');
      expect(await textOf('profile-value-0')).toContain('高风险');
      expect(await page.getByTestId('group-1').count()).toBe(1);
      expect(
        await page
          .getByTestId('group-combinator-1')
          .locator('.ant-radio-button-wrapper-checked')
          .textContent(),
      ).toBe('满足任一');
      expect(await textOf('behavior-event-0')).toContain('下单');
      expect(await textOf('behavior-window-0')).toContain('自某事件以来');
      expect(await textOf('behavior-since-occurrence-0')).toContain('第一次');
      expect(await textOf('behavior-kind-1')).toContain('先后做过');
      expect(await textOf('behavior-event-1')).toContain('浏览商品');
      expect(await textOf('behavior-then-1')).toContain('加入购物车');
      expect(await textOf('behavior-step-1-2')).toContain('下单');
      expect(await isChecked('behavior-not-1')).toBe(true);
      expect(await isChecked('behavior-not-0')).toBe(false);
      expect(await page.getByTestId('audience-complex').count()).toBe(0);
      await expect.poll(shownCount, { timeout: 15_000 }).toBe(zh(count));
      expect(await fitsScreen()).toBe(true);
      await shoot(`audiences-nested-reopened-${width}`);
      // Saved again untouched: the same tree, a new version.
      await page.getByTestId('audience-save').click();
      await expect
        .poll(async () => (await call('GET', `/v1/audiences/${saved?.id ?? ''}`)).json['version'], {
          timeout: 10_000,
        })
        .toBe(2);
      expect((await call('GET', `/v1/audiences/${saved?.id ?? ''}`)).json['definition']).toEqual(definition);
    });
  }

  for (const width of [1366, 390]) {
    it(`builds a range of counts, a range of register dates and a sequence with nothing in between at ${width} px; saves, counts and reopens them`, async () => {
      await freshPage(width, width === 390 ? 844 : 768);
      await logIn(page, server.url, 'olivia');
      await page.goto(`${server.url}/audiences`);
      const name = `范围与期间 ${width}`;
      await page.getByTestId('audience-name').fill(name);
      await page.getByTestId('group-combinator-0').getByText('满足任一').click();
      // Ordered between 1 and 5 times (in the last 30 days).
      await page.getByTestId('add-behavior-condition').click();
      await pick('behavior-kind-0', '', '次数或金额');
      await pick('behavior-event-0', '下单', '下单');
      await pick('behavior-cmp-0', '', '介于');
      await fillNumber('behavior-amount-0', '1');
      await fillNumber('behavior-amount-max-0', '5');
      // Added to cart, then ordered, with no item viewed in between.
      await page.getByTestId('add-behavior-condition').click();
      await pick('behavior-kind-1', '', '先后做过');
      await pick('behavior-event-1', '加入购物车', '加入购物车');
      await pick('behavior-then-1', '下单', '下单');
      await page.getByTestId('behavior-add-without-1').click();
      await pick('behavior-without-1', '浏览商品', '浏览商品');
      // Registered between two dates.
      await page.getByTestId('add-profile-condition').click();
      await pick('profile-attr-0', '注册时间', '注册时间');
      await pick('profile-op-0', '', '介于');
      await page.getByTestId('profile-value-0').fill('2020-01-01');
      await page.getByTestId('profile-max-0').fill('2026-06-30');
      const definition = {
        kind: 'or',
        children: [
          {
            kind: 'metric',
            event: 'order',
            fn: 'count',
            window: { type: 'last_days', days: 30 },
            op: 'between',
            min: 1,
            max: 5,
          },
          {
            kind: 'sequence',
            steps: [{ event: 'add_to_cart' }, { event: 'order' }],
            without: { event: 'view_item' },
            window: { type: 'last_days', days: 30 },
          },
          {
            kind: 'attribute',
            attribute: 'register_time',
            op: 'between',
            min: '2020-01-01',
            max: '2026-06-30',
          },
        ],
      };
      const count = await countOf(definition);
      expect(count).toBeGreaterThan(0);
      await expect.poll(shownCount, { timeout: 15_000 }).toBe(zh(count));
      expect(await fitsScreen()).toBe(true);
      expect(
        findUnexplainedText(await page.getByTestId('audience-builder').innerText(), Object.keys(en)),
      ).toEqual([]);
      await shoot(`audiences-ranges-build-${width}`);

      await page.getByTestId('audience-save').click();
      const row = page.getByTestId('audience-list').locator('tr', { hasText: name });
      await row.waitFor();
      const list = await call('GET', '/v1/audiences?search=' + encodeURIComponent(name));
      const saved = (list.json['audiences'] as { id: string; definition: unknown }[])[0];
      expect(saved?.definition).toEqual(definition);
      // Its size in the list is the API's count for the same tree.
      await expect
        .poll(async () => (await row.getByText(/当前/).textContent()) ?? '', { timeout: 15_000 })
        .toContain(zh(count));

      // Reopen: the ranges and the "nothing in between" are rows again, none kept read-only.
      await row.getByTestId('audience-edit').click();
      await expect.poll(() => textOf('audience-builder'), { timeout: 15_000 }).toContain('编辑人群');
      await expect.poll(() => textOf('behavior-without-1'), { timeout: 15_000 }).toContain('浏览商品');
      expect(await textOf('behavior-cmp-0')).toContain('介于');
      const valueOf = async (testId: string) => {
        const el = page.getByTestId(testId);
        const input = (await el.evaluate((e) => e.tagName)) === 'INPUT' ? el : el.locator('input');
        return input.inputValue();
      };
      expect([await valueOf('behavior-amount-0'), await valueOf('behavior-amount-max-0')]).toEqual([
        '1',
        '5',
      ]);
      expect(await textOf('behavior-kind-1')).toContain('先后做过');
      expect(await textOf('behavior-then-1')).toContain('下单');
      expect(await textOf('profile-op-0')).toContain('介于');
      expect([await valueOf('profile-value-0'), await valueOf('profile-max-0')]).toEqual([
        '2020-01-01',
        '2026-06-30',
      ]);
      expect(await page.getByTestId('audience-complex').count()).toBe(0);
      await expect.poll(shownCount, { timeout: 15_000 }).toBe(zh(count));
      expect(await fitsScreen()).toBe(true);
      await shoot(`audiences-ranges-reopened-${width}`);
      // Saved again untouched: the same tree.
      await page.getByTestId('audience-save').click();
      await expect
        .poll(async () => (await call('GET', `/v1/audiences/${saved?.id ?? ''}`)).json['version'], {
          timeout: 10_000,
        })
        .toBe(2);
      expect((await call('GET', `/v1/audiences/${saved?.id ?? ''}`)).json['definition']).toEqual(definition);
    });
  }

  it('opens a saved-audience reference and a condition no row holds (kept read-only, in words); adds a yes/no trait; saves without losing either', async () => {
    // A yes/no trait on the profiles (the demo has none).
    await server.rt.warehouse.write(
      `UPDATE profiles SET traits = json_merge_patch(coalesce(traits, '{}'),
         CASE WHEN hash(user_id) % 3 = 0 THEN '{"sms_opt_in": true}' ELSE '{"sms_opt_in": false}' END)`,
    );
    await freshPage();
    await logIn(page, server.url, 'olivia');
    const buyers = await asUser('POST', '/v1/audiences', {
      name: '近 30 天下单的人',
      definition: { kind: 'did', event: 'order', window: { type: 'last_days', days: 30 } },
    });
    // "Registered before 1 day ago": no row writes a time as days ago on a profile value.
    const between = { kind: 'attribute', attribute: 'register_time', op: 'before', time: { daysAgo: 1 } };
    const reference = { kind: 'audience', id: String(buyers.json['id']) };
    const made = await asUser('POST', '/v1/audiences', {
      name: '引用与保留',
      definition: { kind: 'and', children: [reference, between] },
    });
    expect(made.status).toBe(201);
    await page.goto(`${server.url}/audiences`);
    const row = page.getByTestId('audience-list').locator('tr', { hasText: '引用与保留' });
    await row.getByTestId('audience-edit').click();
    await expect.poll(() => textOf('audience-ref-0'), { timeout: 15_000 }).toContain('近 30 天下单的人');
    // The time in days ago has no row: kept as saved, read-only, with the reason in words.
    expect(await textOf('fixed-cond-0')).toContain('含有表单无法显示的设置');
    expect(await textOf('audience-complex')).toContain('保存不会改变它们');
    // And a yes/no trait: did not agree to SMS.
    await page.getByTestId('add-profile-condition').click();
    await pick('profile-attr-0', 'sms_opt_in');
    await pick('profile-value-0', '', '否');
    const definition = {
      kind: 'and',
      children: [reference, between, { kind: 'attribute', attribute: 'sms_opt_in', op: 'eq', value: false }],
    };
    const count = await countOf(definition);
    expect(count).toBeGreaterThan(0);
    await expect.poll(shownCount, { timeout: 15_000 }).toBe(zh(count));
    await shoot('audiences-kept-reference-1366');
    await page.getByTestId('audience-save').click();
    await expect
      .poll(async () => (await call('GET', `/v1/audiences/${String(made.json['id'])}`)).json['version'], {
        timeout: 10_000,
      })
      .toBe(2);
    expect((await call('GET', `/v1/audiences/${String(made.json['id'])}`)).json['definition']).toEqual(
      definition,
    );
  });

  it('fits a phone (390 px) and reads in words; English once', async () => {
    await freshPage();
    await logIn(page, server.url, 'olivia');
    await asUser('POST', '/v1/audiences', {
      name: '高风险的老买家',
      description: '流失风险高，且 180 天内至少下单两次',
      definition: {
        kind: 'and',
        children: [
          { kind: 'score', score: 'churn_risk_level', op: 'eq', value: 'high' },
          {
            kind: 'metric',
            event: 'order',
            fn: 'count',
            op: 'gte',
            value: 2,
            window: { type: 'last_days', days: 180 },
          },
        ],
      },
    });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${server.url}/audiences`);
    await page.getByTestId('add-profile-condition').click();
    await pick('profile-source-0', '', '模型评分');
    await pick('profile-attr-0', '生命周期', '生命周期阶段');
    await page.getByTestId('add-behavior-condition').click();
    await pick('behavior-kind-0', '', '次数或金额');
    await pick('behavior-event-0', 'order');
    await page.waitForTimeout(1000);
    expect(await fitsScreen()).toBe(true);
    await shoot('audiences-390');
    await page.getByTestId('audience-list').getByTestId('audience-portrait').first().click();
    await page.getByTestId('portrait').waitFor();
    await page.waitForTimeout(800);
    // The drawer and every chart in it fit the phone (the page behind it is locked while it is open).
    const rights = await page
      .locator('.ant-drawer-content-wrapper, [data-testid^="portrait-"]')
      .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().right));
    expect(rights.length).toBeGreaterThan(5);
    expect(Math.max(...rights)).toBeLessThanOrEqual(390);
    await shoot('audiences-portrait-390');
    await page.keyboard.press('Escape');

    await freshPage();
    await logIn(page, server.url, 'olivia');
    await page.getByTestId('lang-switch').click();
    await page.getByTestId('nav-audiences').click();
    await page.getByTestId('add-behavior-condition').click();
    await pick('behavior-kind-0', '', 'A then B');
    await pick('behavior-event-0', 'add_to_cart');
    await pick('behavior-then-0', 'order');
    await fillNumber('behavior-within-0', '3');
    const seq = await countOf({
      kind: 'sequence',
      steps: [{ event: 'add_to_cart' }, { event: 'order' }],
      within: { value: 3, unit: 'days' },
      window: { type: 'last_days', days: 30 },
    });
    await expect.poll(shownCount, { timeout: 15_000 }).toBe(seq.toLocaleString('en-US'));
    await shoot('audiences-en-1366');
  });
});
