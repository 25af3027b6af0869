import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providersOf } from '../src/delivery/providers/provider-runtime.ts';
import { startDeliveryWorker } from '../src/delivery/worker.ts';
import { shipFacts } from '../src/facts/ship.ts';
import { runSlot } from '../src/planner/run-slot.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { json, startFakeVendor } from './support/fake-vendor.ts';
import { apiCall, startTestServer, type TestServer } from './support/runtime.ts';
import { profile, seed } from './support/score-scenario.ts';

/**
 * Per-variant offers (issue 18, "A/B: edit each variant's … offer"): an offer test where variant A
 * gets a ¥5 coupon, B none and C the campaign's ¥10 coupon, walked through the HTTP API on PGlite
 * and DuckDB with an injected clock: estimate → plan and commit → send (the real delivery worker
 * to an SMS gateway faked at the HTTP level) → report. The planner draws each member's variant;
 * every figure is then worked out from that draw by hand: A's members hold ¥5 offers, B's none,
 * C's ¥10, and the estimate, the budget's reservation and the report by variant say the same.
 */

const T = Date.UTC(2026, 10, 20, 4); // 12:00 in Shanghai: no quiet hours
const started = Date.now();
const clock = () => T + (Date.now() - started);
const iso = (ms: number) => new Date(ms).toISOString();

const SMS_FEN = 5;
const OFFER_FEN: Record<string, number> = { A: 500, B: 0, C: 1000 };
const MEMBERS = Array.from({ length: 30 }, (_, i) => `v${String(i + 1).padStart(2, '0')}`);

let server: TestServer;
let vendor: Awaited<ReturnType<typeof startFakeVendor>>;
const tokens: Record<string, string> = {};
const call = (who: string, method: string, path: string, body?: unknown) =>
  apiCall(server.url, tokens[who] ?? '', method, path, body);

const coupon = (amount: number) => ({
  kind: 'coupon',
  amount: { type: 'fixed', amount },
  validityDays: 14,
  expectedRedemptionRate: 0.2,
  // Booked at issue: the report charges each variant its offers as soon as their messages go out.
  costRecognition: 'issue',
});
const sms = { channel: 'sms', text: '回来看看 {{ offer.code }} 回T退订', signature: '【Rekindle】' };
let audienceId = '';
const definition = (variants: unknown[]) => ({
  audienceId,
  timing: { kind: 'one_off', at: iso(T) },
  channels: ['sms'],
  content: [sms],
  holdoutShare: 0,
  offer: coupon(1000),
  budgetCents: 1_000_000,
  variants,
});
const VARIANTS = [
  { id: 'A', weight: 1, offer: coupon(500) },
  { id: 'B', weight: 1, offer: null },
  { id: 'C', weight: 1 },
];

let campaignId = '';

beforeAll(async () => {
  vendor = await startFakeVendor((_r, res) => json(res, 200, { id: `sms-${vendor.requests.length}` }));
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
  await seed(
    server.rt.warehouse,
    MEMBERS.map((id, i) =>
      profile(id, T - 100 * 86_400_000, {
        acquisition_channel: 'offer_test',
        timezone: 'Asia/Shanghai',
        phone: `+86138000${String(i + 1).padStart(5, '0')}`,
        consent_sms: true,
      }),
    ),
  );
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
  const aud = await call('olga', 'POST', '/v1/audiences', {
    name: 'Offer test',
    definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: 'offer_test' },
  });
  expect(aud.status, JSON.stringify(aud.json)).toBe(201);
  audienceId = String(aud.json['id']);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  server?.cleanup();
  await vendor?.close();
});

describe('per-variant offers: ¥5 vs none vs the campaign’s ¥10', () => {
  it('refuses a bad variant offer with its path', async () => {
    const bad = await call('olga', 'POST', '/v1/campaigns', {
      name: 'Bad offer',
      definition: definition([
        { id: 'A', weight: 1, offer: coupon(500) },
        { id: 'B', weight: 1, offer: { ...coupon(500), amount: { type: 'fixed', amount: 0 } } },
      ]),
    });
    expect(bad.status).toBe(400);
    const errors = (bad.json['errors'] ?? []) as { path: string; message: string }[];
    expect(errors.map((e) => e.path)).toContain('definition.variants[1].offer.amount.amount');
    // Checks between fields too: a minimum spend the coupon would pay in full.
    const semantic = await call('olga', 'POST', '/v1/campaigns', {
      name: 'Bad offer',
      definition: definition([
        { id: 'A', weight: 1 },
        { id: 'B', weight: 1, offer: { ...coupon(500), minSpendCents: 300 } },
      ]),
    });
    expect(semantic.status).toBe(400);
    expect(((semantic.json['errors'] ?? []) as { path: string }[]).map((e) => e.path)).toContain(
      'definition.variants[1].offer.minSpendCents',
    );
    // The old, never-used `offerId` is no longer taken.
    const old = await call('olga', 'POST', '/v1/campaigns', {
      name: 'Old offerId',
      definition: definition([
        { id: 'A', weight: 1, offerId: 'x' },
        { id: 'B', weight: 1 },
      ]),
    });
    expect(old.status).toBe(400);
  });

  it('issues, reserves, estimates and reports each variant’s own offer', async () => {
    const created = await call('olga', 'POST', '/v1/campaigns', {
      name: 'Offer test',
      definition: definition(VARIANTS),
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    campaignId = String(created.json['id']);
    const stored = (created.json['definition'] as { variants: Record<string, unknown>[] }).variants;
    expect(stored.map((v) => v['offer'])).toEqual([coupon(500), null, undefined]);
    expect((await call('olga', 'POST', `/v1/campaigns/${campaignId}/submit`, { version: 1 })).status).toBe(
      200,
    );
    const approved = await call('rita', 'POST', `/v1/campaigns/${campaignId}/review`, {
      decision: 'approve',
      version: 1,
    });
    expect(approved.status, JSON.stringify(approved.json)).toBe(200);

    // ── Estimate (a dry run of the same planner): per variant, its own offers. ──
    const est = await call('rita', 'POST', `/v1/campaigns/${campaignId}/estimate`, {
      conversionRate: 0.1,
      baselineConversionRate: 0.02,
      averageOrderCents: 10_000,
      marginRate: 0.3,
    });
    expect(est.status, JSON.stringify(est.json)).toBe(200);

    // ── Plan and commit: the planner draws the variants. ──
    const slot = await runSlot(server.rt, 'default', T);
    const run = slot.campaigns.find((c) => c.campaignId === campaignId);
    const outbox = await server.rt.control.query<{ user_id: string; variant: string }>(
      'SELECT user_id, variant FROM outbox WHERE campaign_id = $1 ORDER BY user_id',
      [campaignId],
    );
    expect(outbox).toHaveLength(MEMBERS.length);
    const variantOf = new Map(outbox.map((m) => [m.user_id, m.variant]));
    const count = (v: string) => outbox.filter((m) => m.variant === v).length;
    // The fixture is large enough that the draw puts members in every variant.
    for (const v of ['A', 'B', 'C']) expect(count(v), v).toBeGreaterThan(0);

    // A's members hold ¥5 offers, B's none, C's the campaign's ¥10.
    const issued = await server.rt.control.query<{ user_id: string; value_cents: string; code: string }>(
      'SELECT user_id, value_cents, code FROM offers_issued WHERE campaign_id = $1 ORDER BY user_id',
      [campaignId],
    );
    const expectedIssued = outbox
      .filter((m) => (OFFER_FEN[m.variant] ?? 0) > 0)
      .map((m) => [m.user_id, OFFER_FEN[m.variant]]);
    expect(issued.map((o) => [o.user_id, Number(o.value_cents)])).toEqual(expectedIssued);
    expect(issued.some((o) => variantOf.get(o.user_id) === 'B')).toBe(false);

    // The budget reserved each message's price and its member's own offer.
    const offersTotal = count('A') * 500 + count('C') * 1000;
    const reserved = MEMBERS.length * SMS_FEN + offersTotal;
    expect(run).toMatchObject({ messages: MEMBERS.length, spendCents: reserved });

    // The estimate said the same, variant by variant.
    expect(est.json).toMatchObject({
      messages: MEMBERS.length,
      reservedCents: reserved,
      offer: {
        issued: count('A') + count('C'),
        totalValueCents: offersTotal,
        byVariant: [
          { variant: 'A', issued: count('A'), totalValueCents: count('A') * 500 },
          { variant: 'B', issued: 0, totalValueCents: 0 },
          { variant: 'C', issued: count('C'), totalValueCents: count('C') * 1000 },
        ],
      },
    });
    // Booked at issue: the calculator's offers are every issued offer's value.
    expect((est.json['cost'] as { direct: { offers: number } }).direct.offers).toBe(offersTotal);

    // ── Send, then the report by variant charges each variant its own offers. ──
    const errors: string[] = [];
    const worker = startDeliveryWorker(server.rt, providersOf(server.rt).registry, {
      idleMs: 20,
      log: (msg, e) => errors.push(`${msg}: ${e instanceof Error ? e.message : String(e)}`),
    });
    await worker.drained();
    await worker.stop();
    expect(errors).toEqual([]);
    // A's and C's messages carry their member's code; B's none.
    expect(vendor.requests).toHaveLength(MEMBERS.length);
    const phoneOf = (u: string) => `+86138000${String(MEMBERS.indexOf(u) + 1).padStart(5, '0')}`;
    const bodyOf = (u: string) => vendor.requests.find((r) => r.body.includes(phoneOf(u)))?.body ?? '';
    for (const o of issued) expect(bodyOf(o.user_id)).toContain(o.code);
    for (const m of outbox.filter((x) => x.variant === 'B'))
      expect(bodyOf(m.user_id)).toContain('回来看看  回T退订');
    await shipFacts(server.rt.control, server.rt.warehouse, { clock });
    const stats = await call('olga', 'GET', `/v1/campaigns/${campaignId}/stats?by=variant`);
    expect(stats.status, JSON.stringify(stats.json)).toBe(200);
    const rows = stats.json['rows'] as { key: string; offersIssuedCostCents: number; costCents: number }[];
    for (const v of ['A', 'B', 'C']) {
      const row = rows.find((r) => r.key === v);
      expect(row, v).toMatchObject({
        offersIssuedCostCents: count(v) * (OFFER_FEN[v] ?? 0),
        costCents: count(v) * (SMS_FEN + (OFFER_FEN[v] ?? 0)),
      });
    }
    const ab = await call('olga', 'GET', `/v1/campaigns/${campaignId}/ab`);
    expect(ab.status, JSON.stringify(ab.json)).toBe(200);
    expect(ab.json['offers']).toEqual([
      {
        id: 'A',
        offer: { kind: 'coupon', costRecognition: 'issue', amount: 500 },
        offerCostCents: count('A') * 500,
      },
      { id: 'B', offer: null, offerCostCents: 0 },
      {
        id: 'C',
        offer: { kind: 'coupon', costRecognition: 'issue', amount: 1000 },
        offerCostCents: count('C') * 1000,
      },
    ]);
  }, 120_000);

  it('previews a sample member with their variant’s offer', async () => {
    const outbox = await server.rt.control.query<{ user_id: string; variant: string }>(
      'SELECT user_id, variant FROM outbox WHERE campaign_id = $1 ORDER BY user_id',
      [campaignId],
    );
    for (const v of ['A', 'B', 'C']) {
      const userId = outbox.find((m) => m.variant === v)?.user_id ?? '';
      const p = await call('olga', 'POST', `/v1/campaigns/${campaignId}/preview`, { userId });
      expect(p.status, JSON.stringify(p.json)).toBe(200);
      const offer = p.json['offer'] as { valueCents: number } | null;
      expect(offer?.valueCents ?? 0, v).toBe(OFFER_FEN[v]);
    }
  });
});
