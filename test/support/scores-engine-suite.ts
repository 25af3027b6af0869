import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compileAudience } from '../../src/core/audience/compiler.ts';
import type { EventRow } from '../../src/core/events/rows.ts';
import { analyseCohort } from '../../src/core/models/btyd/analysis.ts';
import { ratePerUnit } from '../../src/core/models/btyd/ltv.ts';
import { summariseTransactions } from '../../src/core/models/btyd/summary.ts';
import { parseCdnowText, parseIsoDate } from '../../src/core/models/btyd/transactions.ts';
import { runScoring } from '../../src/scores/run-scoring.ts';
import { putScoreConfigRow } from '../../src/storage/control/score-configs.ts';
import { migrate } from '../../src/storage/control/migrate.ts';
import { openSqlClient } from '../../src/storage/control/sql-client.ts';
import { bindMasterKeys } from '../../src/storage/control/workspace-secrets.ts';
import { cdnowDir } from './shared-data.ts';
import { valueModelSettings } from '../../src/core/scores/config.ts';
import { scoresQuery } from '../../src/core/scores/scoring-sql.ts';
import { Params, type CompiledQuery } from '../../src/core/sql/params.ts';
import type { SqlDialect } from '../../src/core/sql/dialect.ts';
import {
  readUserChurnRisk,
  writeChurnRisk,
  latestChurnRiskRunModel,
  type ChurnRiskRunInfo,
} from '../../src/storage/warehouse/churn-risk.ts';
import { usersPerRiskBin, usersPerRiskLevel } from '../../src/storage/warehouse/risk-distribution.ts';
import { readScoreSummary, writeScores, lastComputedAt } from '../../src/storage/warehouse/user-scores.ts';
import {
  lastWrittenValueRunAt,
  readLatestValueModelRun,
  readPurchaseLines,
  writeValueModelRun,
} from '../../src/storage/warehouse/value-model.ts';
import { applyWarningRules, warnedByRule, warnedCounts } from '../../src/storage/warehouse/warning-state.ts';
import { openEngineWarehouse, type EngineWarehouse, type WarehouseEngine } from './warehouse-engines.ts';
import { DAY, NOW, TEST_CONFIG, daysAgo, event, profile, sevenUsers } from './score-scenario.ts';

/**
 * The scores statements on either engine (test/scores-engines.test.ts: DuckDB,
 * test/clickhouse/scores-engines.test.ts: ClickHouse), on the seven hand-made users of
 * score-scenario.ts whose stages and tiers are worked out in test/scores-lifecycle-rfm.test.ts.
 */

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

/** The profiles among `ids`, as a rule's members query in the dialect (no audience compiler needed). */
const membersOf = (d: SqlDialect, ids: readonly string[]): CompiledQuery => {
  const p = new Params(0, d);
  return {
    sql: `SELECT user_id FROM profiles WHERE user_id IN (${ids.map((id) => p.add(id)).join(', ')})`,
    params: p.values,
  };
};

const churnRun = (asOf: number, levels: ChurnRiskRunInfo['levels']): ChurnRiskRunInfo => ({
  modelId: 'model-a',
  modelVersion: 2,
  asOf,
  scoredAt: asOf + 1000,
  levels,
});

/** Every stored column of the users, to see what one writer leaves of another's. */
const allScores = async (w: EngineWarehouse) =>
  (
    await w.sql.query<Record<string, unknown>>(
      `SELECT user_id, lifecycle_stage, rfm_tier, churn_risk_score, churn_risk_level, p_alive, ltv
       FROM user_scores ORDER BY user_id`,
    )
  ).map((r) => Object.values(r).map((v) => (typeof v === 'bigint' ? Number(v) : v)));

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
      if (engine === 'clickhouse')
        // The runs' staged rows are gone (ddl-scores.ts).
        expect(Number(await w.sql.scalar('SELECT count() FROM score_staging'))).toBe(0);
      const summary = await readScoreSummary(w.sql);
      expect(summary).toEqual({
        users: 8,
        computedAt: later,
        stages: { churned: 4, growing: 2, new: 1, silent: 1 },
        tiers: { high: 2, low: 1, medium: 1, none: 4 },
      });
    });

    it('bins by quintiles of the buyers, giving equal values equal scores', async () => {
      const w = await open();
      // Ten buyers 1..10 days ago, buyer k with k orders of 100 (b10 ties b09 on money).
      const identifies = Array.from({ length: 10 }, (_, i) =>
        profile(`b${String(i + 1).padStart(2, '0')}`, daysAgo(400)),
      );
      const events = identifies.flatMap((u, i) =>
        Array.from({ length: i + 1 }, (_, k) =>
          event(u.userId, 'order', daysAgo(i + 1 + k * 0), i === 9 ? 90 : 100),
        ),
      );
      await w.commit({ identifies, events });
      const quintiles = { type: 'quantile' } as const;
      const config = {
        ...TEST_CONFIG,
        rfm: { ...TEST_CONFIG.rfm, bins: { recency: quintiles, frequency: quintiles, monetary: quintiles } },
      };
      await writeScores(w.sql, scoresQuery(config, NOW, w.sql.dialect), { id: 'q1', now: NOW });
      const got = await storedScores(w);
      // Recency days 1..10, frequency 1..10, money 100..900 then 900 (b10: 10 × 90): quintile edges
      // fall between every second buyer, so pairs share a score; b09 and b10 tie on money.
      expect(Object.values(got).map((v) => v.rfm)).toEqual([
        [5, 1, 1],
        [5, 1, 1],
        [4, 2, 2],
        [4, 2, 2],
        [3, 3, 3],
        [3, 3, 3],
        [2, 4, 4],
        [2, 4, 4],
        [1, 5, 5],
        [1, 5, 5],
      ]);
    });

    it("replaces churn risk and keeps the other writers' columns, and reads the distribution", async () => {
      const w = await open();
      await w.commit(sevenUsers());
      await writeScores(w.sql, scoresQuery(TEST_CONFIG, NOW, w.sql.dialect), { id: 'run1', now: NOW });
      const first = await writeChurnRisk(
        w.sql,
        [
          { userId: 'c1', score: 91.5, level: 'high' },
          { userId: 's1', score: 45, level: 'medium' },
          { userId: 'g1', score: 5, level: 'low' },
        ],
        [
          { userId: 'c1', rank: 1, feature: 'days_since_login', contribution: 1.25, value: 45 },
          { userId: 'c1', rank: 2, feature: 'orders', contribution: 0.5, value: null },
        ],
        churnRun(NOW, { high: 1, medium: 1, low: 1 }),
      );
      expect(first).toEqual({ users: 3, cleared: 0, reasons: 2 });
      expect(await readUserChurnRisk(w.sql, 'c1')).toEqual({
        userId: 'c1',
        score: 91.5,
        level: 'high',
        model: { id: 'model-a', version: 2, asOf: NOW },
        reasons: [
          { rank: 1, feature: 'days_since_login', contribution: 1.25, value: 45 },
          { rank: 2, feature: 'orders', contribution: 0.5, value: null },
        ],
      });
      expect(await readUserChurnRisk(w.sql, 'n1')).toEqual({
        userId: 'n1',
        score: null,
        level: null,
        model: null,
        reasons: [],
      });
      expect(await readUserChurnRisk(w.sql, 'nobody')).toBeNull();

      // Next run: g1 is no longer scored, s1 rises, m1 is new.
      const second = await writeChurnRisk(
        w.sql,
        [
          { userId: 'c1', score: 95, level: 'high' },
          { userId: 's1', score: 80, level: 'high' },
          { userId: 'm1', score: 12, level: 'low' },
        ],
        [{ userId: 's1', rank: 1, feature: 'orders', contribution: 2, value: 4 }],
        churnRun(NOW + DAY, { high: 2, medium: 0, low: 1 }),
      );
      expect(second).toEqual({ users: 3, cleared: 1, reasons: 1 });
      expect(await latestChurnRiskRunModel(w.sql)).toBe('model-a');
      expect((await readUserChurnRisk(w.sql, 'c1'))?.reasons).toEqual([]);
      const changes = (
        await w.sql.query<{ user_id: string; ts: Date; properties: string }>(
          `SELECT user_id, ts, properties FROM events WHERE event = 'churn_risk_changed' ORDER BY user_id`,
        )
      ).map((e) => ({ user: e.user_id, ts: e.ts.getTime(), ...(JSON.parse(e.properties) as object) }));
      expect(changes).toEqual([
        {
          user: 's1',
          ts: NOW + DAY + 1000,
          from: 'medium',
          to: 'high',
          score: 80,
          previousScore: 45,
          rise: true,
          modelVersion: 2,
        },
      ]);
      expect([...(await usersPerRiskBin(w.sql))]).toEqual([
        [1, 1],
        [8, 1],
        [9, 1],
      ]);
      expect(await usersPerRiskLevel(w.sql)).toEqual([
        { level: 'high', users: 2 },
        { level: 'low', users: 1 },
      ]);
      // A scoring run afterwards keeps the risk; the risk runs kept the stages.
      await writeScores(w.sql, scoresQuery(TEST_CONFIG, NOW, w.sql.dialect), { id: 'run2', now: NOW });
      expect(await allScores(w)).toEqual([
        ['c1', 'churned', 'low', 95, 'high', null, null],
        ['c2', 'growing', 'none', null, null, null, null],
        ['g1', 'growing', 'low', null, null, null, null],
        ['m1', 'mature', 'high', 12, 'low', null, null],
        ['n1', 'new', 'none', null, null, null, null],
        ['n2', 'silent', 'none', null, null, null, null],
        ['s1', 'silent', 'medium', 80, 'high', null, null],
      ]);
    });

    it('raises a warning once per spell and clears it when the user stops matching', async () => {
      const w = await open();
      await w.commit(sevenUsers());
      const d = w.sql.dialect;
      const rule = (ids: string[]) => ({
        id: 'r1',
        name: 'Quiet',
        level: 'critical',
        members: membersOf(d, ids),
      });
      const first = await applyWarningRules(w.sql, [rule(['s1', 'c1'])], { id: 'w1', now: NOW });
      expect(first).toEqual({
        rules: [{ ruleId: 'r1', matching: 2, raised: 2, cleared: 0 }],
        clearedByRemovedRules: 0,
      });
      const second = await applyWarningRules(w.sql, [rule(['s1', 'm1'])], { id: 'w2', now: NOW + DAY });
      expect(second.rules).toEqual([{ ruleId: 'r1', matching: 2, raised: 1, cleared: 1 }]);
      expect(await warnedByRule(w.sql, 'r1', { limit: 10 })).toEqual([
        { userId: 'm1', level: 'critical', raisedAt: NOW + DAY },
        { userId: 's1', level: 'critical', raisedAt: NOW },
      ]);
      expect(await warnedByRule(w.sql, 'r1', { after: 'm1', limit: 10 })).toEqual([
        { userId: 's1', level: 'critical', raisedAt: NOW },
      ]);
      expect([...(await warnedCounts(w.sql))]).toEqual([['r1', 2]]);
      const raised = (
        await w.sql.query<{ user_id: string; properties: string }>(
          `SELECT user_id, properties FROM events WHERE event = 'warning_raised' ORDER BY user_id`,
        )
      ).map((e) => [e.user_id, JSON.parse(e.properties) as unknown]);
      expect(raised).toEqual([
        ['c1', { ruleId: 'r1', rule: 'Quiet', level: 'critical', runId: 'w1' }],
        ['m1', { ruleId: 'r1', rule: 'Quiet', level: 'critical', runId: 'w2' }],
        ['s1', { ruleId: 'r1', rule: 'Quiet', level: 'critical', runId: 'w1' }],
      ]);
      // The rule is gone: nobody is warned by it.
      const third = await applyWarningRules(w.sql, [], { id: 'w3', now: NOW + 2 * DAY });
      expect(third).toEqual({ rules: [], clearedByRemovedRules: 2 });
      expect([...(await warnedCounts(w.sql))]).toEqual([]);
      if (engine === 'clickhouse')
        expect(Number(await w.sql.scalar('SELECT count() FROM warning_staging'))).toBe(0);
    });

    it('reads the purchase lines and writes and reads value-model runs', async () => {
      const w = await open();
      await w.commit(sevenUsers());
      const settings = valueModelSettings(TEST_CONFIG);
      const lines = await readPurchaseLines(w.sql, settings, NOW);
      expect(lines.filter((l) => l.userId === 'g1' || l.userId === 'c1')).toEqual([
        { userId: 'c1', ts: daysAgo(200), amount: 6000, orderId: '', refund: false },
        { userId: 'g1', ts: daysAgo(10), amount: 50, orderId: '', refund: false },
      ]);
      expect(lines).toHaveLength(11);
      expect(await lastWrittenValueRunAt(w.sql)).toBeNull();
      expect(await readLatestValueModelRun(w.sql)).toBeNull();
      const run = {
        runId: 'v1',
        asOf: NOW,
        settings,
        customers: 4,
        repeatCustomers: 2,
        bgnbd: null,
        gammaGamma: null,
        converged: true,
        logLikelihood: -12.5,
        warnings: [],
        summary: { meanPAlive: 0.5, likelyGone: 1, expectedPurchases: 2, meanLtv: 10, totalLtv: 20 },
      };
      const score = (userId: string, ltv: number) => ({
        userId,
        pAlive: 0.5,
        expectedPurchases: 1,
        expectedSpend: 2,
        ltv,
      });
      expect(await writeValueModelRun(w.sql, run, [score('g1', 10), score('m1', 30)])).toEqual({
        users: 2,
        cleared: 0,
      });
      await writeScores(w.sql, scoresQuery(TEST_CONFIG, NOW, w.sql.dialect), { id: 's1', now: NOW });
      expect(
        await writeValueModelRun(w.sql, { ...run, runId: 'v2', asOf: NOW + DAY }, [score('m1', 40)]),
      ).toEqual({ users: 1, cleared: 1 });
      // An untrusted fit records its run and leaves the figures as they are.
      expect(
        await writeValueModelRun(
          w.sql,
          { ...run, runId: 'v3', asOf: NOW + 2 * DAY, logLikelihood: null },
          null,
        ),
      ).toEqual({ users: 0, cleared: 0 });
      expect(await lastWrittenValueRunAt(w.sql)).toBe(NOW + DAY);
      expect(await readLatestValueModelRun(w.sql)).toEqual({
        ...run,
        runId: 'v3',
        asOf: NOW + 2 * DAY,
        logLikelihood: null,
        written: false,
        users: 0,
      });
      const rows = await allScores(w);
      expect(rows.filter((r) => r[0] === 'g1' || r[0] === 'm1')).toEqual([
        ['g1', 'growing', 'low', null, null, null, null],
        ['m1', 'mature', 'high', null, null, 0.5, 40],
      ]);
    });

    it('runs a whole scoring run on the CDNOW sample with the known value-model fit', async () => {
      const w = await open();
      const sample = join(cdnowDir(), 'CDNOW_sample.txt');
      expect(existsSync(sample), `${sample} (shared/ beside the repository)`).toBe(true);
      const parsed = parseCdnowText('cdnow-sample', readFileSync(sample, 'utf8'));
      if (!parsed.ok) throw new Error(parsed.error.reason);
      const transactions = parsed.value;
      // As test/value-model.test.ts: the calibration end at noon, each line an order at 10:00.
      const calEnd = parseIsoDate('1997-09-30')!;
      const asOf = calEnd * DAY + 12 * 3_600_000;
      const events = transactions.map((t, i): EventRow => ({
        ...event(t.customerId, 'order', t.day * DAY + 10 * 3_600_000, t.amount),
        messageId: `cdnow-${i}`,
      }));
      await w.commit({
        identifies: [profile('1', asOf - 400 * DAY), profile('4', asOf - 400 * DAY)],
        events,
      });
      const control = await openSqlClient({ pgliteDir: 'memory://' });
      try {
        await migrate(control);
        bindMasterKeys(control, { current: randomBytes(32), previous: [] });
        const ctx = { control, warehouse: w.sql, clock: () => asOf };
        // The row itself: putScoreConfig's context still names the DuckDB warehouse.
        expect(
          await putScoreConfigRow(control, {
            workspaceId: 'default',
            config: TEST_CONFIG,
            expectedVersion: 0,
            at: asOf,
            by: null,
          }),
        ).toBe(true);
        const run = await runScoring(ctx, 'default', { now: asOf });
        expect(run.valueModel.warnings).toEqual([]);
        expect([run.valueModel.customers, run.valueModel.users]).toEqual([2357, 2357]);
        // Every buyer has a profile (first seen at the first order): all are scored.
        expect(run.scores.users).toBe(2357);
        // The btyd CLI's fit on the same transactions in user-id order (test/value-model.test.ts).
        const byId = [...transactions].sort((p, q) =>
          p.customerId < q.customerId ? -1 : p.customerId > q.customerId ? 1 : 0,
        );
        const cli = analyseCohort(summariseTransactions(byId, { calibrationEnd: calEnd, timeUnit: 'day' }), {
          ltv: { horizon: 365, steps: 13, discountRate: ratePerUnit(0.1, 'day'), margin: 1 },
        });
        if (!cli.ok) throw new Error(cli.error.reason);
        const latest = await readLatestValueModelRun(w.sql);
        expect(latest).toMatchObject({ written: true, customers: 2357, converged: true, users: 2357 });
        const bg = latest!.bgnbd!;
        for (const k of ['r', 'alpha', 'a', 'b'] as const)
          expect(Math.abs(bg.params[k] - cli.value.bgnbd[k])).toBeLessThan(1e-6);
        expect(bg.params.alpha / 7).toBeCloseTo(4.41, 1);
        expect(bg.params.r).toBeCloseTo(0.243, 2);
        expect(Number(await w.sql.scalar('SELECT count(*) FROM user_scores WHERE ltv IS NOT NULL'))).toBe(
          2357,
        );
        const one = await w.sql.query<{ lifecycle_stage: string | null; ltv: number | null }>(
          `SELECT lifecycle_stage, ltv FROM user_scores WHERE user_id = '1'`,
        );
        expect(one).toHaveLength(1);
        expect(one[0]!.lifecycle_stage).not.toBeNull();
        expect(one[0]!.ltv).not.toBeNull();
      } finally {
        await control.close();
      }
    });

    it('applies a rule compiled by the audience compiler in the warehouse dialect', async () => {
      const w = await open();
      await w.commit(sevenUsers());
      const members = compileAudience(
        {
          kind: 'and',
          children: [
            { kind: 'did_not', event: 'login', window: { type: 'last_days', days: 15 } },
            { kind: 'attribute', attribute: 'balance', op: 'lt', value: 100 },
          ],
        },
        { now: NOW, resolve: () => undefined, dialect: w.sql.dialect },
      );
      if (!members.ok) throw new Error(JSON.stringify(members.error));
      const rule = { id: 'r1', name: 'Quiet and poor', level: 'warning', members: members.value };
      const out = await applyWarningRules(w.sql, [rule], { id: 'w1', now: NOW });
      // No login in 15 days: n2, s1, c1, c2; balance under 100: n1, n2, g1, s1, c1.
      expect(out.rules).toEqual([{ ruleId: 'r1', matching: 3, raised: 3, cleared: 0 }]);
      expect((await warnedByRule(w.sql, 'r1', { limit: 10 })).map((x) => x.userId)).toEqual([
        'c1',
        'n2',
        's1',
      ]);
    });

    it('reads the RFM amount from an event property as DuckDB casts it', async () => {
      const w = await open();
      const at = (u: string, d: number, price: unknown) => ({
        ...event(u, 'order', daysAgo(d)),
        properties: JSON.stringify({ price }),
      });
      await w.commit({
        identifies: ['p1', 'p2', 'p3', 'p4'].map((u) => profile(u, daysAgo(100))),
        // p1: numbers; p2: a numeric text; p3: no number (text, boolean, missing); p4: none at all.
        events: [
          at('p1', 5, 300),
          at('p1', 6, 250.5),
          at('p2', 5, '1200'),
          at('p3', 5, 'lots'),
          at('p3', 6, true),
        ],
      });
      const config = { ...TEST_CONFIG, rfm: { ...TEST_CONFIG.rfm, amount: 'price' } };
      await writeScores(w.sql, scoresQuery(config, NOW, w.sql.dialect), { id: 'p', now: NOW });
      // Monetary edges 100/500/1000/5000: 550.5 → 3, 1200 → 4, 0 → 1 (nobody logged in: churned).
      expect(await storedScores(w)).toEqual({
        p1: { stage: 'churned', tier: 'medium', rfm: [5, 2, 3] },
        p2: { stage: 'churned', tier: 'medium', rfm: [5, 1, 4] },
        p3: { stage: 'churned', tier: 'medium', rfm: [5, 2, 1] },
        p4: { stage: 'churned', tier: 'none', rfm: null },
      });
    });
  });
};
