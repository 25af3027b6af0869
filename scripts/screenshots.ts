/**
 * Saves a screenshot of each main console page under docs/screenshots/ (the README shows them):
 * a fresh data directory with generated demo users and the demo's past campaigns, a server on a
 * free port, Debian's chromium
 * through playwright-core. Run: `npm run screenshots` (builds the console first).
 *
 * Options (environment): REKINDLE_SCREENSHOT_USERS (default 5000), REKINDLE_CHROMIUM.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { authContextOf } from '../src/auth/context.ts';
import { setPassword } from '../src/auth/passwords.ts';
import { loadConfig } from '../src/config.ts';
import type { Role } from '../src/core/auth/roles.ts';
import { seedDemoHistory } from '../src/cli/demo-history.ts';
import { loadDemo } from '../src/demo/load-demo.ts';
import { openRuntime, type Runtime } from '../src/runtime.ts';
import { buildServer } from '../src/server/app.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { addWriteKey, newWriteKey } from '../src/storage/control/write-keys.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'docs', 'screenshots');
const DAY = 86_400_000;
const PASSWORD = 'screenshots only 1234';
const USERS = Number(process.env['REKINDLE_SCREENSHOT_USERS'] ?? 5000);

const consoleUser = async (rt: Runtime, name: string, role: Role): Promise<string> => {
  const u = await createUser(rt.control, { name, role });
  if (!u.ok) throw new Error(`user ${name} exists`);
  const set = await setPassword(authContextOf(rt), null, u.value, PASSWORD);
  if (!set.ok) throw new Error(`password refused for ${name}`);
  return issueApiToken(rt.control, u.value.id);
};

const main = async () => {
  // Without a CJK font chromium draws the zh-CN pages as boxes (Debian: fonts-wqy-microhei).
  const fonts = spawnSync('fc-list', [':lang=zh'], { encoding: 'utf8' });
  if (fonts.status === 0 && fonts.stdout.trim() === '')
    process.stderr.write('warning: no Chinese font installed; zh-CN screenshots will show boxes\n');
  execFileSync(
    process.execPath,
    ['node_modules/vite/bin/vite.js', 'build', '--config', 'console/vite.config.ts', '--logLevel', 'warn'],
    {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, NODE_ENV: 'production' },
    },
  );
  mkdirSync(OUT, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'rekindle-shots-'));
  const rt = await openRuntime(loadConfig({}, { dataDir, port: 0, logLevel: 'error' }));
  const app = buildServer(rt);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const browser = await chromium.launch({
    executablePath: process.env['REKINDLE_CHROMIUM'] ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  try {
    process.stdout.write(`Loading ${USERS} demo users…\n`);
    const now = Math.floor(Date.now() / DAY) * DAY;
    await loadDemo(rt.warehouse, { size: USERS, seed: 42, now });
    if (rt.engine.kind === 'duckdb') await rt.engine.warehouse.compactEvents();
    const admin = await consoleUser(rt, 'admin', 'admin');
    await consoleUser(rt, 'olivia', 'operator');
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${admin}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (!res.ok) process.stdout.write(`  ${method} ${path}: ${res.status} (continuing)\n`);
      return res.ok ? ((await res.json()) as Record<string, unknown>) : null;
    };
    // Scores and a churn model, so the dashboard's risk distribution and the user page have data.
    await call('POST', '/v1/scores/compute', {});
    await call('POST', '/v1/models/churn/train', {});
    await call('POST', '/v1/models/churn/score', {});
    // Channel providers, so the settings page shows what an operator configures (nothing is sent).
    const providers: Record<string, unknown>[] = [
      {
        kind: 'sms_aliyun',
        name: '阿里云短信（主）',
        ratePerSecond: 200,
        config: { signName: '焕新', templateCode: 'SMS_000001', templateParams: { content: 'text' } },
        secrets: { accessKeyId: 'demo-key-id', accessKeySecret: 'demo-key-secret' },
      },
      {
        kind: 'sms_tencent',
        name: '腾讯云短信（备）',
        priority: 2,
        ratePerSecond: 100,
        config: {
          smsSdkAppId: '1400000000',
          signName: '焕新',
          templateId: '100001',
          templateParams: ['text'],
        },
        secrets: { secretId: 'demo-secret-id', secretKey: 'demo-secret-key' },
      },
      {
        kind: 'wechat_oa',
        name: '服务号模板消息',
        config: { appId: 'wx0000000000000000' },
        secrets: { appSecret: 'demo-app-secret' },
      },
      {
        kind: 'wecom',
        name: '企业微信应用',
        enabled: false,
        config: { corpId: 'ww0000000000000000', agentId: 1000002 },
        secrets: { corpSecret: 'demo-corp-secret' },
      },
    ];
    for (const p of providers) await call('POST', '/v1/providers', p);

    // Campaigns that already ran (sent, clicked, converted, with a holdout), as `rekindle demo` seeds them.
    const writeKey = newWriteKey();
    await addWriteKey(rt.control, writeKey, 'screenshots');
    await seedDemoHistory(rt, { now, adminToken: admin, writeKey }).catch((e: unknown) =>
      process.stdout.write(`  demo history not seeded: ${e instanceof Error ? e.message : String(e)}\n`),
    );
    const list = (await call('GET', '/v1/campaigns')) as { campaigns?: { id: string }[] } | null;
    const campaignId = list?.campaigns?.[0]?.id;

    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const shot = async (name: string, p: Page = page) => {
      await p.waitForLoadState('networkidle');
      await p.waitForTimeout(1600); // charts animate in
      await p.mouse.wheel(0, -100_000); // back to the top of the page
      await p.waitForTimeout(200);
      await p.screenshot({ path: join(OUT, `${name}.png`), fullPage: false });
      process.stdout.write(`  docs/screenshots/${name}.png\n`);
    };
    await page.goto(url);
    await page.getByTestId('login-card').waitFor();
    await shot('login');
    await page.getByTestId('login-name').fill('admin');
    await page.getByTestId('login-password').fill(PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('current-user').waitFor();

    const [someone] = await rt.warehouse.query<{ user_id: string }>(
      `SELECT user_id FROM user_scores WHERE churn_risk_score IS NOT NULL ORDER BY churn_risk_score DESC LIMIT 1`,
    );
    const pages: [string, string][] = [
      ['dashboard', '/'],
      ['users', '/users'],
      ['audiences', '/audiences'],
      ['campaigns', '/campaigns'],
      ...(campaignId === undefined
        ? []
        : ([
            ['campaign-detail', `/campaigns/${campaignId}`],
            ['campaign-editor', `/campaigns/${campaignId}/edit`],
          ] as [string, string][])),
      ['approvals', '/approvals'],
      ['strategies', '/strategies'],
      ['budgets', '/budgets'],
      ['reports', '/reports'],
      ['settings', '/settings'],
      ['outbox', '/outbox'],
      ['audit', '/audit'],
      ['team', '/team'],
      ['write-keys', '/write-keys'],
      ['providers', '/providers'],
    ];
    for (const [name, path] of pages) {
      await page.goto(`${url}${path}`);
      if (name === 'users' && someone !== undefined) {
        await page.getByTestId('user-search').locator('input').fill(someone.user_id);
        await page.getByTestId('user-search').locator('input').press('Enter');
      }
      await shot(name);
    }
    // A phone's width: the menu folds into a drawer, tables scroll inside their cards.
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await phone.context().addCookies(await page.context().cookies());
    for (const [name, path] of [
      ['dashboard-390', '/'],
      ['campaign-detail-390', campaignId === undefined ? '/campaigns' : `/campaigns/${campaignId}`],
    ] as const) {
      await phone.goto(`${url}${path}`);
      await shot(name, phone);
    }
    await page.getByTestId('lang-switch').click();
    await page.goto(`${url}/`);
    await shot('dashboard-en');
  } finally {
    await browser.close();
    await app.close();
    await rt.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
};

await main();
