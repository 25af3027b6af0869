import { afterEach, describe, expect, it } from 'vitest';
import { countAudience } from '../src/audience/run-audience.ts';
import type { ScoreConfig } from '../src/core/scores/config.ts';
import { runScoring } from '../src/scores/run-scoring.ts';
import { putScoreConfig } from '../src/scores/score-config.ts';
import {
  DAY,
  NOW,
  TEST_CONFIG,
  daysAgo,
  event,
  openScenario,
  profile,
  seed,
  seedSevenUsers,
  type ScenarioStore,
} from './support/score-scenario.ts';

/**
 * Lifecycle stages, RFM scores and tiers on hand-made users (real DuckDB, PGlite control plane,
 * injected clock), and the transition events between two computations.
 */

let store: ScenarioStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

const open = async (config: ScoreConfig = TEST_CONFIG) => {
  store = await openScenario();
  const put = await putScoreConfig(store, null, { version: 0, config });
  expect(put.ok).toBe(true);
  return store;
};

type Row = {
  user_id: string;
  lifecycle_stage: string;
  rfm_tier: string;
  rfm_r: number | null;
  rfm_f: number | null;
  rfm_m: number | null;
};
const scores = async (s: ScenarioStore) =>
  Object.fromEntries(
    (
      await s.warehouse.query<Row>(
        'SELECT user_id, lifecycle_stage, rfm_tier, rfm_r, rfm_f, rfm_m FROM user_scores ORDER BY user_id',
      )
    ).map((r) => [r.user_id, r]),
  );

const systemEvents = (s: ScenarioStore) =>
  s.warehouse.query<{ user_id: string; event: string; ts: Date; properties: string }>(
    `SELECT user_id, event, ts, properties FROM events WHERE source = 'scores' ORDER BY event, user_id`,
  );

describe('lifecycle stages and RFM tiers', () => {
  it('assigns the stages and tiers worked out by hand', async () => {
    const s = await open();
    await seedSevenUsers(s.warehouse);
    const run = await runScoring(s);
    expect(run.asOf).toBe(NOW);
    expect(run.scores.users).toBe(7);
    const got = await scores(s);
    expect(Object.fromEntries(Object.entries(got).map(([k, v]) => [k, v.lifecycle_stage]))).toEqual({
      n1: 'new', // registered 10 days ago
      n2: 'silent', // registered 20 days ago, never active since: silent, too young to be churned
      g1: 'growing', // 60 days, one order
      m1: 'mature', // 200 days, five orders, active yesterday
      s1: 'silent', // would be mature, but nothing for 20 days
      c1: 'churned', // viewed items 5 days ago, but no login or investment for 45 days
      c2: 'growing', // invested 12 days ago (counts against churn), no orders
    });
    // Fixed bins: recency edges 7/30/90/180 days (5 − edges passed), frequency 1/2/4/8, monetary 100/500/1000/5000.
    expect(got['g1']).toMatchObject({ rfm_r: 4, rfm_f: 1, rfm_m: 1, rfm_tier: 'low' }); // 10 days, 1 order, 50
    expect(got['m1']).toMatchObject({ rfm_r: 5, rfm_f: 4, rfm_m: 4, rfm_tier: 'high' }); // 2 days, 5 orders, 1500
    expect(got['s1']).toMatchObject({ rfm_r: 4, rfm_f: 3, rfm_m: 2, rfm_tier: 'medium' }); // 20 days, 4, 400
    expect(got['c1']).toMatchObject({ rfm_r: 1, rfm_f: 1, rfm_m: 5, rfm_tier: 'low' }); // 200 days, 1, 6000
    for (const u of ['n1', 'n2', 'c2'])
      expect(got[u]).toMatchObject({ rfm_r: null, rfm_f: null, rfm_m: null, rfm_tier: 'none' });
    expect(run.scores.stages).toEqual({ churned: 1, growing: 2, mature: 1, new: 1, silent: 2 });
    expect(run.scores.tiers).toEqual({ high: 1, low: 2, medium: 1, none: 3 });

    // The audience language reads the scores.
    const silent = await countAudience(
      s.warehouse,
      { kind: 'score', score: 'lifecycle_stage', op: 'eq', value: 'silent' },
      { now: NOW },
    );
    expect(silent).toEqual({ ok: true, value: 2 });
  });

  it('writes no transition events the first time, exactly the changes later, and nothing on recompute', async () => {
    const s = await open();
    await seedSevenUsers(s.warehouse);
    const first = await runScoring(s);
    expect([first.scores.tierChanged, first.scores.lifecycleChanged]).toEqual([0, 0]);
    const again = await runScoring(s);
    expect([again.scores.tierChanged, again.scores.lifecycleChanged]).toEqual([0, 0]);
    expect(await systemEvents(s)).toEqual([]);

    // Twenty days later: n1 logged in yesterday, g1 placed a big order 5 days ago, a new user signed up.
    const later = NOW + 20 * DAY;
    await seed(
      s.warehouse,
      [profile('n3', NOW + 15 * DAY)],
      [event('n1', 'login', NOW + 19 * DAY), event('g1', 'order', NOW + 15 * DAY, 6000)],
    );
    s.setNow(later);
    const second = await runScoring(s);
    const got = await scores(s);
    expect(got['g1']).toMatchObject({
      rfm_r: 5,
      rfm_f: 2,
      rfm_m: 5,
      rfm_tier: 'high',
      lifecycle_stage: 'growing',
    });
    expect(second.scores.tierChanged).toBe(1);
    expect(second.scores.lifecycleChanged).toBe(5);
    const events = await systemEvents(s);
    expect(events.map((e) => ({ user: e.user_id, event: e.event, ...JSON.parse(e.properties) }))).toEqual([
      { user: 'c2', event: 'lifecycle_changed', from: 'growing', to: 'churned', runId: second.runId },
      { user: 'm1', event: 'lifecycle_changed', from: 'mature', to: 'silent', runId: second.runId },
      { user: 'n1', event: 'lifecycle_changed', from: 'new', to: 'growing', runId: second.runId },
      { user: 'n2', event: 'lifecycle_changed', from: 'silent', to: 'churned', runId: second.runId },
      { user: 's1', event: 'lifecycle_changed', from: 'silent', to: 'churned', runId: second.runId },
      {
        user: 'g1',
        event: 'tier_changed',
        from: 'low',
        to: 'high',
        scores: { r: 5, f: 2, m: 5 },
        previousScores: { r: 4, f: 1, m: 1 },
        runId: second.runId,
      },
    ]);
    expect(events.every((e) => new Date(e.ts).getTime() === later)).toBe(true);
    // The new user n3 got its first stage without an event.
    expect(got['n3']).toMatchObject({ lifecycle_stage: 'new', rfm_tier: 'none' });

    const third = await runScoring(s);
    expect([third.scores.tierChanged, third.scores.lifecycleChanged]).toEqual([0, 0]);
    expect(await systemEvents(s)).toHaveLength(6);

    // Campaigns trigger on these events like on any other: the audience language sees them.
    const dropped = await countAudience(
      s.warehouse,
      {
        kind: 'did',
        event: 'lifecycle_changed',
        where: [{ property: 'to', op: 'eq', value: 'churned' }],
        window: { type: 'last_days', days: 1 },
      },
      { now: later },
    );
    expect(dropped).toEqual({ ok: true, value: 3 });
  });

  it('bins by quintiles of the buyers, giving equal values equal scores', async () => {
    const s = await open({
      ...TEST_CONFIG,
      rfm: {
        ...TEST_CONFIG.rfm,
        bins: {
          recency: { type: 'quantile' },
          frequency: { type: 'quantile' },
          monetary: { type: 'quantile' },
        },
      },
    });
    // b1..b10 ordered 1..10 times, the last one k days ago, each order worth 10 × k; b11 like b10.
    const users = Array.from(
      { length: 11 },
      (_, i) => `b${String(Math.min(i, 9) + 1).padStart(2, '0')}${i === 10 ? 'x' : ''}`,
    );
    await seed(
      s.warehouse,
      users.map((u) => profile(u, daysAgo(300))),
      users.flatMap((u, i) => {
        const k = Math.min(i, 9) + 1;
        return Array.from({ length: k }, (_, j) => event(u, 'order', daysAgo(k + j * 5), 10 * k));
      }),
    );
    await runScoring(s);
    const got = await scores(s);
    // Frequencies 1..10 (and a second 10): quintile edges 2.8, 4.6, 6.4, 8.2 of the eleven values
    // are shifted by the duplicate, so compute them the way DuckDB does: linear interpolation.
    const values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10];
    const edge = (p: number) => {
      const h = (values.length - 1) * p;
      const lo = Math.floor(h);
      return (values[lo] ?? 0) + (h - lo) * ((values[lo + 1] ?? 0) - (values[lo] ?? 0));
    };
    const edges = [0.2, 0.4, 0.6, 0.8].map(edge);
    const expectedF = (f: number) => 1 + edges.filter((e) => f > e).length;
    for (const [i, u] of users.entries()) {
      const k = Math.min(i, 9) + 1;
      expect(got[u]?.rfm_f, u).toBe(expectedF(k));
    }
    const { user_id: _a, ...b10 } = got['b10'] ?? {};
    const { user_id: _b, ...b10x } = got['b10x'] ?? {};
    expect(b10).toEqual(b10x);
    expect(got['b01']).toMatchObject({ rfm_f: 1, rfm_m: 1, rfm_r: 5 }); // most recent, least
    expect(got['b10']).toMatchObject({ rfm_f: 5, rfm_m: 5, rfm_r: 1 });
  });
});
