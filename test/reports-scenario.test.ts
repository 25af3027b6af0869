import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignDefinition } from '../src/core/campaigns/schema.ts';
import { shipFacts } from '../src/facts/ship.ts';
import { recordRelapses, RELAPSE_EVENT } from '../src/reports/north-star.ts';
import { insertCampaign } from '../src/storage/control/campaigns.ts';
import { appendMessageLog, type MessageLogEntry } from '../src/storage/control/message-log.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { startTestServer, type TestServer } from './support/runtime.ts';

/**
 * Reports on a campaign with known sends, receipts, clicks, conversions, offers, a holdout and a
 * global control group, through the HTTP API on real PGlite + DuckDB: the exact numbers.
 */

const T0 = Date.UTC(2026, 10, 20, 4); // 12:00 Shanghai
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const ts = (ms: number) => iso(ms).replace('T', ' ').replace('Z', '');

let server: TestServer;
let token = '';
let viewerToken = '';

const get = async (path: string, t = token) => {
  const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${t}` } });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

const log = (
  u: number,
  kind: MessageLogEntry['kind'],
  at: number,
  over: Partial<MessageLogEntry> = {},
): MessageLogEntry => ({
  workspaceId: 'default',
  idempotencyKey: `c1:r1:0:u${u}`,
  campaignId: 'c1',
  runId: 'r1',
  step: '0',
  variant: u % 2 === 1 ? 'a' : 'b',
  userId: `u${u}`,
  channel: 'sms',
  kind,
  at,
  ...(kind === 'sent' ? { costCents: 5 } : {}),
  ...over,
});

const definition = (variants: string[]) =>
  ({
    audienceId: 'aud',
    class: 'marketing',
    priority: 0,
    category: 'recall',
    channels: ['sms'],
    holdoutShare: 0.1,
    variants: variants.map((id) => ({ id, weight: 1 })),
    goal: { event: 'order', withinDays: 3 },
  }) as unknown as CampaignDefinition;

beforeAll(async () => {
  server = await startTestServer({ clock: () => T0 + 40 * DAY });
  const { control, warehouse } = server.rt;
  const op = await createUser(control, { name: 'olga', role: 'operator' });
  const viewer = await createUser(control, { name: 'vic', role: 'viewer' });
  if (!op.ok || !viewer.ok) throw new Error('user exists');
  token = await issueApiToken(control, op.value.id);
  viewerToken = await issueApiToken(control, viewer.value.id);
  for (const [id, variants] of [
    ['c1', ['a', 'b']],
    ['c2', []],
  ] as const) {
    await insertCampaign(control, {
      id,
      workspaceId: 'default',
      name: id,
      definition: definition([...variants]),
      ownerId: op.value.id,
      at: T0,
    });
    await control.query(
      `INSERT INTO campaign_runs (id, campaign_id, slot_at, planned_at, members, messages, holdout, skipped, spend_cents)
       VALUES ($1, $2, $3, $3, 0, 0, 0, 0, 0)`,
      [id === 'c1' ? 'r1' : 'r2', id, new Date(T0)],
    );
  }
  // Planned: u1…u11 (u11 not sent yet).
  for (let u = 1; u <= 11; u++)
    await control.query(
      `INSERT INTO outbox (idempotency_key, workspace_id, campaign_id, run_id, step, user_id, channel, class, variant,
         send_at, cost_cents, created_at) VALUES ($1, 'default', 'c1', 'r1', '0', $2, 'sms', 'marketing', $3, $4, 5, $4)`,
      [`c1:r1:0:u${u}`, `u${u}`, u % 2 === 1 ? 'a' : 'b', new Date(T0)],
    );
  await control.query(
    `INSERT INTO offers_issued (code, workspace_id, campaign_id, user_id, idempotency_key, kind, amount, value_cents,
       cost_recognition, issued_at, expires_at, details, cost_at_issue, redeemed_at, cost_at_redemption)
     VALUES ('X1', 'default', 'c1', 'u1', 'c1:r1:0:u1', 'coupon', 500, 500, 'redemption', $1, $2, '{}', 0, $1, 500)`,
    [new Date(T0), new Date(T0 + 7 * DAY)],
  );
  const entries: MessageLogEntry[] = [];
  for (let u = 1; u <= 10; u++) entries.push(log(u, 'sent', T0));
  for (let u = 1; u <= 8; u++) entries.push(log(u, 'delivered', T0 + 60_000));
  entries.push(log(9, 'failed', T0 + 60_000), log(10, 'dead', T0 + 60_000));
  for (const u of [1, 2, 3]) entries.push(log(u, 'clicked', T0 + 3_600_000));
  entries.push(log(4, 'unsubscribed', T0 + 3_600_000));
  // A second campaign reaches u1 again and u20: one more reached user, not two.
  for (const u of [1, 20])
    entries.push(
      log(u, 'sent', T0 + 3_600_000, {
        campaignId: 'c2',
        runId: 'r2',
        idempotencyKey: `c2:r2:0:u${u}`,
        variant: null,
      }),
    );
  await appendMessageLog(control, entries);
  expect((await shipFacts(control, warehouse, { clock: () => T0 })).shipped).toBe(entries.length);

  const ev = (id: string, user: string, at: number, amount: number | null, event = 'order') =>
    warehouse.write(
      `INSERT INTO events (message_id, user_id, event, ts, received_at, amount, properties, source)
       VALUES ($1, $2, $3, CAST($4 AS TIMESTAMP), CAST($4 AS TIMESTAMP), $5, '{}', 'test')`,
      [id, user, event, ts(at), amount],
    );
  await ev('o1', 'u1', T0 + DAY, 100);
  await ev('o2', 'u2', T0 + DAY, 50);
  await ev('o3', 'u1', T0 + 20 * DAY, 60); // u1 repurchases (week 3 after conversion)
  await ev('o4', 'h1', T0 + 2 * DAY, 80); // a held-out user buys anyway
  await ev('o5', 'h9', T0 + DAY, 999); // held out by a run that never committed: ignored
  await ev('o6', 'u3', T0 + 10 * DAY, 70); // after the 3-day window: not a conversion
  for (const [e, u, revenue, variant] of [
    ['o1', 'u1', 100, 'a'],
    ['o2', 'u2', 50, 'b'],
  ] as const)
    await warehouse.write(
      `INSERT INTO conversions VALUES ($1, $2, 'order', CAST($3 AS TIMESTAMP), $4, $5, 'c1', 'r1', $6, 'sms',
         CAST($7 AS TIMESTAMP), CAST($3 AS TIMESTAMP))`,
      [e, u, ts(T0 + DAY), revenue, `c1:r1:0:${u}`, variant, ts(T0)],
    );
  const decide = (run: string, user: string, reason: string | null) =>
    warehouse.write(
      `INSERT INTO plan_decisions VALUES ($1, 'c1', CAST($2 AS TIMESTAMP), $3, 'holdout', $4, NULL)`,
      [run, ts(T0), user, reason],
    );
  for (const h of ['h1', 'h2', 'h3', 'h4']) await decide('r1', h, null);
  for (const g of ['g1', 'g2', 'g3', 'g4', 'g5']) await decide('r1', g, 'global_control');
  await decide('rX', 'h9', null);
}, 120_000);

afterAll(async () => {
  await server.stop();
  server.cleanup();
});

describe('campaign reports', () => {
  it('stats per variant: messages, CTR, conversions, cost with offers, revenue, ROI', async () => {
    const r = await get('/v1/campaigns/c1/stats?by=variant');
    expect(r.status).toBe(200);
    const [a, b] = r.json['rows'] as Record<string, number>[];
    expect(a).toEqual({
      key: 'a',
      planned: 6,
      sent: 5,
      delivered: 4,
      failed: 1,
      unknown: 0,
      clicked: 2,
      ctr: 0.4,
      users: 5,
      convertedUsers: 1,
      conversionRate: 0.2,
      unsubscribes: 0,
      messageCost: 0.25,
      offerCost: 5,
      cost: 5.25,
      // Spent, in parts: 5 SMS at 5 fen, and u1's coupon booked at redemption, redeemed.
      messagesCostCents: 25,
      offersIssuedCostCents: 0,
      offersRedeemedCostCents: 500,
      offersBonusCostCents: 0,
      costCents: 525,
      revenue: 100,
      roi: expect.closeTo((100 - 5.25) / 5.25, 9),
      inAppStored: 0,
      inAppRead: 0,
    });
    expect(b).toEqual({
      key: 'b',
      planned: 5,
      sent: 5,
      delivered: 4,
      failed: 1,
      unknown: 0,
      clicked: 1,
      ctr: 0.2,
      users: 5,
      convertedUsers: 1,
      conversionRate: 0.2,
      unsubscribes: 1,
      messageCost: 0.25,
      offerCost: 0,
      cost: 0.25,
      messagesCostCents: 25,
      offersIssuedCostCents: 0,
      offersRedeemedCostCents: 0,
      offersBonusCostCents: 0,
      costCents: 25,
      revenue: 50,
      roi: expect.closeTo(199, 9),
      inAppStored: 0,
      inAppRead: 0,
    });
    expect(r.json['total']).toMatchObject({
      planned: 11,
      sent: 10,
      users: 10,
      convertedUsers: 2,
      cost: 5.5,
      costCents: 550,
      revenue: 150,
    });
    expect(r.json['costRecognition']).toBeNull(); // the fixture's campaign has no offer definition
    const day = await get('/v1/campaigns/c1/stats?by=day', viewerToken);
    expect((day.json['rows'] as { key: string }[]).map((x) => x.key)).toEqual(['2026-11-20']);
    expect((await get('/v1/campaigns/nope/stats')).status).toBe(404);
    expect((await get('/v1/campaigns/c1/stats?by=week')).status).toBe(400);
  });

  it('lift against the holdout and the global control group', async () => {
    const r = await get('/v1/campaigns/c1/lift');
    expect(r.status).toBe(200);
    expect(r.json['treatment']).toMatchObject({
      users: 10,
      converted: 2,
      rate: 0.2,
      revenue: 150,
      revenuePerUser: 15,
    });
    expect(r.json['holdout']).toMatchObject({
      users: 4,
      converted: 1,
      rate: 0.25,
      revenue: 80,
      revenuePerUser: 20,
    });
    expect(r.json['globalControl']).toMatchObject({ users: 5, converted: 0, rate: 0 });
    const vs = r.json['vsHoldout'] as Record<string, unknown>;
    expect(vs['absoluteLift']).toBeCloseTo(-0.05, 12);
    expect(vs['relativeLift']).toBeCloseTo(-0.2, 12);
    expect(vs['revenuePerUserLift']).toBeCloseTo(-5, 12);
    expect(vs['pValue']).toBeCloseTo(0.836813, 5); // z = −0.05 / √(3/14 · 11/14 · (1/10 + 1/4)) = −0.206
    expect((r.json['vsGlobalControl'] as Record<string, unknown>)['relativeLift']).toBeNull();
    const recv = await get('/v1/reports/receivers?channel=sms&campaignId=c1');
    expect(recv.json['receivers']).toMatchObject({ users: 10, converted: 2 });
    expect(recv.json['nonReceivers']).toMatchObject({ users: 9, converted: 1 });
  });

  it('A/B: per-variant conversion, CTR, and no winner on ten users', async () => {
    const r = await get('/v1/campaigns/c1/ab');
    expect(r.status).toBe(200);
    expect(r.json['control']).toBe('a');
    expect(r.json['winner']).toBeNull();
    expect(r.json['reason']).toMatch(/needs ≥ 100 users/);
    const arms = r.json['arms'] as {
      id: string;
      users: number;
      conversions: number;
      vsControl: { pValue: number } | null;
    }[];
    expect(arms.map((x) => [x.id, x.users, x.conversions])).toEqual([
      ['a', 5, 1],
      ['b', 5, 1],
    ]);
    expect(arms[1]?.vsControl?.pValue).toBe(1);
    const ctr = r.json['ctr'] as { id: string; ctr: number }[];
    expect(ctr.map((x) => [x.id, x.ctr])).toEqual([
      ['a', 0.4],
      ['b', 0.2],
    ]);
  });

  it('audience test: campaigns compared as arms, the first as control; bad lists refused', async () => {
    const r = await get('/v1/reports/compare?campaigns=c1,c2');
    expect(r.status).toBe(200);
    expect(r.json['control']).toBe('c1');
    expect(r.json['winner']).toBeNull();
    const arms = r.json['arms'] as { id: string; users: number; conversions: number; rate: number }[];
    expect(arms.map((x) => [x.id, x.users, x.conversions, x.rate])).toEqual([
      ['c1', 10, 2, 0.2],
      ['c2', 2, 0, 0],
    ]);
    expect((await get('/v1/reports/compare?campaigns=c1')).status).toBe(400);
    expect((await get('/v1/reports/compare?campaigns=c1,nope')).status).toBe(404);
  });

  it('north star: repurchase, order value and retention of recalled users vs holdout converters', async () => {
    const r = await get('/v1/reports/north-star?campaignId=c1');
    expect(r.status).toBe(200);
    const recalled = r.json['recalled'] as Record<string, unknown>;
    expect(recalled).toMatchObject({
      users: 2,
      repurchasers: 1,
      repurchaseRate: 0.5,
      repurchasesPerUser: 0.5,
      averageOrderValue: 70,
    });
    expect(recalled['retention']).toEqual([0, 0, 0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(r.json['holdoutConverted']).toMatchObject({ users: 1, repurchasers: 0, averageOrderValue: 80 });
  });

  it('relapse: a recalled user silent for 30 days gets recall_relapsed once', async () => {
    const ctx = server.rt;
    const goal = { event: 'order', withinDays: 3 };
    expect(await recordRelapses(ctx, 'c1', goal, { silentDays: 30, now: T0 + 20 * DAY })).toBe(0);
    expect(await recordRelapses(ctx, 'c1', goal, { silentDays: 30, now: T0 + 40 * DAY })).toBe(1);
    expect(await recordRelapses(ctx, 'c1', goal, { silentDays: 30, now: T0 + 50 * DAY })).toBe(0);
    const rows = await ctx.warehouse.query<{ message_id: string; user_id: string; ts: Date; source: string }>(
      'SELECT message_id, user_id, ts, source FROM events WHERE event = $1',
      [RELAPSE_EVENT],
    );
    expect(rows).toEqual([
      { message_id: 'relapse:c1:u2', user_id: 'u2', ts: new Date(T0 + 31 * DAY), source: 'reports' },
    ]);
  });

  it('period view de-duplicates users across campaigns and gives the unsubscribe trend', async () => {
    const r = await get(`/v1/reports/period?from=${iso(T0 - DAY)}&to=${iso(T0 + 5 * DAY)}`);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      sent: 12,
      reachedUsers: 11,
      reachedUsersSumOverCampaigns: 12,
      convertedUsers: 2,
      convertedUsersSumOverCampaigns: 2,
      revenue: 150,
      // 12 SMS at 5 fen sent in the period, and u1's coupon redeemed in it (T0).
      messagesCostCents: 60,
      offersRedeemedCostCents: 500,
      costCents: 560,
      roi: expect.closeTo((150 - 5.6) / 5.6, 9),
    });
    expect((r.json['unsubscribeTrend'] as { day: unknown[] }).day).toEqual([
      { period: '2026-11-20', sent: 12, unsubscribed: 1, rate: 1 / 12 },
    ]);
    expect((await get(`/v1/reports/period?from=${iso(T0)}&to=${iso(T0 - DAY)}`)).status).toBe(400);
  });
});

describe('period de-duplication property', () => {
  it('distinct reached users never exceed the sum over campaigns, nor fall below the largest campaign', async () => {
    // Pure check of the invariant on random memberships, against the same SQL shape in DuckDB.
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 20 }), {
          minLength: 1,
          maxLength: 5,
        }),
        async (campaigns) => {
          const rows = campaigns.flatMap((users, c) => users.map((u) => `('k${c}', 'u${u}')`));
          if (rows.length === 0) return true;
          const [r] = await server.rt.warehouse.query<{ d: bigint; s: bigint; m: bigint }>(
            `WITH t(c, u) AS (VALUES ${rows.join(', ')}),
             per AS (SELECT c, count(DISTINCT u) AS n FROM t GROUP BY c)
             SELECT (SELECT count(DISTINCT u) FROM t) AS d, (SELECT sum(n) FROM per) AS s, (SELECT max(n) FROM per) AS m`,
          );
          return r !== undefined && r.d <= r.s && r.d >= r.m;
        },
      ),
      { numRuns: 30 },
    );
  });
});
