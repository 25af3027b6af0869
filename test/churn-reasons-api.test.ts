import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatUserChurnRisk } from '../src/cli/commands/churn-model.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { writeChurnRisk } from '../src/storage/warehouse/churn-risk.ts';
import { startTestServer, type TestServer } from './support/runtime.ts';

/** `GET /v1/users/:id/churn-risk` gives each reason as a sentence in zh-CN and en. */
const NOW = Date.UTC(2026, 5, 1, 10);
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ clock: () => NOW });
  const wh = server.rt.warehouse;
  await wh.commit({
    events: [],
    identifies: [
      {
        messageId: 'id-1',
        userId: 'u-words',
        ts: NOW - 40 * 86_400_000,
        receivedAt: NOW - 40 * 86_400_000,
        columns: {},
        traits: {},
        source: 'http',
      },
    ],
    rejections: [],
  });
  await writeChurnRisk(
    wh,
    [{ userId: 'u-words', score: 82, level: 'high' }],
    [
      { userId: 'u-words', rank: 1, feature: 'days_since_last_event', contribution: 0.9, value: 15.537 },
      { userId: 'u-words', rank: 2, feature: 'login_trend_30d', contribution: 0.5, value: Math.log(0.4) },
      { userId: 'u-words', rank: 3, feature: 'orders_90d', contribution: 0.2, value: 0 },
    ],
    {
      modelId: 'cm_none',
      modelVersion: 1,
      asOf: NOW,
      scoredAt: NOW,
      levels: { high: 1, medium: 0, low: 0 },
    },
  );
}, 60_000);
afterAll(async () => {
  await server.stop();
  server.cleanup();
});

describe('churn reasons in words over HTTP', () => {
  it('each reason carries its sentence in both console languages', async () => {
    const u = await createUser(server.rt.control, { name: 'wanda', role: 'viewer' });
    if (!u.ok) throw new Error('user exists');
    const token = await issueApiToken(server.rt.control, u.value.id);
    const res = await fetch(`${server.url}/v1/users/u-words/churn-risk`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      score: number;
      level: string;
      reasons: {
        rank: number;
        feature: string;
        contribution: number;
        value: number;
        text: Record<string, string>;
      }[];
    };
    expect(body.reasons.map((r) => r.text)).toEqual([
      { 'zh-CN': '已 16 天没有任何行为', en: 'No activity for 16 days' },
      { 'zh-CN': '登录次数比此前 30 天下降 60%', en: 'Logins fell 60 % against the previous 30 days' },
      { 'zh-CN': '近 90 天下单 0 次', en: 'No orders in the last 90 days' },
    ]);
    // The raw feature stays for tools that want it.
    expect(body.reasons[0]).toMatchObject({ feature: 'days_since_last_event', value: 15.537 });

    const text = formatUserChurnRisk(
      { userId: 'u-words', score: body.score, level: body.level, reasons: body.reasons },
      'zh-CN',
    );
    expect(text).toBe(
      'u-words：流失风险 82（高）\n  1. 已 16 天没有任何行为  (+0.90)\n  2. 登录次数比此前 30 天下降 60%  (+0.50)\n  3. 近 90 天下单 0 次  (+0.20)\n',
    );
    expect(formatUserChurnRisk({ ...body, userId: 'u-words' }, 'en')).toContain('1. No activity for 16 days');
  });
});
