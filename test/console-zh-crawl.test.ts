import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AREAS, en, zhCN } from '../console/src/lib/i18n-dict.ts';
import { seedDemoHistory } from '../src/cli/demo-history.ts';
import { loadDemo } from '../src/demo/load-demo.ts';
import {
  buildConsole,
  createConsoleUser,
  launchBrowser,
  logIn,
  PASSWORD,
} from './support/console-browser.ts';
import { startTestServer, TEST_WRITE_KEY, type TestServer } from './support/runtime.ts';
import { findUnexplainedText, PRODUCT_WORDS } from './support/raw-text.ts';

/**
 * Every page of the console in zh-CN, as an operator sees it, at a laptop's and a phone's width:
 * no untranslated key, no raw status / enum / field name (snake_case), no English word beyond a
 * short list of product terms, no JSON, and no page wider than the screen. Also the shell: an
 * unknown address gets a 404 page, and a session that ends while the console is open returns to
 * the login page with "会话已过期", then to the same page. `REKINDLE_SHOTS_DIR` keeps screenshots.
 */

const DAY = 86_400_000;
let s: TestServer;
let browser: Browser;
/** Pages the menu does not list: a campaign's detail and editor. */
const extraRoutes: string[] = [];
const shots = process.env['REKINDLE_SHOTS_DIR'];

const shoot = async (page: Page, name: string) => {
  if (!shots) return;
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
};

describe('the dictionaries', () => {
  it('define each key in one area only, and every Chinese string is Chinese', () => {
    const seen = new Map<string, string>();
    for (const [area, dict] of Object.entries(AREAS))
      for (const key of Object.keys(dict.en)) {
        expect(seen.get(key), `${key} is in ${seen.get(key) ?? ''} and ${area}`).toBeUndefined();
        seen.set(key, area);
        expect(Object.keys(dict.zhCN), `${area} has no Chinese for ${key}`).toContain(key);
      }
    const cjk = /[\u3400-\u9fff]/;
    const notChinese = Object.entries(zhCN)
      .filter(([, v]) => !cjk.test(v))
      .filter(([, v]) => !v.split(/[^A-Za-z]+/).every((w) => w === '' || PRODUCT_WORDS.has(w)))
      .map(([k, v]) => `${k}: ${v}`);
    expect(notChinese).toEqual([]);
    expect(Object.keys(zhCN).sort()).toEqual(Object.keys(en).sort());
  });
});

const call = async (token: string, method: string, path: string, body?: unknown) => {
  const res = await fetch(`${s.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return res.ok ? ((await res.json()) as unknown) : null;
};

/** The console's pages: the menu's entries, read from the page itself so a new page is crawled too. */
const menuPaths = async (page: Page): Promise<string[]> =>
  page
    .locator('[data-testid^="nav-"]')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')?.slice(4) ?? ''));

const settle = async (page: Page) => {
  await page.waitForLoadState('networkidle');
  await page
    .locator('.ant-spin-spinning')
    .first()
    .waitFor({ state: 'detached', timeout: 20_000 })
    .catch(() => {});
  await page.waitForTimeout(600);
};

/**
 * The page's text as a reader sees it, less what it shows verbatim on purpose (`data-verbatim`:
 * a coupon code, a member's login name in the audit log): hidden for the reading, then shown again.
 */
const wordsOf = async (page: Page): Promise<string> => {
  const style = await page.addStyleTag({ content: '[data-verbatim] { display: none !important; }' });
  const text = await page.locator('body').innerText();
  await style.evaluate((el) => el.remove());
  return text;
};

beforeAll(async () => {
  buildConsole();
  s = await startTestServer();
  const now = Math.floor(Date.now() / DAY) * DAY;
  await loadDemo(s.rt.warehouse, { size: 1500, seed: 42, now });
  await createConsoleUser(s.rt, 'ada', 'admin');
  const login = (await fetch(`${s.url}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'ada', password: PASSWORD }),
  }).then((r) => r.json())) as { token?: string };
  const token = login.token ?? '';
  await call(token, 'POST', '/v1/scores/compute', {});
  await call(token, 'POST', '/v1/models/churn/train', {});
  await call(token, 'POST', '/v1/models/churn/score', {});
  // Campaigns that ran (sent, clicked, converted, with a holdout), as the demo shows on first start.
  await seedDemoHistory(s.rt, { now, adminToken: token, writeKey: TEST_WRITE_KEY });
  const list = (await call(token, 'GET', '/v1/campaigns')) as { campaigns: { id: string }[] } | null;
  const first = list?.campaigns[0]?.id;
  if (first !== undefined) extraRoutes.push(`/campaigns/${first}`, `/campaigns/${first}/edit`);
  extraRoutes.push('/campaigns/new');
  browser = await launchBrowser();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await s?.stop();
  s?.cleanup();
});

describe('every page in zh-CN', () => {
  for (const width of [1366, 390])
    it(`shows no raw keys, codes, English or JSON, and fits the screen, at ${width} px`, async () => {
      const context: BrowserContext = await browser.newContext({ viewport: { width, height: 900 } });
      const page = await context.newPage();
      try {
        await page.setViewportSize({ width: 1366, height: 900 });
        await logIn(page, s.url, 'ada');
        const paths = await menuPaths(page);
        expect(paths.length).toBeGreaterThan(8);
        await page.setViewportSize({ width, height: 900 });
        const problems: string[] = [];
        for (const route of [...paths.map((p) => (p === 'dashboard' ? '/' : `/${p}`)), ...extraRoutes]) {
          const p = route === '/' ? 'dashboard' : route.slice(1).replaceAll('/', '-');
          await page.goto(`${s.url}${route}`);
          await settle(page);
          const text = await wordsOf(page);
          for (const found of findUnexplainedText(text, Object.keys(en), ['ada', 'wangfang', 'lijing']))
            problems.push(`${route}: ${found}`);
          const overflow = await page.locator('html').evaluate((html) => html.scrollWidth - html.clientWidth);
          if (overflow > 0) problems.push(`${route}: ${overflow} px wider than the screen`);
          await shoot(page, `crawl-${p}-${width}`);
        }
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    }, 600_000);
});

describe('every page in English', () => {
  it('shows no raw keys and fits a laptop screen', async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    const page = await context.newPage();
    try {
      await logIn(page, s.url, 'ada');
      await page.getByTestId('lang-switch').click();
      const problems: string[] = [];
      for (const p of await menuPaths(page)) {
        const route = p === 'dashboard' ? '/' : `/${p}`;
        await page.goto(`${s.url}${route}`);
        await settle(page);
        const text = await page.locator('body').innerText();
        const keys = new Set(Object.keys(en));
        for (const token of text.split(/[^\w.]+/))
          if (keys.has(token)) problems.push(`${route}: raw key ${token}`);
        if (!text.includes('Log out')) problems.push(`${route}: not in English`);
        const overflow = await page.locator('html').evaluate((html) => html.scrollWidth - html.clientWidth);
        if (overflow > 0) problems.push(`${route}: ${overflow} px wider than the screen`);
        await shoot(page, `crawl-en-${p}-1366`);
      }
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 300_000);
});

describe('the shell', () => {
  it('answers an unknown address with a 404 page in words', async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    const page = await context.newPage();
    try {
      await logIn(page, s.url, 'ada');
      await page.goto(`${s.url}/no-such-page`);
      await expect(page.getByTestId('not-found').innerText()).resolves.toContain('页面不存在');
    } finally {
      await context.close();
    }
  });

  it('returns to the login page with 会话已过期 when the session ends, then to the same page', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    try {
      await page.setViewportSize({ width: 1366, height: 900 });
      await logIn(page, s.url, 'ada');
      await page.setViewportSize({ width: 390, height: 844 });
      // The session ends on the server while the page is open (as an expiry or a revoke would).
      const ended = await context.request.post(`${s.url}/v1/auth/logout`, {
        headers: { origin: s.url },
      });
      expect(ended.ok()).toBe(true);
      // On a phone the menu is a drawer with icons and labels.
      await page.getByTestId('menu-open').click();
      await expect(page.locator('.ant-drawer .ant-menu-item .anticon').count()).resolves.toBeGreaterThan(8);
      await page.getByTestId('nav-reports').click();
      await page.getByTestId('session-expired').waitFor();
      await expect(page.getByTestId('session-expired').innerText()).resolves.toContain('会话已过期');
      expect(new URL(page.url()).pathname).toBe('/reports');
      await shoot(page, 'session-expired-390');
      await page.getByTestId('login-name').fill('ada');
      await page.getByTestId('login-password').fill(PASSWORD);
      await page.getByTestId('login-submit').click();
      await page.getByTestId('menu-open').waitFor();
      expect(new URL(page.url()).pathname).toBe('/reports');
      await expect(page.getByTestId('session-expired').count()).resolves.toBe(0);
    } finally {
      await context.close();
    }
  });
});
