import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignDefinition } from '../src/core/campaigns/schema.ts';
import { shipFacts } from '../src/facts/ship.ts';
import { dayRange } from '../src/reports/day-range.ts';
import { putScoreConfig } from '../src/scores/score-config.ts';
import { insertCampaign } from '../src/storage/control/campaigns.ts';
import { appendMessageLog, type MessageLogEntry } from '../src/storage/control/message-log.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { startTestServer, type TestServer } from './support/runtime.ts';
import { NOW as SCORE_NOW, TEST_CONFIG, event, profile, seed } from './support/score-scenario.ts';

/**
 * Issue 18: date ranges on the server, and an honest ROI.
 * - The dashboard funnel takes `from`/`to` (Beijing days by default, today included) and still
 *   takes `days`; wrong ranges get a precise 400.
 * - Churn cohorts and the relapse watch are computed for the range in SQL.
 * - A campaign's incremental ROI over its holdout, computed here by hand from the seeded data.
 *
 * The clock is injected: now is Monday 7 December 2026, 04:00 UTC = 12:00 in Beijing.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 11, 7, 4);
/** The campaign's slot: 20 November 2026, 12:00 Beijing. */
const T0 = Date.UTC(2026, 10, 20, 4);
const ts = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

let server: TestServer;
let token = '';

const get = async (path: string) => {
  const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

const SMS_CENTS = 5;
const sentLog = (campaign: string, run: string, user: string, at: number): MessageLogEntry => ({
  workspaceId: 'default',
  idempotencyKey: `${campaign}:${run}:0:${user}`,
  campaignId: campaign,
  runId: run,
  step: '0',
  variant: null,
  userId: user,
  channel: 'sms',
  kind: 'sent',
  at,
  costCents: SMS_CENTS,
});

const definition = {
  audienceId: 'aud',
  class: 'marketing',
  priority: 0,
  category: 'recall',
  channels: ['sms'],
  holdoutShare: 0.3,
  variants: [],
  goal: { event: 'order', withinDays: 3 },
} as unknown as CampaignDefinition;

/** The seeded orders: [user, amount in yuan, days after the slot]. */
const TREATED = Array.from({ length: 10 }, (_, i) => `u${i + 1}`);
const HOLDOUT = ['h1', 'h2', 'h3', 'h4', 'h5'];
const ORDERS: [string, number, number][] = [
  ['u1', 100, 1],
  ['u2', 50, 2],
  ['u3', 30, 1],
  ['h1', 20, 1], // a held-out user buys anyway
];

beforeAll(async () => {
  server = await startTestServer({ clock: () => NOW });
  const { control, warehouse } = server.rt;
  const op = await createUser(control, { name: 'olga', role: 'operator' });
  if (!op.ok) throw new Error('user exists');
  token = await issueApiToken(control, op.value.id);
  for (const [id, run, slot] of [
    ['c1', 'r1', T0],
    ['c2', 'r2', NOW - 3 * DAY],
  ] as const) {
    await insertCampaign(control, {
      id,
      workspaceId: 'default',
      name: id === 'c1' ? '留出组召回' : '无留出组',
      definition,
      ownerId: op.value.id,
      at: T0,
    });
    await control.query(`UPDATE campaigns SET status = 'running' WHERE id = $1`, [id]);
    await control.query(
      `INSERT INTO campaign_runs (id, campaign_id, slot_at, planned_at, members, messages, holdout, skipped, spend_cents)
       VALUES ($1, $2, $3, $3, 0, 0, 0, 0, 0)`,
      [run, id, new Date(slot)],
    );
  }
  const entries: MessageLogEntry[] = TREATED.map((u) => sentLog('c1', 'r1', u, T0));
  // c2: one SMS today (11:00 Beijing) and one at 02:00 Beijing on 5 December (still 4 December in UTC).
  entries.push(sentLog('c2', 'r2', 'v1', NOW - HOUR), sentLog('c2', 'r2', 'v2', Date.UTC(2026, 11, 4, 18)));
  await appendMessageLog(control, entries);
  await shipFacts(control, warehouse, { clock: () => NOW });

  const order = (id: string, user: string, at: number, amount: number) =>
    warehouse.write(
      `INSERT INTO events (message_id, user_id, event, ts, received_at, amount, properties, source)
       VALUES ($1, $2, 'order', CAST($3 AS TIMESTAMP), CAST($3 AS TIMESTAMP), $4, '{}', 'test')`,
      [id, user, ts(at), amount],
    );
  const conversion = (
    id: string,
    user: string,
    at: number,
    amount: number,
    c: string,
    run: string,
    sent: number,
  ) =>
    warehouse.write(
      `INSERT INTO conversions VALUES ($1, $2, 'order', CAST($3 AS TIMESTAMP), $4, $5, $6, $7, NULL, 'sms',
         CAST($8 AS TIMESTAMP), CAST($3 AS TIMESTAMP))`,
      [id, user, ts(at), amount, `${c}:${run}:0:${user}`, c, run, ts(sent)],
    );
  for (const [u, amount, d] of ORDERS) {
    await order(`o-${u}`, u, T0 + d * DAY, amount);
    if (u.startsWith('u')) await conversion(`o-${u}`, u, T0 + d * DAY, amount, 'c1', 'r1', T0);
  }
  // Today's order from c2's recipient.
  await order('o-v1', 'v1', NOW - HOUR / 2, 30);
  await conversion('o-v1', 'v1', NOW - HOUR / 2, 30, 'c2', 'r2', NOW - HOUR);
  for (const h of HOLDOUT)
    await warehouse.write(
      `INSERT INTO plan_decisions VALUES ('r1', 'c1', CAST($1 AS TIMESTAMP), $2, 'holdout', NULL, NULL)`,
      [ts(T0), h],
    );
}, 120_000);

afterAll(async () => {
  await server.stop();
  server.cleanup();
});

const sent = (json: Record<string, unknown>) =>
  (json['statuses'] as { status: string; messages: number }[]).find((s) => s.status === 'sent')?.messages ??
  0;

describe('dayRange (pure)', () => {
  it('reads Beijing days by default and says exactly what is wrong', () => {
    const r = dayRange({ from: '2026-12-07', to: '2026-12-07' }, NOW);
    expect(r).toEqual({
      ok: true,
      value: {
        from: '2026-12-07',
        to: '2026-12-07',
        days: 1,
        timeZone: 'Asia/Shanghai',
        fromMs: Date.UTC(2026, 11, 6, 16),
        toMs: Date.UTC(2026, 11, 7, 16),
      },
    });
    // `to` left out: today in the zone.
    expect(dayRange({ from: '2026-12-01' }, NOW)).toMatchObject({
      ok: true,
      value: { to: '2026-12-07', days: 7 },
    });
    expect(dayRange({ from: '2026-12-08', to: '2026-12-07' }, NOW)).toEqual({
      ok: false,
      error: [{ path: 'from', message: '(2026-12-08) is after to (2026-12-07)' }],
    });
    expect(dayRange({ from: '2025-12-01', to: '2026-12-07' }, NOW)).toEqual({
      ok: false,
      error: [{ path: 'to', message: 'makes the range 372 days long; at most 366 days' }],
    });
    expect(dayRange({ from: '2026-02-30', to: '2026-12-07' }, NOW)).toEqual({
      ok: false,
      error: [{ path: 'from', message: "must be a date (YYYY-MM-DD), got '2026-02-30'" }],
    });
    expect(dayRange({ to: '2026-12-07' }, NOW)).toMatchObject({ ok: false, error: [{ path: 'from' }] });
    expect(dayRange({ from: '2026-12-01', timeZone: 'Mars/Olympus' }, NOW)).toMatchObject({
      ok: false,
      error: [{ path: 'timeZone' }],
    });
  });
});

describe('GET /v1/console/funnel with from/to', () => {
  it("counts today's messages, conversions and cost when the range ends today", async () => {
    const r = await get('/v1/console/funnel?from=2026-12-07&to=2026-12-07');
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(sent(r.json)).toBe(1);
    expect(r.json).toMatchObject({
      recipients: 1,
      conversions: 1,
      revenue: 30,
      costCents: SMS_CENTS,
      range: { from: '2026-12-07', to: '2026-12-07', timeZone: 'Asia/Shanghai' },
      since: '2026-12-06T16:00:00.000Z',
      until: '2026-12-07T16:00:00.000Z',
    });
  });

  it('leaves today out of a range that ends before it, and reads days in Beijing time', async () => {
    const r = await get('/v1/console/funnel?from=2026-12-05&to=2026-12-06');
    expect(r.status).toBe(200);
    // Only the SMS of 02:00 on 5 December in Beijing; nothing of today.
    expect(r.json).toMatchObject({ recipients: 1, conversions: 0, revenue: 0, costCents: SMS_CENTS });
    expect(sent(r.json)).toBe(1);
    // In Beijing that SMS is on the 5th, so 1–4 December is empty …
    const before = await get('/v1/console/funnel?from=2026-12-01&to=2026-12-04');
    expect(before.json).toMatchObject({ recipients: 0, costCents: 0 });
    // … while in UTC it was sent on the 4th.
    const utc = await get('/v1/console/funnel?from=2026-12-04&to=2026-12-04&timeZone=UTC');
    expect(utc.json).toMatchObject({ recipients: 1, costCents: SMS_CENTS });
  });

  it('still answers `days` for older callers', async () => {
    const r = await get('/v1/console/funnel?days=30');
    expect(r.status).toBe(200);
    expect(r.json['range']).toBeNull();
    expect(sent(r.json)).toBe(12);
    expect(r.json).toMatchObject({ recipients: 12, conversions: 4, revenue: 210, costCents: 12 * SMS_CENTS });
    expect((await get('/v1/console/funnel')).status).toBe(200);
  });

  it('refuses a wrong range with a precise message', async () => {
    const after = await get('/v1/console/funnel?from=2026-12-07&to=2026-12-01');
    expect(after.status).toBe(400);
    expect(after.json['error']).toBe('from (2026-12-07) is after to (2026-12-01)');
    const long = await get('/v1/console/funnel?from=2025-01-01&to=2026-12-07');
    expect(long.status).toBe(400);
    expect(long.json['error']).toBe('to makes the range 706 days long; at most 366 days');
    const bad = await get('/v1/console/funnel?from=2026-13-01&to=2026-12-07');
    expect(bad.status).toBe(400);
    expect(bad.json['error']).toBe("from must be a date (YYYY-MM-DD), got '2026-13-01'");
    const both = await get('/v1/console/funnel?days=7&from=2026-12-01');
    expect(both.status).toBe(400);
    expect(both.json['error']).toMatch(/days cannot be combined with from\/to/);
  });
});

describe('GET /v1/reports/relapse with from/to', () => {
  it('counts and lists only the users who converted in the range', async () => {
    const all = await get('/v1/reports/relapse');
    expect(all.status).toBe(200);
    const c1 = (j: Record<string, unknown>) =>
      (j['campaigns'] as { campaignId: string; recalled: number; watching: number }[]).find(
        (c) => c.campaignId === 'c1',
      );
    // Recalled: u1 and u3 on 21 November, u2 on 22 November (12:00 Beijing), all still in the window.
    expect(c1(all.json)).toMatchObject({ recalled: 3, watching: 3 });
    expect(all.json['range']).toBeNull();
    const one = await get('/v1/reports/relapse?from=2026-11-22&to=2026-11-22');
    expect(one.status).toBe(200);
    expect(c1(one.json)).toMatchObject({ recalled: 1, watching: 1 });
    expect((one.json['users'] as { userId: string }[]).map((u) => u.userId)).toEqual(['u2']);
    expect(one.json['usersTotal']).toBe(1);
    expect(one.json['range']).toEqual({ from: '2026-11-22', to: '2026-11-22', timeZone: 'Asia/Shanghai' });
    const none = await get('/v1/reports/relapse?from=2026-12-01&to=2026-12-07');
    expect(c1(none.json)).toMatchObject({ recalled: 0 });
    const bad = await get('/v1/reports/relapse?from=2026-11-30&to=2026-11-22');
    expect(bad.status).toBe(400);
    expect(bad.json['error']).toBe('from (2026-11-30) is after to (2026-11-22)');
  });
});

describe('GET /v1/campaigns/:id/roi', () => {
  it('gives the incremental ROI over the holdout next to the attributed one', async () => {
    const r = await get('/v1/campaigns/c1/roi');
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    // By hand, from the seeded data: ten treated users ordered 100 + 50 + 30 = ¥180 in the window,
    // ¥18 a user; five held out ordered ¥20, ¥4 a user. The campaign added ¥14 a user, ¥140 over
    // the ten, for 10 SMS at 5 fen = 50 fen.
    const treatedPerUser = (100 + 50 + 30) / TREATED.length;
    const holdoutPerUser = 20 / HOLDOUT.length;
    const incrementalCents = Math.round((treatedPerUser - holdoutPerUser) * TREATED.length * 100);
    const costCents = TREATED.length * SMS_CENTS;
    expect(incrementalCents).toBe(14_000);
    const inc = r.json['incremental'] as Record<string, unknown>;
    expect(inc).toMatchObject({
      treatedUsers: 10,
      holdoutUsers: 5,
      incrementalRevenueCents: incrementalCents,
      costCents,
    });
    expect(inc['revenuePerUserLift']).toBeCloseTo(14, 9);
    expect(inc['roi']).toBeCloseTo((incrementalCents - costCents) / costCents, 9); // 279
    // The attributed ROI counts every order of the recipients: ¥180 against 50 fen.
    const attributed = r.json['attributed'] as Record<string, number>;
    expect(attributed).toMatchObject({ revenueCents: 18_000, costCents });
    expect(attributed['roi']).toBeCloseTo((18_000 - costCents) / costCents, 9); // 359
    expect(attributed['roi']).toBeGreaterThan(Number(inc['roi']));
    // The interval holds the estimate, and the ROI's interval is the revenue's on the same cost.
    const ci = inc['incrementalRevenueCiCents'] as { low: number; high: number };
    const roiCi = inc['roiCi'] as { low: number; high: number };
    expect(ci.low).toBeLessThanOrEqual(incrementalCents);
    expect(ci.high).toBeGreaterThanOrEqual(incrementalCents);
    expect(roiCi.low).toBeCloseTo((ci.low - costCents) / costCents, 9);
    expect(roiCi.high).toBeCloseTo((ci.high - costCents) / costCents, 9);
  });

  it('has no incremental view without a holdout, and 404 for an unknown campaign', async () => {
    const r = await get('/v1/campaigns/c2/roi');
    expect(r.status).toBe(200);
    expect(r.json['incremental']).toBeNull();
    expect(r.json['attributed']).toMatchObject({ revenueCents: 3_000, costCents: 2 * SMS_CENTS });
    expect((await get('/v1/campaigns/nope/roi')).status).toBe(404);
  });
});

describe('GET /v1/analysis/churn-structure with from/to', () => {
  let s: TestServer;
  let viewer = '';
  const at = (iso: string) => Date.parse(iso);
  beforeAll(async () => {
    s = await startTestServer({ clock: () => SCORE_NOW });
    await seed(
      s.rt.warehouse,
      [
        profile('a1', at('2026-10-05T10:00:00Z'), {}, { utm_campaign: 'spring_sale' }), // 18:00 on the 5th in Beijing
        profile('a2', at('2026-10-05T23:00:00Z'), {}, { utm_campaign: 'spring_sale' }), // 07:00 on the 6th in Beijing
        profile('a3', at('2026-10-07T08:00:00Z')),
        profile('a4', at('2026-10-12T08:00:00Z'), {}, { utm_campaign: 'kol_may' }),
        profile('a5', at('2026-09-28T08:00:00Z')),
      ],
      [event('a1', 'login', SCORE_NOW - 2 * DAY), event('a4', 'login', SCORE_NOW - 5 * DAY)],
    );
    const ctx = { control: s.rt.control, warehouse: s.rt.warehouse, clock: () => SCORE_NOW };
    expect((await putScoreConfig(ctx, null, { version: 0, config: TEST_CONFIG })).ok).toBe(true);
    const u = await createUser(s.rt.control, { name: 'vera', role: 'viewer' });
    if (!u.ok) throw new Error('user exists');
    viewer = await issueApiToken(s.rt.control, u.value.id);
  }, 60_000);
  afterAll(async () => {
    await s.stop();
    s.cleanup();
  });
  const cohorts = async (q: string) => {
    const res = await fetch(`${s.url}/v1/analysis/churn-structure${q}`, {
      headers: { authorization: `Bearer ${viewer}` },
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const rows = (j: Record<string, unknown>) =>
    (
      j['cohorts'] as {
        rows: { key: string; users: number; churned: number; shareOfChurned: number | null }[];
      }
    ).rows;

  it('computes the cohorts of the users registered in the range, by Beijing day', async () => {
    const r = await cohorts('?by=registration&grain=day&from=2026-10-06&to=2026-10-12');
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    // a1 registered on the 5th in Beijing: out. a2 on the 6th (23:00 UTC on the 5th): in, keyed the 6th.
    expect(rows(r.json).map((x) => [x.key, x.users, x.churned])).toEqual([
      ['2026-10-06', 1, 1],
      ['2026-10-07', 1, 1],
      ['2026-10-12', 1, 0],
    ]);
    // Shares are of the churned users registered in the range.
    expect(rows(r.json).map((x) => x.shareOfChurned)).toEqual([0.5, 0.5, 0]);
    expect((r.json['cohorts'] as { range: unknown }).range).toEqual({
      from: '2026-10-06',
      to: '2026-10-12',
      timeZone: 'Asia/Shanghai',
    });
    // Without a range: every user, UTC days, as before.
    const all = await cohorts('?by=registration&grain=day');
    expect(rows(all.json).map((x) => x.key)).toEqual([
      '2026-09-28',
      '2026-10-05',
      '2026-10-07',
      '2026-10-12',
    ]);
    expect((all.json['cohorts'] as { range: unknown }).range).toBeNull();
  });

  it('applies the range to campaign cohorts too, and refuses a wrong one precisely', async () => {
    const r = await cohorts('?by=campaign&from=2026-10-06&to=2026-10-12');
    expect(rows(r.json).map((x) => [x.key, x.users])).toEqual([
      ['(unknown)', 1],
      ['kol_may', 1],
      ['spring_sale', 1],
    ]);
    const bad = await cohorts('?by=registration&from=2026-10-12&to=2026-10-06');
    expect(bad.status).toBe(400);
    expect(bad.json['error']).toBe('from (2026-10-12) is after to (2026-10-06)');
    const long = await cohorts('?from=2024-01-01&to=2026-10-06');
    expect(long.status).toBe(400);
    expect(String(long.json['error'])).toMatch(/at most 366 days/);
  });
});
