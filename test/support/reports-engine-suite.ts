import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compare, groupOutcome } from '../../src/reports/groups.ts';
import type { WarehouseSql } from '../../src/storage/warehouse-sql.ts';
import { activityByWeek } from '../../src/storage/warehouse/activity-over-time.ts';
import { latestChurnRiskRuns, recallRelapsesBetween } from '../../src/storage/warehouse/alert-facts.ts';
import { campaignTotals } from '../../src/storage/warehouse/campaign-totals.ts';
import { messageFactsBy, messageTotals } from '../../src/storage/warehouse/message-outcomes.ts';
import {
  periodPerCampaign,
  periodTotals,
  unsubscribesBy,
} from '../../src/storage/warehouse/period-messages.ts';
import {
  convertedCohort,
  insertRelapseEvents,
  relapseStates,
  type CohortScope,
} from '../../src/storage/warehouse/recall-cohorts.ts';
import { funnelBetween } from '../../src/storage/warehouse/recall-funnel.ts';
import { interactionsOfUsers } from '../../src/storage/warehouse/user-interactions.ts';
import {
  latestEvents,
  latestMessages,
  profileColumns,
  scoresOf,
} from '../../src/storage/warehouse/user-timeline.ts';
import { campaignArmCounts, variantCounts } from '../../src/storage/warehouse/variant-outcomes.ts';
import { zoneDays } from '../../src/storage/zone-days.ts';
import { recordBuilders } from './record-builders.ts';
import { openEngineWarehouse, type EngineWarehouse, type WarehouseEngine } from './warehouse-engines.ts';

/**
 * The report statements (src/storage/warehouse/*: message outcomes, variants, campaign totals,
 * period report, recall cohorts and relapse, funnel, activity, user timeline, interactions, alert
 * facts) over one small data set with figures worked out by hand. On ClickHouse every answer is
 * also compared with DuckDB's over the same data (a DuckDB warehouse opened beside it).
 */

const H = 3_600_000;
const D = 24 * H;
/** Monday 2 March 2026, 00:00 UTC (ISO week 10). */
const T0 = Date.UTC(2026, 2, 2);

// [message_id, campaign, run, variant, user, channel, status, at, cost]
type Fact = [
  string,
  string | null,
  string | null,
  string | null,
  string,
  string,
  string,
  number,
  number | null,
];
const FACTS: Fact[] = [
  ['m1', 'c1', 'r1', 'A', 'u1', 'push', 'sent', T0 + H, 0.5],
  ['m1', 'c1', 'r1', 'A', 'u1', 'push', 'delivered', T0 + 2 * H, null],
  ['m1', 'c1', 'r1', 'A', 'u1', 'push', 'clicked', T0 + 3 * H, null],
  ['m2', 'c1', 'r1', 'A', 'u2', 'push', 'sent', T0 + H, 0.5],
  ['m2', 'c1', 'r1', 'A', 'u2', 'push', 'delivered', T0 + 2 * H, null],
  ['m3', 'c1', 'r1', 'B', 'u3', 'sms', 'sent', T0 + D + H, 1],
  ['m3', 'c1', 'r1', 'B', 'u3', 'sms', 'unsubscribed', T0 + D + 5 * H, null],
  ['m4', 'c1', 'r1', 'B', 'u4', 'sms', 'failed', T0 + D + H, null],
  ['m5', 'c1', 'r1', 'A', 'u1', 'push', 'sent', T0 + D + 2 * H, 0.5],
  ['m6', 'c2', 'r2', null, 'u5', 'push', 'sent', T0 + 2 * H, 0.25],
  ['m7', 'c2', 'r2', null, 'u1', 'email', 'sent', T0 + 8 * D, 0],
];

// [event message id, user, at, revenue, idempotency key, campaign, run, variant, channel, message at]
type Conversion = [
  string,
  string,
  number,
  number | null,
  string,
  string,
  string,
  string | null,
  string,
  number,
];
const CONVERSIONS: Conversion[] = [
  ['e1', 'u1', T0 + 5 * H, 30, 'm1', 'c1', 'r1', 'A', 'push', T0 + H],
  ['e2', 'u3', T0 + D + 6 * H, 20, 'm3', 'c1', 'r1', 'B', 'sms', T0 + D + H],
  ['e3', 'u5', T0 + 3 * H, null, 'm6', 'c2', 'r2', null, 'push', T0 + 2 * H],
  ['e4', 'u6', T0 + 10 * D, 5, 'x9', 'c3', 'r3', null, 'push', T0 + 9 * D],
];

/** The users' own events and one Rekindle wrote (`tier_changed`, never activity). */
const EVENTS: [string, string, number, Record<string, unknown>][] = [
  ['u1', 'purchase', T0 + 5 * H, { amount: 30 }],
  ['u1', 'tier_changed', T0 + D, {}],
  ['u1', 'purchase', T0 + 2 * D, { amount: 10 }],
  ['u1', 'view', T0 + 8 * D, {}],
  ['u2', 'purchase', T0 - D, {}],
  ['u2', 'purchase', T0 + 4 * D, {}],
  ['u3', 'purchase', T0 + D + 6 * H, {}],
  ['u3', 'tier_changed', T0 + 2 * D, {}],
  ['u7', 'purchase', T0 + D, {}],
  ['u8', 'purchase', T0 + H, {}],
  ['u9', 'view', T0 + 9 * D, { product_id: 'p1', category: 'shoes' }],
  ['u9', 'add_to_cart', T0 + 13 * D, { product_id: 'p2', category: 'bags' }],
];

const SCOPE: CohortScope = { event: 'purchase', windowMs: 3 * D, campaignId: 'c1', runIds: ['r1'] };

/** A nullable number parameter cast to the column's type (ClickHouse types a NULL as text). */
const num = (sql: WarehouseSql, p: string): string =>
  sql.dialect.name === 'duckdb' ? `CAST(${p} AS DOUBLE)` : `CAST(${p} AS Nullable(Float64))`;

const hasRelation = async (sql: WarehouseSql, name: string): Promise<boolean> =>
  sql.dialect.name === 'duckdb' ||
  Number(
    await sql.scalar('SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = $1', [
      name,
    ]),
  ) > 0;

const hasColumn = async (sql: WarehouseSql, table: string, column: string): Promise<boolean> =>
  sql.dialect.name === 'duckdb' ||
  Number(
    await sql.scalar(
      'SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = $1 AND name = $2',
      [table, column],
    ),
  ) > 0;

/** Stores the data set; the planner's decisions and churn runs only where their tables exist. */
const seed = async (w: EngineWarehouse): Promise<void> => {
  const { track, identify } = recordBuilders(T0 + 20 * D);
  await w.commit({
    events: EVENTS.map(([u, e, at, props]) => track(u, e, at, props)),
    identifies: [identify('u1', T0 - 2 * D, { city: 'Paris', email: 'u1@example.com' })],
  });
  const sql = w.sql;
  const t = (p: string) => sql.dialect.timeFromMs(p);
  for (const [id, campaign, run, variant, user, channel, status, at, cost] of FACTS)
    await sql.write(
      `INSERT INTO message_facts (message_id, campaign_id, run_id, step, variant, user_id, channel, status, ts, cost, revenue, properties)
       SELECT $1, $2, $3, NULL, $4, $5, $6, $7, ${t('$8')}, ${num(sql, '$9')}, NULL, '{}'`,
      [id, campaign, run, variant, user, channel, status, at, cost],
    );
  for (const [id, user, at, revenue, key, campaign, run, variant, channel, messageAt] of CONVERSIONS)
    await sql.write(
      `INSERT INTO conversions (event_message_id, user_id, event, ts, revenue, idempotency_key, campaign_id, run_id,
         variant, channel, message_ts, attributed_at)
       SELECT $1, $2, 'purchase', ${t('$3')}, ${num(sql, '$4')}, $5, $6, $7, $8, $9, ${t('$10')}, ${t('$3')}`,
      [id, user, at, revenue, key, campaign, run, variant, channel, messageAt],
    );
  if (await hasRelation(sql, 'plan_decisions'))
    for (const [user, reason, at] of [
      ['u7', null, T0],
      ['u8', 'cooldown', T0],
    ] as const)
      await sql.write(
        `INSERT INTO plan_decisions (run_id, campaign_id, slot_at, user_id, decision, reason, detail)
         SELECT 'r1', 'c1', ${t('$1')}, $2, 'holdout', $3, NULL`,
        [at, user, reason],
      );
  if (await hasRelation(sql, 'churn_risk_runs'))
    for (const [asOf, scoredAt, high] of [
      [T0, T0 + H, 4],
      [T0 + D, T0 + D + H, 7],
      [T0 + 2 * D, T0 + 2 * D + H, 9],
    ] as const)
      await sql.write(
        `INSERT INTO churn_risk_runs (model_id, model_version, as_of, scored_at, users, high, medium, low)
         SELECT 'm', 1, ${t('$1')}, ${t('$2')}, 100, $3, 10, 10`,
        [asOf, scoredAt, high],
      );
};

/** Counts as numbers (DuckDB answers some as bigint), everything else as is. */
const plain = (v: unknown): unknown =>
  typeof v === 'bigint'
    ? Number(v)
    : v instanceof Date || v === null || typeof v !== 'object'
      ? v
      : Array.isArray(v)
        ? v.map(plain)
        : v instanceof Map
          ? new Map([...v].map(([k, x]) => [k, plain(x)]))
          : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));

const byKey =
  <K extends string>(key: K) =>
  (rows: readonly Record<K, unknown>[]): Record<K, unknown>[] =>
    [...rows].sort((a, b) => String(a[key]).localeCompare(String(b[key])));

export const reportsSuite = (engine: WarehouseEngine): void => {
  describe(`report statements on ${engine}`, () => {
    let w: EngineWarehouse;
    let ref: EngineWarehouse | undefined;
    beforeAll(async () => {
      w = await openEngineWarehouse(engine, 'reports');
      await seed(w);
      if (engine !== 'duckdb') {
        ref = await openEngineWarehouse('duckdb');
        await seed(ref);
      }
    });
    afterAll(async () => {
      await w.close();
      await ref?.close();
    });

    /** The statement's answer on this engine, checked equal to DuckDB's where this is another engine. */
    const answer = async <T>(f: (sql: WarehouseSql) => Promise<T>): Promise<unknown> => {
      const got = plain(await f(w.sql));
      if (ref !== undefined) expect(got).toEqual(plain(await f(ref.sql)));
      return got;
    };

    const now = T0 + 20 * D;
    const group = (k: string, n: Partial<Record<string, number>>) => ({
      k,
      sent: 0,
      delivered: 0,
      failed: 0,
      unknown: 0,
      clicked: 0,
      unsubscribed: 0,
      users: 0,
      converted: 0,
      revenue: 0,
      cost: 0,
      ...n,
    });

    it('folds message facts per variant, per channel and per zoned day', async () => {
      const utc = zoneDays('UTC', null, now);
      expect(await answer((s) => messageFactsBy(s, 'c1', 'variant', utc))).toEqual([
        group('A', { sent: 3, delivered: 2, clicked: 1, users: 2, converted: 1, revenue: 30, cost: 1.5 }),
        group('B', { sent: 1, failed: 1, unsubscribed: 1, users: 1, converted: 1, revenue: 20, cost: 1 }),
      ]);
      expect(await answer((s) => messageFactsBy(s, 'c1', 'channel', utc))).toEqual([
        group('push', { sent: 3, delivered: 2, clicked: 1, users: 2, converted: 1, revenue: 30, cost: 1.5 }),
        group('sms', { sent: 1, failed: 1, unsubscribed: 1, users: 1, converted: 1, revenue: 20, cost: 1 }),
      ]);
      expect(await answer((s) => messageFactsBy(s, 'c1', 'day', utc))).toEqual([
        group('2026-03-02', {
          sent: 2,
          delivered: 2,
          clicked: 1,
          users: 2,
          converted: 1,
          revenue: 30,
          cost: 1,
        }),
        group('2026-03-03', {
          sent: 2,
          failed: 1,
          unsubscribed: 1,
          users: 2,
          converted: 1,
          revenue: 20,
          cost: 1.5,
        }),
      ]);
      // Los Angeles is 8 hours behind in early March: the first sends fall on 1 March there.
      const la = zoneDays('America/Los_Angeles', null, now);
      const days = (await answer((s) => messageFactsBy(s, 'c1', 'day', la))) as { k: string; sent: number }[];
      expect(days.map((g) => [g.k, g.sent])).toEqual([
        ['2026-03-01', 2],
        ['2026-03-02', 2],
      ]);
      // A window of one UTC day keeps only the messages sent in it.
      const second = zoneDays('UTC', { fromMs: T0 + D, toMs: T0 + 2 * D }, now);
      expect(await answer((s) => messageFactsBy(s, 'c1', 'variant', second))).toEqual([
        group('A', { sent: 1, users: 1, cost: 0.5 }),
        group('B', { sent: 1, failed: 1, unsubscribed: 1, users: 1, converted: 1, revenue: 20, cost: 1 }),
      ]);
    });

    it('totals distinct users sent and converted, with and without a window', async () => {
      expect(await answer((s) => messageTotals(s, 'c1', zoneDays('UTC', null, now)))).toEqual(
        group('total', { users: 3, converted: 2 }),
      );
      const second = zoneDays('UTC', { fromMs: T0 + D, toMs: T0 + 2 * D }, now);
      expect(await answer((s) => messageTotals(s, 'c1', second))).toEqual(
        group('total', { users: 2, converted: 1 }),
      );
      expect(await answer((s) => messageTotals(s, 'c9', zoneDays('UTC', null, now)))).toEqual(
        group('total', {}),
      );
    });

    it('counts A/B variants and campaign arms', async () => {
      expect(await answer(async (s) => byKey('variant')(await variantCounts(s, 'c1')))).toEqual([
        { variant: 'A', users: 2, sent: 3, clicked: 1, converted: 1 },
        { variant: 'B', users: 1, sent: 1, clicked: 0, converted: 1 },
      ]);
      expect(
        await answer(async (s) => byKey('campaign_id')(await campaignArmCounts(s, ['c1', 'c2', 'c9']))),
      ).toEqual([
        { campaign_id: 'c1', users: 3, converted: 2 },
        { campaign_id: 'c2', users: 2, converted: 1 },
        { campaign_id: 'c9', users: 0, converted: 0 },
      ]);
    });

    it('totals every campaign, one with conversions only included', async () => {
      expect(await answer(async (s) => byKey('campaign_id')(await campaignTotals(s)))).toEqual([
        { campaign_id: 'c1', sent: 4, converted: 2 },
        { campaign_id: 'c2', sent: 2, converted: 1 },
        { campaign_id: 'c3', sent: 0, converted: 1 },
      ]);
    });

    it('reports a period per campaign, in total and by day and ISO week', async () => {
      const day1 = { campaignIds: ['c1', 'c2'], fromMs: T0, toMs: T0 + D };
      expect(await answer((s) => periodPerCampaign(s, day1))).toEqual([
        { campaign_id: 'c1', sent: 2, users: 2, converted: 1, revenue: 30, cost: 1 },
        { campaign_id: 'c2', sent: 1, users: 1, converted: 1, revenue: 0, cost: 0.25 },
      ]);
      expect(await answer((s) => periodTotals(s, day1))).toEqual({ reached: 3, converted: 2 });
      const twoWeeks = { campaignIds: ['c1', 'c2'], fromMs: T0, toMs: T0 + 14 * D };
      expect(await answer((s) => unsubscribesBy(s, twoWeeks, 'day'))).toEqual([
        { p: '2026-03-02', sent: 3, unsub: 0 },
        { p: '2026-03-03', sent: 2, unsub: 1 },
        { p: '2026-03-10', sent: 1, unsub: 0 },
      ]);
      expect(await answer((s) => unsubscribesBy(s, twoWeeks, 'week'))).toEqual([
        { p: '2026-W10', sent: 5, unsub: 1 },
        { p: '2026-W11', sent: 1, unsub: 0 },
      ]);
    });

    it('counts the recall funnel in a range', async () => {
      // Most messages first; ties (one message each) come in no fixed order, so they are compared sorted.
      expect((await funnelBetween(w.sql, T0, T0 + 2 * D)).statuses.slice(0, 2)).toEqual([
        { status: 'sent', messages: 5 },
        { status: 'delivered', messages: 2 },
      ]);
      const f = (await answer(async (s) => {
        const x = await funnelBetween(s, T0, T0 + 2 * D);
        return { ...x, statuses: byKey('status')(x.statuses) };
      })) as Awaited<ReturnType<typeof funnelBetween>>;
      expect(f.statuses).toEqual([
        { status: 'clicked', messages: 1 },
        { status: 'delivered', messages: 2 },
        { status: 'failed', messages: 1 },
        { status: 'sent', messages: 5 },
        { status: 'unsubscribed', messages: 1 },
      ]);
      expect({ ...f, statuses: [] }).toEqual({
        statuses: [],
        recipients: 5,
        cost: 2.75,
        conversions: 3,
        revenue: 50,
      });
    });

    it('finds the treated cohort, its repurchases and its weekly activity', async () => {
      const c = await answer((s) =>
        convertedCohort(s, 'treated', SCOPE, { repurchaseDays: 30, retentionWeeks: 4 }),
      );
      expect(c).toEqual({
        users: 2,
        repurchasers: 1,
        repurchases: 1,
        averageAmount: 20,
        activeByWeek: new Map([
          [1, 1],
          [2, 1],
        ]),
      });
      const short = await answer((s) =>
        convertedCohort(
          s,
          'treated',
          { ...SCOPE, runIds: ['nope'] },
          { repurchaseDays: 30, retentionWeeks: 4 },
        ),
      );
      expect(short).toEqual({
        users: 0,
        repurchasers: 0,
        repurchases: 0,
        averageAmount: null,
        activeByWeek: new Map(),
      });
    });

    it('finds the holdout cohort from the planner decisions', async (ctx) => {
      if (!(await hasRelation(w.sql, 'decided_members'))) ctx.skip();
      const c = await answer((s) =>
        convertedCohort(s, 'holdout', SCOPE, { repurchaseDays: 30, retentionWeeks: 4 }),
      );
      // u7 converted a day after the slot; u8 was skipped with a reason, so is no control member.
      expect(c).toEqual({
        users: 1,
        repurchasers: 0,
        repurchases: 0,
        averageAmount: null,
        activeByWeek: new Map(),
      });
    });

    it('measures the lift of the treated group over the holdout', async (ctx) => {
      if (!(await hasRelation(w.sql, 'decided_members'))) ctx.skip();
      const scope = { campaignIds: ['c1'], runIds: ['r1'], channel: '' };
      const goal = { event: 'purchase', withinDays: 3 };
      const outcome = (s: WarehouseSql) =>
        Promise.all([groupOutcome(s, 'treated', scope, goal), groupOutcome(s, 'holdout', scope, goal)]);
      const [treated, holdout] = (await answer(outcome)) as Awaited<ReturnType<typeof outcome>>;
      // Treated: u1 and u3 bought within 3 days of their first send, u2 only after 4; held out:
      // u7 bought a day after the slot (u8 was skipped with a reason, so is no control member).
      expect([treated.users, treated.converted, holdout.users, holdout.converted]).toEqual([3, 2, 1, 1]);
      expect(compare(treated, holdout)?.absoluteLift).toBeCloseTo(2 / 3 - 1, 12);
    });

    it('tells retained, relapsed and watching users apart', async () => {
      const states = (r: { now: number; convertedFrom?: number }) =>
        answer((s) => relapseStates(s, SCOPE, { silentMs: 3 * D, ...r }));
      expect(await states({ now: T0 + 10 * D })).toEqual([
        {
          userId: 'u1',
          convertedAt: T0 + 5 * H,
          status: 'retained',
          backAt: T0 + 2 * D,
          lastActiveAt: T0 + 8 * D,
        },
        { userId: 'u3', convertedAt: T0 + D + 6 * H, status: 'relapsed', backAt: null, lastActiveAt: null },
      ]);
      expect(await states({ now: T0 + 3 * D })).toEqual([
        {
          userId: 'u1',
          convertedAt: T0 + 5 * H,
          status: 'retained',
          backAt: T0 + 2 * D,
          lastActiveAt: T0 + 2 * D,
        },
        { userId: 'u3', convertedAt: T0 + D + 6 * H, status: 'watching', backAt: null, lastActiveAt: null },
      ]);
      expect(await states({ now: T0 + 10 * D, convertedFrom: T0 + D })).toEqual([
        { userId: 'u3', convertedAt: T0 + D + 6 * H, status: 'relapsed', backAt: null, lastActiveAt: null },
      ]);
    });

    it('writes one relapse event per relapsed user, once, and the alert facts count it', async () => {
      const sweep = (s: WarehouseSql) =>
        insertRelapseEvents(s, SCOPE, {
          silentMs: 3 * D,
          now: T0 + 10 * D,
          silentDays: 3,
          messagePrefix: 'relapse:c1',
          event: 'recall_relapsed',
          source: 'reports',
        });
      expect(await answer(sweep)).toBe(1);
      expect(await answer(sweep)).toBe(0);
      const written = await answer((s) =>
        s.query(
          `SELECT message_id, user_id, event, ts, properties, source FROM events WHERE event = 'recall_relapsed'`,
        ),
      );
      expect(written).toEqual([
        {
          message_id: 'relapse:c1:u3',
          user_id: 'u3',
          event: 'recall_relapsed',
          ts: new Date(T0 + 4 * D + 6 * H),
          properties: '{"campaignId":"c1","convertedAt":"2026-03-03T06:00:00.000Z","silentDays":3}',
          source: 'reports',
        },
      ]);
      expect(await answer((s) => recallRelapsesBetween(s, T0, T0 + 10 * D))).toBe(1);
      expect(await answer((s) => recallRelapsesBetween(s, T0 + 4 * D + 6 * H, T0 + 10 * D))).toBe(0);
    });

    it('counts active, silent and churned users at each week end', async () => {
      const rows = await answer((s) =>
        activityByWeek(s, {
          start: T0 + 12 * H,
          end: T0 + 14 * D + 12 * H,
          weeks: 3,
          activeDays: 3,
          churnDays: 7,
        }),
      );
      expect(rows).toEqual([
        { at: new Date(T0 + 12 * H), active: 3, silent: 0, churned: 0 },
        { at: new Date(T0 + 7 * D + 12 * H), active: 0, silent: 4, churned: 1 },
        { at: new Date(T0 + 14 * D + 12 * H), active: 1, silent: 1, churned: 4 },
      ]);
    });

    it("reads a user's profile, latest events and messages", async () => {
      const p = await answer(async (s) => {
        const r = await profileColumns(s, 'u1');
        return [r?.['user_id'], r?.['city'], r?.['email'], r?.['first_seen']];
      });
      expect(p).toEqual(['u1', 'Paris', 'u1@example.com', new Date(T0 - 2 * D)]);
      expect(await answer((s) => profileColumns(s, 'nobody'))).toBeUndefined();
      expect(await answer((s) => latestEvents(s, 'u1', 2))).toEqual([
        { event: 'view', ts: new Date(T0 + 8 * D), amount: null, category: null, platform: null },
        { event: 'purchase', ts: new Date(T0 + 2 * D), amount: 10, category: null, platform: null },
      ]);
      expect(await answer((s) => latestMessages(s, 'u1', 2))).toEqual([
        {
          campaignId: 'c2',
          channel: 'email',
          status: 'sent',
          step: null,
          variant: null,
          ts: new Date(T0 + 8 * D),
        },
        {
          campaignId: 'c1',
          channel: 'push',
          status: 'sent',
          step: null,
          variant: 'A',
          ts: new Date(T0 + D + 2 * H),
        },
      ]);
    });

    it("reads users' interactions with items", async () => {
      // The warehouse's order is no fixed one: each user's interactions are compared in time order.
      const sorted = await answer(async (s) => {
        const m = await interactionsOfUsers(s, ['u9', 'u1', 'u2'], ['view', 'add_to_cart'], T0, T0 + 20 * D);
        return new Map([...m].map(([u, xs]) => [u, [...xs].sort((a, b) => a.at - b.at)]));
      });
      expect(sorted).toEqual(
        new Map([
          [
            'u9',
            [
              { event: 'view', itemId: 'p1', category: 'shoes', at: T0 + 9 * D },
              { event: 'add_to_cart', itemId: 'p2', category: 'bags', at: T0 + 13 * D },
            ],
          ],
          ['u1', [{ event: 'view', itemId: null, category: null, at: T0 + 8 * D }]],
        ]),
      );
    });

    it('answers empty figures where nothing happened', async () => {
      expect(await answer((s) => funnelBetween(s, T0 + 100 * D, T0 + 101 * D))).toEqual({
        statuses: [],
        recipients: 0,
        cost: 0,
        conversions: 0,
        revenue: 0,
      });
      const none = { campaignIds: ['c9'], fromMs: T0, toMs: T0 + 14 * D };
      expect(await answer((s) => periodPerCampaign(s, none))).toEqual([]);
      expect(await answer((s) => periodTotals(s, none))).toEqual({ reached: 0, converted: 0 });
      expect(await answer((s) => unsubscribesBy(s, none, 'week'))).toEqual([]);
      expect(await answer((s) => variantCounts(s, 'c9'))).toEqual([]);
      expect(await answer((s) => messageFactsBy(s, 'c9', 'day', zoneDays('UTC', null, now)))).toEqual([]);
      expect(
        await answer((s) => activityByWeek(s, { start: T0, end: T0, weeks: 0, activeDays: 3, churnDays: 7 })),
      ).toEqual([]);
      expect(await answer((s) => relapseStates(s, { ...SCOPE, runIds: [] }, { silentMs: D, now }))).toEqual(
        [],
      );
      expect(await answer((s) => latestEvents(s, 'nobody', 5))).toEqual([]);
    });

    it('reads the two latest churn-risk runs', async (ctx) => {
      if (!(await hasRelation(w.sql, 'churn_risk_runs'))) ctx.skip();
      expect(await answer((s) => latestChurnRiskRuns(s))).toEqual([
        { scoredAt: T0 + 2 * D + H, high: 9 },
        { scoredAt: T0 + D + H, high: 7 },
      ]);
    });

    it("reads a user's scores: none before scoring", async (ctx) => {
      // scoresOf reads the value model's columns, which ClickHouse's user_scores gets with the scores area.
      if (!(await hasColumn(w.sql, 'user_scores', 'p_alive'))) ctx.skip();
      expect(await answer((s) => scoresOf(s, 'u1'))).toBeNull();
    });
  });
};
