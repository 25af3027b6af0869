import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { costWords } from '../console/src/features/campaigns/cost-words.ts';
import type { Estimate } from '../console/src/lib/api-types.ts';
import { formatCents, formatYuan, plainYuan } from '../console/src/lib/format.ts';
import { zhCN } from '../console/src/lib/i18n-dict.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import {
  DEPARTMENT,
  PUSH_COST,
  PUSH_FEN,
  PUSH_USERS,
  runMoneyCampaign,
  SMS_COST,
  SMS_FEN,
  SMS_USERS,
  TOTAL_COST,
  type MoneyCampaign,
} from './support/money-campaign.ts';
import { apiCall, startTestServer, type TestServer } from './support/runtime.ts';

/**
 * One money unit end to end (issue 18: the estimate said push ¥0.00 and the report charged
 * "成本（元）10" for one push). Prices go in as fen, and for one push + SMS campaign the
 * estimate, the department budget, the campaign stats (per channel and in total), the period
 * view and the dashboard all give the same fen — 3 × 2 + 3 × 5 = 21 — and the console's money
 * format shows them as the same ¥ text in both languages.
 */

let server: TestServer;
const tokens: Record<string, string> = {};
let run: MoneyCampaign;
const call = (who: string, method: string, path: string) =>
  apiCall(server.url, tokens[who] ?? '', method, path);

beforeAll(async () => {
  server = await startTestServer();
  for (const [name, role] of [
    ['ada', 'admin'],
    ['olga', 'operator'],
    ['rita', 'reviewer'],
  ] as const) {
    const u = await createUser(server.rt.control, { name, role });
    if (!u.ok) throw new Error('user exists');
    tokens[name] = await issueApiToken(server.rt.control, u.value.id);
  }
  run = await runMoneyCampaign(server, tokens);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  server?.cleanup();
});

describe('one money unit: a push + SMS campaign', () => {
  it('the prices are stored as the fen entered and read back the same', async () => {
    const r = await call('ada', 'GET', '/v1/planner/resources');
    const channels = r.json['channels'] as { channel: string; costCents: number }[];
    expect(channels.find((c) => c.channel === 'push')?.costCents).toBe(PUSH_FEN);
    expect(channels.find((c) => c.channel === 'sms')?.costCents).toBe(SMS_FEN);
  });

  it('estimate, budget, campaign stats, period view and dashboard agree to the fen', async () => {
    // Estimate: each channel at its own price, the same fen the messages are later charged.
    expect(run.estimate).toMatchObject({
      messages: PUSH_USERS.length + SMS_USERS.length,
      holdout: 0,
      reservedCents: TOTAL_COST,
    });
    const byChannel = (
      run.estimate['byChannel'] as { channel: string; messages: number; priceCents: number }[]
    )
      .slice()
      .sort((a, b) => a.channel.localeCompare(b.channel));
    expect(byChannel).toEqual([
      { channel: 'push', messages: PUSH_USERS.length, priceCents: PUSH_FEN },
      { channel: 'sms', messages: SMS_USERS.length, priceCents: SMS_FEN },
    ]);
    expect((run.estimate['cost'] as { direct: { messages: number } }).direct.messages).toBe(TOTAL_COST);

    // Budget: every message sent, so what the department holds is what was spent.
    const res = await call('ada', 'GET', '/v1/planner/resources');
    const dept = (res.json['departments'] as { department: string; reservedCents: number }[]).find(
      (d) => d.department === DEPARTMENT,
    );
    expect(dept?.reservedCents).toBe(TOTAL_COST);

    // Campaign stats per channel and in total.
    const stats = await call('olga', 'GET', `/v1/campaigns/${run.campaignId}/stats?by=channel`);
    expect(stats.status).toBe(200);
    const rows = stats.json['rows'] as {
      key: string;
      sent: number;
      messagesCostCents: number;
      costCents: number;
    }[];
    expect(rows.find((r) => r.key === 'push')).toMatchObject({
      sent: 3,
      messagesCostCents: PUSH_COST,
      costCents: PUSH_COST,
    });
    expect(rows.find((r) => r.key === 'sms')).toMatchObject({
      sent: 3,
      messagesCostCents: SMS_COST,
      costCents: SMS_COST,
    });
    expect(stats.json['total']).toMatchObject({ sent: 6, costCents: TOTAL_COST, cost: TOTAL_COST / 100 });

    // Period view: today, as the console asks for it (days, today included).
    const today = new Date(run.sentAt).toISOString().slice(0, 10);
    const period = await call('olga', 'GET', `/v1/reports/period?from=${today}&to=${today}`);
    expect(period.status, JSON.stringify(period.json)).toBe(200);
    const row = (period.json['campaigns'] as { campaignId: string }[]).find(
      (c) => c.campaignId === run.campaignId,
    );
    expect(row).toMatchObject({ sent: 6, messagesCostCents: TOTAL_COST, costCents: TOTAL_COST });
    expect(period.json).toMatchObject({ costCents: TOTAL_COST });

    // Dashboard: the funnel of the day the messages went, as its date-range picker asks (the
    // messages were sent with a clock moved past the slot, so "the last 30 days up to now" may not
    // reach them yet).
    const sentDay = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(run.sentAt);
    const funnel = await call('olga', 'GET', `/v1/console/funnel?from=${sentDay}&to=${sentDay}`);
    expect(funnel.status, JSON.stringify(funnel.json)).toBe(200);
    expect(funnel.json).toMatchObject({
      messagesCostCents: TOTAL_COST,
      costCents: TOTAL_COST,
      cost: TOTAL_COST / 100,
    });
  });

  it('every place shows the same ¥ text: fen and the yuan fields format alike, in both languages', () => {
    expect(formatCents('zh-CN', TOTAL_COST)).toBe('¥0.21');
    expect(formatCents('en', TOTAL_COST)).toBe('¥0.21');
    // The reports' yuan fields (`cost`, revenue) give the same text as their fen.
    expect(formatYuan('zh-CN', TOTAL_COST / 100)).toBe(formatCents('zh-CN', TOTAL_COST));
    expect(formatCents('zh-CN', PUSH_FEN)).toBe('¥0.02');
    expect(formatCents('zh-CN', 123_456_78)).toBe('¥123,456.78');
    // The cost calculator's sentences (the console's words over this estimate): the same ¥ text.
    const words = costWords(
      run.estimate as unknown as Estimate,
      null,
      { userValueYuan: 0 },
      (k) => zhCN[k],
      'zh-CN',
    );
    const direct = words.find((w) => w.testId === 'calc-direct')?.lines ?? [];
    expect([...direct].sort()).toEqual(['App 推送：3 条 × ¥0.02 = ¥0.06', '短信：3 条 × ¥0.05 = ¥0.15']);
    const total = words.find((w) => w.testId === 'calc-total')?.lines[0] ?? '';
    expect(total.startsWith(formatCents('zh-CN', TOTAL_COST))).toBe(true);
    expect(words.find((w) => w.testId === 'calc-audience')?.lines).toContain(
      '对照组 0%（约 0 人）不发送，用于衡量效果。',
    );
    // CSV: plain yuan, two decimals.
    expect(plainYuan(TOTAL_COST)).toBe('0.21');
    expect(plainYuan(1000)).toBe('10.00');
  });
});
