import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/demo/prng.ts';
import type { EventRow, IdentifyRow } from '../../src/core/events/rows.ts';
import type { ChurnDefinition } from '../../src/core/models/churn/churn-definition.ts';
import { churnProbability } from '../../src/core/models/churn/churn-model.ts';
import { serializeChurnModel } from '../../src/core/models/churn/model-json.ts';
import { DAY_MS } from '../../src/core/time/units.ts';
import { evaluateChurnModel } from '../../src/models/churn/evaluate.ts';
import { scoreChurnRiskOn } from '../../src/scores/churn-model.ts';
import { churnStructure, type ChurnStructure } from '../../src/scores/churn-structure.ts';
import { DEFAULT_SCORE_CONFIG, type ScoreConfig } from '../../src/core/scores/config.ts';
import { readUserChurnRisk } from '../../src/storage/warehouse/churn-risk.ts';
import {
  extractFeatures,
  planFeatureSpec,
  planFromSpec,
  type FeaturePlan,
  type FeatureSnapshot,
} from '../../src/storage/warehouse/churn-features.ts';
import { insertReasons, knownUsers, reasonsOfUser } from '../../src/storage/warehouse/churn-reasons.ts';
import { recordBuilders } from './record-builders.ts';
import { openEngineWarehouse, type EngineWarehouse, type WarehouseEngine } from './warehouse-engines.ts';

/**
 * The churn model's warehouse statements on one engine (test/churn-engines.test.ts: DuckDB,
 * test/clickhouse/churn-engines.test.ts: ClickHouse): the feature matrix of a few hundred seeded
 * users, three of them checked by hand; on ClickHouse the whole matrix, the trained model and
 * its probabilities are also compared with DuckDB's on the same records.
 */

const CUTOFF = Date.UTC(2026, 6, 1);
const DEFINITION: ChurnDefinition = {
  horizonDays: 30,
  retentionEvents: null,
  activeDays: 90,
  activityEvents: null,
};
const day = (d: number) => CUTOFF + d * DAY_MS;

/** Three users whose features are worked out by hand below, and 300 seeded ones. */
export const churnRecords = (): { events: EventRow[]; identifies: IdentifyRow[] } => {
  const { track, identify } = recordBuilders(Date.UTC(2027, 0, 1));
  const events: EventRow[] = [
    // hand_a: three orders 40 days apart (10, 20, 40), two views in the last week.
    track('hand_a', 'order', day(-100), { order_id: 'a1', amount: 10 }),
    track('hand_a', 'order', day(-60), { order_id: 'a2', amount: 20 }),
    track('hand_a', 'order', day(-20), { order_id: 'a3', amount: 40 }),
    track('hand_a', 'view', day(-5)),
    track('hand_a', 'view', day(-3)),
    track('hand_a', 'view', day(10)),
    // hand_b: one basket of two lines without an order id (one order by day), a view before.
    track('hand_b', 'view', day(-40)),
    track('hand_b', 'order', day(-10), { amount: 5 }),
    track('hand_b', 'order', day(-10) + 3_600_000, { amount: 7 }),
    // hand_c: views only, nothing after the cutoff (churned).
    track('hand_c', 'view', day(-50)),
    track('hand_c', 'view', day(-2)),
  ];
  const identifies: IdentifyRow[] = [
    identify('hand_a', day(-200), {
      acquisition_channel: 'ads',
      register_time: new Date(day(-200)).toISOString(),
    }),
  ];
  const rng = new Rng(20261207, 3);
  const channels = ['ads', 'organic', 'referral'];
  for (let u = 0; u < 300; u++) {
    const id = `u${String(u).padStart(3, '0')}`;
    const start = day(-300 + rng.int(280));
    const stop = start + rng.range(10, 400) * DAY_MS;
    const rate = rng.range(0.02, 0.4);
    const taken = new Set<number>();
    // Distinct times per user: orders at the same instant would make the order sequence's row
    // numbers arbitrary on either engine.
    const at = (t: number) => {
      let x = Math.round(t);
      while (taken.has(x)) x += 1;
      taken.add(x);
      return x;
    };
    let n = 0;
    for (let t = start; t < Math.min(stop, day(60)); t += rng.range(0.2, 2 / rate) * DAY_MS) {
      const roll = rng.next();
      const ts = at(t);
      if (roll < 0.25) {
        const props: Record<string, unknown> = { amount: Math.round(rng.range(5, 300) * 100) / 100 };
        if (rng.chance(0.6)) props['order_id'] = `${id}-o${n++}`;
        events.push(track(id, 'order', ts, props));
        if (rng.chance(0.3)) events.push(track(id, 'order', at(ts + 600_000), { amount: 3.5 }));
      } else events.push(track(id, roll < 0.7 ? 'view' : 'click', ts));
    }
    if (rng.chance(0.7)) {
      const traits: Record<string, unknown> = {
        acquisition_channel: channels[rng.int(3)],
        loyalty_points: rng.int(2000),
      };
      if (rng.chance(0.5)) traits['utm_campaign'] = rng.chance(0.5) ? 'spring' : ' autumn ';
      if (rng.chance(0.7)) traits['register_time'] = new Date(start - rng.int(50) * DAY_MS).toISOString();
      identifies.push(identify(id, start, traits));
    }
  }
  return { events, identifies };
};

/** Feature `name` of user `id` (NaN: missing). */
export const featureOf = (s: FeatureSnapshot, id: string, name: string): number => {
  const r = s.userIds.indexOf(id);
  const j = s.names.indexOf(name);
  if (r < 0 || j < 0) throw new Error(`no ${id} / ${name} in the snapshot`);
  return s.x.values[r * s.x.cols + j] as number;
};

/** Equal within 1e-9 (relative beyond 1), NaN equal to NaN. */
const close = (a: number, b: number, tolerance = 1e-9): boolean =>
  Number.isNaN(a) ? Number.isNaN(b) : Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(a));

/** Where two JSON values differ (numbers within `tolerance`), as paths. */
export const modelDifferences = (a: unknown, b: unknown, tolerance: number, path = '$'): string[] => {
  if (typeof a === 'number' && typeof b === 'number')
    return close(a, b, tolerance) ? [] : [`${path}: ${a} vs ${b}`];
  if (Array.isArray(a) && Array.isArray(b))
    return a.length !== b.length
      ? [`${path}: ${a.length} vs ${b.length} items`]
      : a.flatMap((v, i) => modelDifferences(v, b[i], tolerance, `${path}[${i}]`));
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    if (ka.join() !== kb.join()) return [`${path}: keys ${ka.join()} vs ${kb.join()}`];
    return ka.flatMap((k) =>
      modelDifferences(
        (a as Record<string, unknown>)[k],
        (b as Record<string, unknown>)[k],
        tolerance,
        `${path}.${k}`,
      ),
    );
  }
  return a === b ? [] : [`${path}: ${String(a)} vs ${String(b)}`];
};

/** The (user, feature) cells where two snapshots differ. */
export const snapshotDifferences = (a: FeatureSnapshot, b: FeatureSnapshot): string[] => {
  const out: string[] = [];
  expect(b.userIds).toEqual(a.userIds);
  expect(b.names).toEqual(a.names);
  for (let r = 0; r < a.x.rows; r++)
    for (let j = 0; j < a.x.cols; j++) {
      const x = a.x.values[r * a.x.cols + j] as number;
      const y = b.x.values[r * b.x.cols + j] as number;
      if (!close(x, y)) out.push(`${a.userIds[r]} ${a.names[j]}: ${x} vs ${y}`);
    }
  return out;
};

export const churnSuite = (engine: WarehouseEngine): void => {
  describe(`churn model statements on ${engine}`, () => {
    let w: EngineWarehouse;
    let plan: FeaturePlan;
    let snap: FeatureSnapshot;
    /** DuckDB on the same records: ClickHouse's results are compared with it. */
    let ref: EngineWarehouse | undefined;
    beforeAll(async () => {
      const records = churnRecords();
      w = await openEngineWarehouse(engine, 'churn');
      await w.commit(records);
      if (engine !== 'duckdb') {
        ref = await openEngineWarehouse('duckdb', 'churn-ref');
        await ref.commit(records);
      }
      plan = planFromSpec(await planFeatureSpec(w.sql, { cutoff: CUTOFF }));
      snap = await extractFeatures(w.sql, plan, {
        cutoff: CUTOFF,
        population: DEFINITION,
        label: DEFINITION,
      });
    });
    afterAll(async () => {
      await w.close();
      await ref?.close();
    });

    it('chooses the plan from the event types, channels and registrations', async () => {
      const spec = await planFeatureSpec(w.sql, { cutoff: CUTOFF });
      expect(spec.eventTypes.map((t) => t.event).sort()).toEqual(['click', 'order', 'view']);
      expect(spec.channels.map((c) => c.channel).sort()).toEqual(['ads', 'organic', 'referral']);
      expect(spec.register).toBe(true);
      expect(spec.cadence).toBe(true);
      if (ref) expect(spec).toEqual(await planFeatureSpec(ref.sql, { cutoff: CUTOFF }));
    });

    it('computes the hand-checked features of three users', () => {
      expect(snap.userIds.length).toBeGreaterThan(100);
      const a = (n: string) => featureOf(snap, 'hand_a', n);
      expect(a('events_total')).toBe(5);
      expect(a('events_7d')).toBe(2);
      expect(a('events_30d')).toBe(3);
      expect(a('events_90d')).toBe(4);
      expect(a('events_trend_30d')).toBeCloseTo(Math.log(4 / 2), 12);
      expect(a('active_days_30d')).toBe(3);
      expect(a('days_since_last_event')).toBe(3);
      expect(a('tenure_days')).toBe(100);
      expect(a('orders_total')).toBe(3);
      expect(a('orders_90d')).toBe(2);
      expect(a('days_since_last_order')).toBe(20);
      expect(a('order_interval_days')).toBe(40);
      expect(a('order_recency_ratio')).toBe(0.5);
      expect(a('amount_sum_90d')).toBe(60);
      expect(a('amount_avg_90d')).toBe(30);
      expect(a('amount_max_365d')).toBe(40);
      expect(a('order_count')).toBe(3);
      expect(a('repeat_buyer')).toBe(1);
      expect(a('order_gap_mean_log')).toBeCloseTo(Math.log(41), 12);
      expect(a('order_gap_median_log')).toBeCloseTo(Math.log(41), 12);
      expect(a('order_gap_cv')).toBe(0);
      expect(a('order_gap_slope')).toBeCloseTo(0, 12);
      // Amounts 10, 20, 40 over orders 1, 2, 3: slope cov/var = 10 / (2/3) = 15.
      expect(a('order_value_slope')).toBeCloseTo(Math.log(16), 12);
      expect(a('order_value_mean_log')).toBeCloseTo(Math.log(1 + 70 / 3), 12);
      expect(a('overdue_share')).toBeCloseTo(0.5 / 3, 12);
      expect(a('overdue_poisson')).toBeCloseTo(1 - Math.exp(-0.5), 12);
      expect(a('orders_per_30d')).toBeCloseTo(90 / 130, 12);
      expect(a('channel_ads')).toBe(1);
      expect(a('channel_organic')).toBe(0);
      expect(a('days_since_register')).toBe(200);

      const b = (n: string) => featureOf(snap, 'hand_b', n);
      expect(b('orders_total')).toBe(2);
      expect(b('order_count')).toBe(1);
      expect(b('order_interval_days')).toBeCloseTo(1 / 24, 12);
      expect(b('order_gap_mean_log')).toBeNaN();
      expect(b('order_gap_cv')).toBeNaN();
      expect(b('order_value_slope')).toBeNaN();
      expect(b('order_value_mean_log')).toBeCloseTo(Math.log(13), 12);
      expect(b('order_value_trend')).toBe(0);
      expect(b('overdue_share')).toBe(0.5);
      expect(b('repeat_buyer')).toBe(0);
      expect(b('channel_ads')).toBe(0);
      expect(b('days_since_register')).toBeNaN();

      const c = (n: string) => featureOf(snap, 'hand_c', n);
      expect(c('orders_total')).toBe(0);
      expect(c('days_since_last_order')).toBeNaN();
      expect(c('amount_sum_90d')).toBe(0);
      expect(c('amount_avg_90d')).toBeNaN();
      expect(c('order_count_log')).toBe(0);
      expect(c('order_value_mean_log')).toBe(0);
      expect(c('order_recency_log')).toBeNaN();
      expect(c('overdue_share')).toBeNaN();

      const y = (id: string) => snap.y?.[snap.userIds.indexOf(id)];
      expect([y('hand_a'), y('hand_b'), y('hand_c')]).toEqual([0, 1, 1]);
    });

    it.runIf(engine !== 'duckdb')('gives the feature matrix and labels DuckDB gives', async () => {
      const other = await extractFeatures((ref as EngineWarehouse).sql, plan, {
        cutoff: CUTOFF,
        population: DEFINITION,
        label: DEFINITION,
      });
      expect(snapshotDifferences(other, snap)).toEqual([]);
      expect(Array.from(snap.y ?? [])).toEqual(Array.from(other.y ?? []));
      // Every feature is exercised: not all missing, not all equal.
      for (let j = 0; j < snap.x.cols; j++) {
        const col = new Set(
          Array.from({ length: snap.x.rows }, (_, r) => snap.x.values[r * snap.x.cols + j]),
        );
        expect(col.size, snap.names[j]).toBeGreaterThan(1);
      }
    });

    it('trains and evaluates a model on the warehouse (the same one as on DuckDB)', async () => {
      const options = {
        cutoff: day(30),
        definition: DEFINITION,
        plan,
        trainSnapshots: 2,
        gbdt: { maxRounds: 20 },
        peers: false,
      };
      const { model, data } = await evaluateChurnModel(w.sql, options);
      expect(data.test.x.rows).toBeGreaterThan(50);
      const p = churnProbability(model, data.test.x);
      expect(p.every((v) => v > 0 && v < 1)).toBe(true);
      if (ref) {
        const theirs = await evaluateChurnModel(ref.sql, options);
        expect(snapshotDifferences(theirs.data.train, data.train)).toEqual([]);
        // The features are equal within rounding, not bit for bit: the engines add amounts and
        // gaps in different orders (sums, means, variances, slopes differ in the last bits of 13
        // features). Iterative fits (the regression, Platt's calibration) stop at a tolerance, so
        // those bits move their numbers by up to ~1e-8: the same model within 1e-6, and its
        // probabilities within 1e-7.
        expect(
          modelDifferences(
            JSON.parse(serializeChurnModel(theirs.model)),
            JSON.parse(serializeChurnModel(model)),
            1e-6,
          ),
        ).toEqual([]);
        expect(theirs.model.kind).toBe(model.kind);
        const q = churnProbability(theirs.model, theirs.data.test.x);
        expect(Array.from(p).filter((v, i) => !close(v, q[i] as number, 1e-7))).toEqual([]);
      }
    });

    it('scores the users with a trained model and reads each risk and reasons back (as on DuckDB)', async () => {
      const { model } = await evaluateChurnModel(ref?.sql ?? w.sql, {
        cutoff: day(30),
        definition: DEFINITION,
        plan,
        trainSnapshots: 2,
        gbdt: { maxRounds: 20 },
        candidates: ['gbdt'],
        peers: false,
      });
      const loaded = {
        model,
        plan,
        record: { id: 'cm_test', version: 1, params: { definition: DEFINITION } },
      };
      const levels = { high: 70, medium: 40 };
      const score = (on: EngineWarehouse) =>
        scoreChurnRiskOn(on.sql, loaded, { asOf: CUTOFF, levels, scoredAt: () => day(1) });
      const run = await score(w);
      expect(run.users).toBe(snap.userIds.length);
      expect(run.levels.high + run.levels.medium + run.levels.low).toBe(run.users);
      const risks = async (on: EngineWarehouse) => {
        const out = [];
        for (const id of ['hand_a', 'hand_b', 'hand_c', ...snap.userIds.slice(0, 20)])
          out.push(await readUserChurnRisk(on.sql, id));
        return out;
      };
      const mine = await risks(w);
      for (const r of mine) {
        expect(r?.score).toBeGreaterThanOrEqual(0);
        expect(r?.model).toEqual({ id: 'cm_test', version: 1, asOf: CUTOFF });
        expect(r?.reasons.length).toBeLessThanOrEqual(3);
      }
      if (ref) {
        const theirRun = await score(ref);
        expect(theirRun.levels).toEqual(run.levels);
        const theirs = await risks(ref);
        expect(mine.map((r) => [r?.score, r?.level, r?.reasons.map((x) => [x.rank, x.feature])])).toEqual(
          theirs.map((r) => [r?.score, r?.level, r?.reasons.map((x) => [x.rank, x.feature])]),
        );
      }
    });

    it('stores call-back reasons and reads them back', async () => {
      expect([...(await knownUsers(w.sql, ['hand_a', 'nobody']))]).toEqual(['hand_a']);
      const answer = (on: EngineWarehouse) =>
        insertReasons(
          on.sql,
          [
            { userId: 'hand_a', reason: 'price', note: null, answeredAt: day(-3) },
            { userId: 'hand_a', reason: 'service', note: 'slow', answeredAt: day(-2) },
          ],
          { recordedAt: day(-1), recordedBy: 'tester', source: 'test' },
        );
      const stored = await answer(w);
      if (ref) await answer(ref);
      expect(stored).toHaveLength(2);
      const back = await reasonsOfUser(w.sql, 'hand_a');
      expect(back.map((r) => [r.reason, r.note, r.answeredAt, r.recordedAt])).toEqual([
        ['service', 'slow', day(-2), day(-1)],
        ['price', null, day(-3), day(-1)],
      ]);
      const traits = await w.sql.query<{ t: string }>(`SELECT traits AS t FROM profiles WHERE user_id = $1`, [
        'hand_a',
      ]);
      const t = JSON.parse(traits[0]?.t ?? '{}') as Record<string, unknown>;
      expect(t['churn_reason']).toBe('service');
      expect(t['churn_reason_at']).toBe(new Date(day(-2)).toISOString());
    });
    it('analyses the churn structure (stages, channels, cohorts, metric profiles, reasons) as DuckDB does', async () => {
      const config: ScoreConfig = {
        ...DEFAULT_SCORE_CONFIG,
        analysis: {
          ...DEFAULT_SCORE_CONFIG.analysis,
          profile: [
            ...DEFAULT_SCORE_CONFIG.analysis.profile,
            { kind: 'attribute', name: 'points', attribute: 'loyalty_points', edges: [100, 500, 1000] },
            { kind: 'event', name: 'views', event: 'view', fn: 'count' },
          ],
        },
      };
      const asks = [
        { by: 'registration', grain: 'month' },
        {
          by: 'registration',
          grain: 'week',
          range: { fromMs: day(-300), toMs: day(0), timeZone: 'Asia/Tokyo', from: 'a', to: 'b' },
        },
        {
          by: 'registration',
          grain: 'day',
          range: { fromMs: day(-200), toMs: day(-100), timeZone: 'America/New_York', from: 'a', to: 'b' },
        },
        { by: 'campaign', grain: 'month' },
        {
          by: 'channel',
          grain: 'month',
          range: { fromMs: day(-250), toMs: day(-20), timeZone: 'UTC', from: 'a', to: 'b' },
        },
      ] as const;
      const analyse = async (on: EngineWarehouse) => {
        const out: Omit<ChurnStructure, 'elapsedMs'>[] = [];
        for (const a of asks) {
          const { elapsedMs: _, ...r } = await churnStructure(on.sql, config, CUTOFF, a);
          out.push(r);
        }
        return out;
      };
      const mine = await analyse(w);
      const first = mine[0] as Omit<ChurnStructure, 'elapsedMs'>;
      expect(first.users).toBeGreaterThan(150);
      expect(first.currentStages.reduce((a, s) => a + s.users, 0)).toBe(first.users);
      expect(first.eligible + first.tooNew).toBe(first.users);
      expect(first.profile.map((m) => m.name)).toContain('points');
      expect(first.cohorts.rows.length).toBeGreaterThan(3);
      // hand_a's latest answer, stored by the test before; churned by the default definition
      // (none of its churn events: app_open, login, invest).
      expect(first.reasons).toEqual([{ reason: 'service', users: 1, churned: 1 }]);
      expect(mine[3]?.cohorts.rows.map((r) => r.key).sort()).toEqual(['(unknown)', 'autumn', 'spring']);
      if (ref) expect(modelDifferences(await analyse(ref), mine, 1e-9)).toEqual([]);
    });
  });
};
