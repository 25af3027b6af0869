import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providersOf } from '../src/delivery/providers/provider-runtime.ts';
import { startDeliveryWorker } from '../src/delivery/worker.ts';
import { shipFacts } from '../src/facts/ship.ts';
import { runSlot } from '../src/planner/run-slot.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { json, startFakeVendor } from './support/fake-vendor.ts';
import { apiCall, postJson, startTestServer, type TestServer } from './support/runtime.ts';
import { event, profile, seed } from './support/score-scenario.ts';

/**
 * Money that adds up (issue 17): a win-back SMS campaign whose coupon depends on how long each
 * user has lapsed, walked as an operator would — estimate → plan → send (the real delivery worker
 * to a generic SMS gateway faked at the HTTP level) → redeem → report — on PGlite and DuckDB
 * through the HTTP API. Every figure is worked out by hand from the fixture below, never by
 * calling Rekindle's code, and the estimate, the budget, the campaign stats, the period view and
 * the dashboard must all say the same. Then a budget that fits N users' own coupons reaches N.
 *
 * Before issue 17 the planner reserved the largest coupon (¥300) with every message and reported
 * that reservation as the message's cost: this campaign would have read 6 × (5 + 30 000) fen.
 */

const T = Date.UTC(2026, 10, 20, 4); // 12:00 in Shanghai: no quiet hours
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// Time moves (the providers' rate limiters refill with it) from `base`, which a test may move on.
const started = Date.now();
let base = T;
const clock = () => base + (Date.now() - started);
const iso = (ms: number) => new Date(ms).toISOString();

// ── The fixture and the hand computation (fen) ─────────────────────────────────────────────
const SMS_FEN = 5;
// The coupon by whole days since the last order: 30+ → ¥5, 60+ → ¥20, 90+ → ¥300 (the most).
const TIERS = [
  { minDays: 30, amount: 500 },
  { minDays: 60, amount: 2000 },
  { minDays: 90, amount: 30_000 },
];
// user → days since their last order (orders 6 hours past the whole day, so a few seconds of
// clock drift never change the day count) and the coupon that gives, by hand.
const WINBACK = [
  { id: 'u1', lapsed: 35, coupon: 500 },
  { id: 'u2', lapsed: 65, coupon: 2000 },
  { id: 'u3', lapsed: 95, coupon: 30_000 },
  { id: 'u4', lapsed: 40, coupon: 500 },
  { id: 'u5', lapsed: 10, coupon: 0 }, // lapsed too briefly: the SMS without a coupon
  { id: 'u6', lapsed: 70, coupon: 2000 }, // the gateway refuses this number: never sent
];
const REFUSED_PHONE = '+8613800000006';
const PLANNED = WINBACK.length; // 6
const COUPONS = WINBACK.filter((u) => u.coupon > 0); // 5 coupons
const COUPON_TOTAL = 500 + 2000 + 30_000 + 500 + 2000; // 35 000
const RESERVED_AT_PLAN = PLANNED * SMS_FEN + COUPON_TOTAL; // 35 030
// u6's SMS dies at the gateway: its price and its coupon are released.
const SENT = 5;
const MESSAGES_SPENT = SENT * SMS_FEN; // 25
const HELD_AFTER_SEND = MESSAGES_SPENT + 500 + 2000 + 30_000 + 500; // 33 025
// u1 and u3 redeem (booked at redemption, at their own amounts); u2's and u4's stay open.
const REDEEMED = 500 + 30_000; // 30 500
const SPENT = MESSAGES_SPENT + REDEEMED; // 30 525 = ¥305.25
const REVENUE_YUAN = 800 + 100; // u3's order ¥800 and u1's ¥100, within the goal's 3 days
const ROI = (REVENUE_YUAN - SPENT / 100) / (SPENT / 100); // (900 − 305.25) / 305.25
// Estimate: 5 coupons × 25 % expected redemption × their mean (35 000 / 5 = 7 000 fen).
const ESTIMATED_OFFERS = Math.round(5 * 0.25 * (COUPON_TOTAL / 5)); // 8 750

let server: TestServer;
const tokens: Record<string, string> = {};
const call = (who: string, method: string, path: string, body?: unknown) =>
  apiCall(server.url, tokens[who] ?? '', method, path, body);

const offer = {
  kind: 'coupon',
  amount: { type: 'by_days_lapsed', tiers: TIERS },
  validityDays: 14,
  expectedRedemptionRate: 0.25,
  costRecognition: 'redemption',
};
const sms = {
  channel: 'sms',
  text: '您的专属券 {{ offer.code }} 已到账 https://example.com/a 回T退订',
  signature: '【Rekindle】',
};

/** An audience of one acquisition channel, and an approved one-off SMS campaign on it at `at`. */
const approvedCampaign = async (
  name: string,
  channel: string,
  at: number,
  extra: Record<string, unknown>,
) => {
  const aud = await call('olga', 'POST', '/v1/audiences', {
    name,
    definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: channel },
  });
  expect(aud.status, JSON.stringify(aud.json)).toBe(201);
  const created = await call('olga', 'POST', '/v1/campaigns', {
    name,
    definition: {
      audienceId: String(aud.json['id']),
      timing: { kind: 'one_off', at: iso(at) },
      channels: ['sms'],
      content: [sms],
      holdoutShare: 0,
      goal: { event: 'order', withinDays: 3 },
      offer,
      ...extra,
    },
  });
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  const id = String(created.json['id']);
  expect((await call('olga', 'POST', `/v1/campaigns/${id}/submit`, { version: 1 })).status).toBe(200);
  const r = await call('rita', 'POST', `/v1/campaigns/${id}/review`, { decision: 'approve', version: 1 });
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  return id;
};

const users = (
  list: readonly { id: string; lapsed: number }[],
  channel: string,
  phone: (i: number) => string,
) => {
  const at = T - 200 * DAY;
  return {
    profiles: list.map((u, i) =>
      profile(u.id, at, {
        acquisition_channel: channel,
        timezone: 'Asia/Shanghai',
        phone: phone(i),
        consent_sms: true,
      }),
    ),
    orders: list.map((u) => event(u.id, 'order', T - u.lapsed * DAY - 6 * HOUR, 50)),
  };
};

/** What the department budget has committed now (the budgets page's figure). */
const committed = async (department: string) => {
  const r = await call('ada', 'GET', '/v1/planner/resources');
  const d = (
    r.json['departments'] as { department: string; limitCents: number; reservedCents: number }[]
  ).find((x) => x.department === department);
  return d?.reservedCents;
};

let vendor: Awaited<ReturnType<typeof startFakeVendor>>;
let campaignId = '';

beforeAll(async () => {
  vendor = await startFakeVendor((r, res) => {
    const to = (JSON.parse(r.body) as { to?: string }).to;
    if (to === REFUSED_PHONE) return json(res, 400, { error: 'invalid number' });
    json(res, 200, { id: `sms-${vendor.requests.length}` });
  });
  server = await startTestServer({ clock });
  for (const [name, role] of [
    ['ada', 'admin'],
    ['olga', 'operator'],
    ['rita', 'reviewer'],
  ] as const) {
    const u = await createUser(server.rt.control, { name, role });
    if (!u.ok) throw new Error('user exists');
    tokens[name] = await issueApiToken(server.rt.control, u.value.id);
  }
  const winback = users(WINBACK, 'winback', (i) => `+861380000000${i + 1}`);
  await seed(server.rt.warehouse, winback.profiles, winback.orders);
  const provider = await call('ada', 'POST', '/v1/providers', {
    kind: 'sms_http',
    name: 'gateway',
    ratePerSecond: 1000,
    config: { url: `${vendor.url}/sms` },
    secrets: { authValue: 'Bearer test' },
  });
  expect(provider.status, JSON.stringify(provider.json)).toBe(201);
  expect(
    (await call('ada', 'PUT', '/v1/planner/quotas/sms', { quota: 1000, costCents: SMS_FEN })).status,
  ).toBe(200);
  expect((await call('ada', 'PUT', '/v1/planner/budgets/growth', { limitCents: 1_000_000 })).status).toBe(
    200,
  );
  campaignId = await approvedCampaign('Win back', 'winback', T, {
    department: 'growth',
    budgetCents: 100_000,
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  server?.cleanup();
  await vendor?.close();
});

describe('money end to end: a coupon that depends on history', () => {
  it('estimate, budget, campaign stats, period view and dashboard agree with the hand computation', async () => {
    // ── Estimate: the dry run prices each recipient's own coupon. ──
    const est = await call('rita', 'POST', `/v1/campaigns/${campaignId}/estimate`, {
      conversionRate: 0.1,
      baselineConversionRate: 0.02,
      averageOrderCents: 50_000,
      marginRate: 0.3,
    });
    expect(est.status, JSON.stringify(est.json)).toBe(200);
    expect(est.json).toMatchObject({
      members: PLANNED,
      messages: PLANNED,
      offer: { issued: COUPONS.length, totalValueCents: COUPON_TOTAL, averageValueCents: COUPON_TOTAL / 5 },
      reservedCents: RESERVED_AT_PLAN,
    });
    expect((est.json['cost'] as { direct: unknown }).direct).toEqual({
      messages: PLANNED * SMS_FEN,
      offers: ESTIMATED_OFFERS,
    });

    // ── Plan: the budget holds each user's own coupon, nothing more. ──
    const slot = await runSlot(server.rt, 'default', T);
    const run = slot.campaigns.find((c) => c.campaignId === campaignId);
    expect(run).toMatchObject({ messages: PLANNED, spendCents: RESERVED_AT_PLAN });
    const outbox = await server.rt.control.query<{ user_id: string; cost_cents: number }>(
      'SELECT user_id, cost_cents FROM outbox WHERE campaign_id = $1 ORDER BY user_id',
      [campaignId],
    );
    // Each message costs its price: the coupon is not part of it.
    expect(outbox.map((m) => [m.user_id, Number(m.cost_cents)])).toEqual(WINBACK.map((u) => [u.id, SMS_FEN]));
    const issued = await server.rt.control.query<{ user_id: string; code: string; value_cents: string }>(
      'SELECT user_id, code, value_cents FROM offers_issued WHERE campaign_id = $1 ORDER BY user_id',
      [campaignId],
    );
    expect(issued.map((o) => [o.user_id, Number(o.value_cents)])).toEqual(
      COUPONS.map((u) => [u.id, u.coupon]),
    );
    expect(await committed('growth')).toBe(RESERVED_AT_PLAN);

    // ── Send: the real delivery worker to the gateway; u6's number is refused for good. ──
    const errors: string[] = [];
    const worker = startDeliveryWorker(server.rt, providersOf(server.rt).registry, {
      idleMs: 20,
      log: (msg, e) => errors.push(`${msg}: ${e instanceof Error ? e.message : String(e)}`),
    });
    await worker.drained();
    await worker.stop();
    expect(errors).toEqual([]);
    const statuses = await server.rt.control.query<{ user_id: string; status: string }>(
      'SELECT user_id, status FROM outbox WHERE campaign_id = $1 ORDER BY user_id',
      [campaignId],
    );
    expect(statuses.map((s) => s.status)).toEqual(['sent', 'sent', 'sent', 'sent', 'sent', 'dead']);
    const accepted = vendor.requests.filter((r) => !r.body.includes(REFUSED_PHONE));
    expect(accepted).toHaveLength(SENT);
    const u3code = issued.find((o) => o.user_id === 'u3')?.code ?? '';
    expect(accepted.some((r) => r.body.includes(u3code))).toBe(true);
    // The dead message releases its price and u6's coupon.
    expect(await committed('growth')).toBe(HELD_AFTER_SEND);

    // ── Redeem and buy: u3 (¥300 coupon, ¥800 order) and u1 (¥5 coupon, ¥100 order). ──
    base = T + 2 * HOUR;
    for (const u of ['u3', 'u1']) {
      const code = issued.find((o) => o.user_id === u)?.code ?? '';
      const r = await call('olga', 'POST', `/v1/offers/${code}/redeem`);
      expect(r.status, JSON.stringify(r.json)).toBe(200);
    }
    for (const [userId, amount] of [
      ['u3', 800],
      ['u1', 100],
    ] as const) {
      const r = await postJson(`${server.url}/v1/track`, {
        userId,
        event: 'order',
        properties: { amount, currency: 'CNY' },
        timestamp: iso(T + HOUR),
        messageId: `order-${userId}`,
      });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
    }
    await shipFacts(server.rt.control, server.rt.warehouse, { clock });
    expect((await call('olga', 'POST', '/v1/conversions/attribute', {})).status).toBe(200);
    // Redeemed coupons replace their reservation at the same amount: still held, now spent.
    expect(await committed('growth')).toBe(HELD_AFTER_SEND);

    // ── Campaign stats: what was spent, in parts, with the recognition. ──
    const stats = await call('olga', 'GET', `/v1/campaigns/${campaignId}/stats?by=channel`);
    expect(stats.status).toBe(200);
    expect(stats.json['costRecognition']).toBe('redemption');
    const total = stats.json['total'] as Record<string, number>;
    expect(total).toMatchObject({
      planned: PLANNED,
      sent: SENT,
      failed: 1,
      messagesCostCents: MESSAGES_SPENT,
      offersIssuedCostCents: 0,
      offersRedeemedCostCents: REDEEMED,
      offersBonusCostCents: 0,
      costCents: SPENT,
      cost: SPENT / 100,
      revenue: REVENUE_YUAN,
    });
    expect(total['roi']).toBeCloseTo(ROI, 9);

    // ── Period view: the same campaign, the same money. ──
    const period = await call('olga', 'GET', `/v1/reports/period?from=${iso(T - DAY)}&to=${iso(T + DAY)}`);
    expect(period.status).toBe(200);
    const row = (period.json['campaigns'] as Record<string, unknown>[]).find(
      (c) => c['campaignId'] === campaignId,
    );
    const money = {
      messagesCostCents: MESSAGES_SPENT,
      offersIssuedCostCents: 0,
      offersRedeemedCostCents: REDEEMED,
      costCents: SPENT,
      revenue: REVENUE_YUAN,
      roi: expect.closeTo(ROI, 9),
    };
    expect(row).toMatchObject({ sent: SENT, ...money });
    expect(period.json).toMatchObject(money);

    // ── Dashboard: the funnel of the last 30 days (this is the only campaign that sent). ──
    const funnel = await call('olga', 'GET', '/v1/console/funnel?days=30');
    expect(funnel.status).toBe(200);
    expect(funnel.json).toMatchObject({ ...money, cost: SPENT / 100 });

    // ── The coupons nobody redeemed expire (14 days): the budget keeps only what was spent. ──
    base = T + 15 * DAY;
    expect(await committed('growth')).toBe(SPENT);
  }, 120_000);

  it("a budget that fits N users' own coupons reaches exactly N", async () => {
    // Six more users, each lapsed 40 days: a ¥5 coupon each, though the rule's most is ¥300.
    const six = ['w1', 'w2', 'w3', 'w4', 'w5', 'w6'].map((id) => ({ id, lapsed: 40 }));
    const at = T + 20 * DAY;
    base = at;
    const more = users(six, 'budgeted', (i) => `+861390000000${i + 1}`);
    // Lapse is counted to the slot: the fixture's orders are 40 days before it.
    await seed(
      server.rt.warehouse,
      more.profiles,
      six.map((u) => event(u.id, 'order', at - u.lapsed * DAY - 6 * HOUR, 50)),
    );
    const N = 3;
    const budget = N * (SMS_FEN + 500); // 1 515 fen: three SMS with their own ¥5 coupons
    expect((await call('ada', 'PUT', '/v1/planner/budgets/ops', { limitCents: 100_000 })).status).toBe(200);
    const id = await approvedCampaign('Budgeted', 'budgeted', at, { budgetCents: budget, department: 'ops' });
    const slot = await runSlot(server.rt, 'default', at);
    const run = slot.campaigns.find((c) => c.campaignId === id);
    // Reserving the most (5 + 30 000 fen) would have reached nobody.
    expect(run).toMatchObject({ messages: N, spendCents: budget, skipReasons: { campaign_budget: 6 - N } });
    const planned = await server.rt.control.query<{ user_id: string }>(
      'SELECT user_id FROM outbox WHERE campaign_id = $1',
      [id],
    );
    const skipped = six.map((u) => u.id).filter((u) => !planned.some((p) => p.user_id === u));
    expect(skipped).toHaveLength(6 - N);
    const why = await call('olga', 'GET', `/v1/campaigns/${id}/users/${skipped[0] ?? ''}/decision`);
    expect(why.status, JSON.stringify(why.json)).toBe(200);
    expect(JSON.stringify(why.json)).toContain('预算不足：短信 ¥0.05 + 优惠券 ¥5.00，任务预算仅剩 ¥0.00');
    // Cancelled before sending: the three messages die and their coupons with them; nothing stays held.
    expect(await committed('ops')).toBe(budget);
    const cancelled = await call('olga', 'POST', `/v1/campaigns/${id}/cancel`);
    expect(cancelled.status, JSON.stringify(cancelled.json)).toBe(200);
    expect(await committed('ops')).toBe(0);
  }, 120_000);

  it('an offer booked at issue counts once its message went out, at its issued value', async () => {
    // Two users, a fixed ¥2 red packet booked at issue (cash is gone once the code is out).
    const at = T + 30 * DAY;
    base = at;
    const two = ['r1', 'r2'].map((id) => ({ id, lapsed: 40 }));
    const more = users(two, 'redpacket', (i) => `+861370000000${i + 1}`);
    await seed(server.rt.warehouse, more.profiles);
    const id = await approvedCampaign('Red packet', 'redpacket', at, {
      offer: {
        kind: 'red_packet',
        amount: { type: 'fixed', amount: 200 },
        validityDays: 7,
        expectedRedemptionRate: 0.5,
        costRecognition: 'issue',
      },
    });
    await runSlot(server.rt, 'default', at);
    const before = await call('olga', 'GET', `/v1/campaigns/${id}/stats?by=channel`);
    expect(before.json['costRecognition']).toBe('issue');
    // Planned, not sent: nothing is spent yet (the budget holds 2 × (5 + 200), the report shows 0).
    expect(before.json['total']).toMatchObject({
      planned: 2,
      sent: 0,
      offersIssuedCostCents: 0,
      costCents: 0,
    });
    const worker = startDeliveryWorker(server.rt, providersOf(server.rt).registry, { idleMs: 20 });
    await worker.drained();
    await worker.stop();
    await shipFacts(server.rt.control, server.rt.warehouse, { clock });
    const after = await call('olga', 'GET', `/v1/campaigns/${id}/stats?by=channel`);
    expect(after.json['total']).toMatchObject({
      sent: 2,
      messagesCostCents: 2 * SMS_FEN,
      offersIssuedCostCents: 2 * 200,
      offersRedeemedCostCents: 0,
      costCents: 2 * SMS_FEN + 2 * 200,
    });
  }, 120_000);
});
