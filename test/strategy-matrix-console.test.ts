import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import {
  buildConsole,
  createConsoleUser,
  launchBrowser,
  logIn,
  pickOption,
} from './support/console-browser.ts';
import { apiCall, startTestServer, type TestServer } from './support/runtime.ts';
import { profile, seed } from './support/score-scenario.ts';

/**
 * The strategy matrix editor in a real browser (Debian's chromium through playwright-core), at a
 * laptop's 1366 px and a phone's 390 px: the squares show each cell's flow or 勿扰 with its users
 * from the preview, in Chinese words (no enum codes), the page does not overflow the phone's
 * width, and a refused save reads in Chinese.
 */

const NOW = Date.now();
const DAY = 86_400_000;
let server: TestServer;
let browser: Browser;
let token = '';

// Five high-value high-risk users, three low-value ones, two unscored.
const SCORES: [string, string | null, string | null][] = [
  ...Array.from({ length: 5 }, (_, i): [string, string, string] => [`h${i}`, 'high', 'high']),
  ...Array.from({ length: 3 }, (_, i): [string, string, string] => [`l${i}`, 'low', 'medium']),
  ['n0', null, null],
  ['n1', null, null],
];

beforeAll(async () => {
  buildConsole();
  server = await startTestServer();
  await seed(
    server.rt.warehouse,
    SCORES.map(([id]) => profile(id, NOW - 100 * DAY, { push_token: `t-${id}` })),
  );
  for (const [id, tier, risk] of SCORES)
    await server.rt.warehouse.query(
      'INSERT INTO user_scores (user_id, rfm_tier, churn_risk_level) VALUES ($1, $2, $3)',
      [id, tier, risk],
    );
  await createConsoleUser(server.rt, 'ada', 'admin');
  const u = await createUser(server.rt.control, { name: 'api-admin', role: 'admin' });
  if (!u.ok) throw new Error('user');
  token = await issueApiToken(server.rt.control, u.value.id);
  const call = (m: string, p: string, b?: unknown) => apiCall(server.url, token, m, p, b);
  const aud = await call('POST', '/v1/audiences', {
    name: '全部',
    definition: { kind: 'attribute', attribute: 'push_token', op: 'exists' },
  });
  expect(aud.status).toBe(201);
  const push = { channel: 'push', title: '好久不见', body: '回来看看', landingUrl: 'https://example.com/a' };
  const mk = async (name: string, ladder?: unknown) => {
    const r = await call('POST', '/v1/campaigns', {
      name,
      definition: {
        audienceId: aud.json['id'],
        timing: { kind: 'one_off', at: new Date(NOW + 2 * DAY).toISOString() },
        channels: ['push'],
        content: [push],
        holdoutShare: 0,
        ...(ladder ? { ladder } : {}),
      },
    });
    expect(r.status).toBe(201);
    return String(r.json['id']);
  };
  const vip = await mk('高价值召回', {
    steps: [{ channel: 'push', waitHours: 24 }],
    responseEvents: ['order'],
  });
  await mk('普通推送');
  const put = await call('PUT', '/v1/strategies/matrix', {
    version: 0,
    matrix: {
      enabled: true,
      dndScope: 'marketing',
      flowsNeedLadder: true,
      cells: [
        { id: 'vip', tier: 'high', risk: 'high', action: { kind: 'flow', campaignId: vip } },
        { id: 'quiet', tier: 'low', action: { kind: 'do_not_disturb' } },
      ],
    },
  });
  expect(put.status).toBe(200);
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  server?.cleanup();
});

describe('strategy matrix in the console', () => {
  it.each([
    [1366, 900],
    [390, 844],
  ])(
    'shows flows, 勿扰 and counts in words at %i px',
    async (width, height) => {
      const context = await browser.newContext({ viewport: { width, height } });
      try {
        const page = await context.newPage();
        await logIn(page, server.url, 'ada');
        await page.goto(`${server.url}/strategies`);
        await page.getByTestId('matrix-no-cell').filter({ hasText: '2' }).waitFor();
        const vip = await page.getByTestId('matrix-square-high-high').innerText();
        expect(vip).toContain('#1 → 高价值召回');
        expect(vip).toContain('5 人');
        const quiet = await page.getByTestId('matrix-square-low-any').innerText();
        expect(quiet).toContain('#2 勿扰');
        expect(quiet).toContain('3 人');
        const text = await page.getByTestId('strategy-matrix').innerText();
        for (const code of ['do_not_disturb', 'unscored', 'dndScope', 'high risk', 'flow'])
          expect(text).not.toContain(code);
        expect(text).toContain('高价值');
        expect(text).toContain('未评分');
        // The page itself never scrolls sideways; wide tables scroll inside their own box.
        expect(Number(await page.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(
          width,
        );
      } finally {
        await context.close();
      }
    },
    60_000,
  );

  it('a refused save reads in Chinese', async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    try {
      const page = await context.newPage();
      await logIn(page, server.url, 'ada');
      await page.goto(`${server.url}/strategies`);
      await page.getByTestId('matrix-no-cell').waitFor();
      await pickOption(page, 'cell-flow-0', '普通推送');
      await page.getByRole('button', { name: '保存矩阵' }).click();
      const alert = page.locator('.ant-alert-error');
      await alert.waitFor();
      expect(await alert.innerText()).toContain('第 1 个单元：流程活动没有召回阶梯');
      // Nothing was saved.
      const stored = await apiCall(server.url, token, 'GET', '/v1/strategies/matrix');
      expect(stored.json['version']).toBe(1);
    } finally {
      await context.close();
    }
  }, 60_000);
});
