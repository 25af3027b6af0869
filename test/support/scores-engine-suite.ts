import { afterEach, describe, expect, it } from 'vitest';
import { scoresQuery } from '../../src/core/scores/scoring-sql.ts';
import { readScoreSummary, writeScores, lastComputedAt } from '../../src/storage/warehouse/user-scores.ts';
import { openEngineWarehouse, type EngineWarehouse, type WarehouseEngine } from './warehouse-engines.ts';
import { DAY, NOW, TEST_CONFIG, daysAgo, event, profile } from './score-scenario.ts';

/**
 * The scores statements on either engine (test/scores-engines.test.ts: DuckDB,
 * test/clickhouse/scores-engines.test.ts: ClickHouse), on the seven hand-made users of
 * score-scenario.ts whose stages and tiers are worked out in test/scores-lifecycle-rfm.test.ts.
 */

const sevenUsers = () => ({
  identifies: [
    profile('n1', daysAgo(10), { acquisition_channel: 'distribution', balance: 0 }),
    profile('n2', daysAgo(20), { acquisition_channel: 'social', balance: 0 }),
    profile('g1', daysAgo(60), { acquisition_channel: 'distribution', balance: 50 }),
    profile('m1', daysAgo(200), { acquisition_channel: 'organic', balance: 1000 }),
    profile('s1', daysAgo(200), { acquisition_channel: 'organic', balance: 20 }),
    profile('c1', daysAgo(300), { acquisition_channel: 'distribution', balance: 0 }),
    profile('c2', daysAgo(100), { acquisition_channel: 'social', balance: 300 }),
  ],
  events: [
    event('n1', 'login', daysAgo(2)),
    event('g1', 'login', daysAgo(3)),
    event('g1', 'order', daysAgo(10), 50),
    event('m1', 'login', daysAgo(1)),
    ...[2, 20, 40, 60, 100].map((d) => event('m1', 'order', daysAgo(d), 300)),
    event('s1', 'login', daysAgo(20)),
    ...[20, 25, 50, 150].map((d) => event('s1', 'order', daysAgo(d), 100)),
    event('c1', 'login', daysAgo(45)),
    event('c1', 'view_item', daysAgo(5)),
    event('c1', 'order', daysAgo(200), 6000),
    event('c2', 'invest', daysAgo(12), 1000),
  ],
});

type ScoreRow = {
  user_id: string;
  lifecycle_stage: string | null;
  rfm_tier: string | null;
  rfm_r: number | null;
  rfm_f: number | null;
  rfm_m: number | null;
};

const storedScores = async (w: EngineWarehouse) =>
  Object.fromEntries(
    (
      await w.sql.query<ScoreRow>(
        'SELECT user_id, lifecycle_stage, rfm_tier, rfm_r, rfm_f, rfm_m FROM user_scores ORDER BY user_id',
      )
    ).map((r) => [
      r.user_id,
      {
        stage: r.lifecycle_stage,
        tier: r.rfm_tier,
        rfm: r.rfm_r === null ? null : [Number(r.rfm_r), Number(r.rfm_f), Number(r.rfm_m)],
      },
    ]),
  );

const systemEvents = async (w: EngineWarehouse) =>
  (
    await w.sql.query<{ user_id: string; event: string; ts: Date; properties: string }>(
      `SELECT user_id, event, ts, properties FROM events WHERE source = 'scores' ORDER BY event, user_id`,
    )
  ).map((e) => ({
    user: e.user_id,
    event: e.event,
    ts: e.ts.getTime(),
    ...(JSON.parse(e.properties) as object),
  }));

/** The stages and scores test/scores-lifecycle-rfm.test.ts works out by hand at NOW. */
export const SEVEN_AT_NOW = {
  c1: { stage: 'churned', tier: 'low', rfm: [1, 1, 5] },
  c2: { stage: 'growing', tier: 'none', rfm: null },
  g1: { stage: 'growing', tier: 'low', rfm: [4, 1, 1] },
  m1: { stage: 'mature', tier: 'high', rfm: [5, 4, 4] },
  n1: { stage: 'new', tier: 'none', rfm: null },
  n2: { stage: 'silent', tier: 'none', rfm: null },
  s1: { stage: 'silent', tier: 'medium', rfm: [4, 3, 2] },
};

export const scoresSuite = (engine: WarehouseEngine) => {
  let w: EngineWarehouse | undefined;
  const open = async () => {
    w = await openEngineWarehouse(engine, 'scores');
    return w;
  };
  afterEach(async () => {
    await w?.close();
    w = undefined;
  });

  describe(`scores on ${engine}`, () => {
    it('writes the stages and tiers worked out by hand, then only the transitions, and reruns replace', async () => {
      const w = await open();
      await w.commit(sevenUsers());
      const d = w.sql.dialect;
      expect(await lastComputedAt(w.sql)).toBeNull();
      const first = await writeScores(w.sql, scoresQuery(TEST_CONFIG, NOW, d), { id: 'run1', now: NOW });
      expect(first).toEqual({
        users: 7,
        stages: { churned: 1, growing: 2, mature: 1, new: 1, silent: 2 },
        tiers: { high: 1, low: 2, medium: 1, none: 3 },
        tierChanged: 0,
        lifecycleChanged: 0,
      });
      expect(await storedScores(w)).toEqual(SEVEN_AT_NOW);
      const again = await writeScores(w.sql, scoresQuery(TEST_CONFIG, NOW, d), { id: 'run2', now: NOW });
      expect([again.tierChanged, again.lifecycleChanged]).toEqual([0, 0]);
      expect(Number(await w.sql.scalar('SELECT count(*) FROM user_scores'))).toBe(7);
      expect(await systemEvents(w)).toEqual([]);
      expect(await lastComputedAt(w.sql)).toBe(NOW);

      // Twenty days later (test/scores-lifecycle-rfm.test.ts): n1 logged in, g1 ordered big, n3 signed up.
      const later = NOW + 20 * DAY;
      await w.commit({
        identifies: [profile('n3', NOW + 15 * DAY)],
        events: [event('n1', 'login', NOW + 19 * DAY), event('g1', 'order', NOW + 15 * DAY, 6000)],
      });
      const second = await writeScores(w.sql, scoresQuery(TEST_CONFIG, later, d), { id: 'run3', now: later });
      expect([second.users, second.tierChanged, second.lifecycleChanged]).toEqual([8, 1, 5]);
      const got = await storedScores(w);
      expect(got['g1']).toEqual({ stage: 'growing', tier: 'high', rfm: [5, 2, 5] });
      expect(got['n3']).toEqual({ stage: 'new', tier: 'none', rfm: null });
      expect(Number(await w.sql.scalar('SELECT count(*) FROM user_scores'))).toBe(8);
      const events = await systemEvents(w);
      expect(events.filter((e) => e.event === 'lifecycle_changed')).toEqual([
        { user: 'c2', event: 'lifecycle_changed', ts: later, from: 'growing', to: 'churned', runId: 'run3' },
        { user: 'm1', event: 'lifecycle_changed', ts: later, from: 'mature', to: 'silent', runId: 'run3' },
        { user: 'n1', event: 'lifecycle_changed', ts: later, from: 'new', to: 'growing', runId: 'run3' },
        { user: 'n2', event: 'lifecycle_changed', ts: later, from: 'silent', to: 'churned', runId: 'run3' },
        { user: 's1', event: 'lifecycle_changed', ts: later, from: 'silent', to: 'churned', runId: 'run3' },
      ]);
      expect(events.filter((e) => e.event === 'tier_changed')).toEqual([
        {
          user: 'g1',
          event: 'tier_changed',
          ts: later,
          from: 'low',
          to: 'high',
          scores: { r: 5, f: 2, m: 5 },
          previousScores: { r: 4, f: 1, m: 1 },
          runId: 'run3',
        },
      ]);
      const summary = await readScoreSummary(w.sql);
      expect(summary).toEqual({
        users: 8,
        computedAt: later,
        stages: { churned: 4, growing: 2, new: 1, silent: 1 },
        tiers: { high: 2, low: 1, medium: 1, none: 4 },
      });
    });
  });
};
