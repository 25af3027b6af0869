import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../src/core/auth/roles.ts';

import type { ChurnModel } from '../src/core/models/churn/churn-model.ts';
import { rocAuc } from '../src/core/models/churn/metrics/ranking.ts';
import { churnProbability as predictProbability } from '../src/core/models/churn/churn-model.ts';
import { DEFAULT_SCORE_CONFIG } from '../src/core/scores/config.ts';
import { countAudience } from '../src/audience/run-audience.ts';
import { loadDemo } from '../src/demo/load-demo.ts';
import { extractFeatures } from '../src/storage/warehouse/churn-features.ts';
import {
  DEFAULT_RISK_LEVELS,
  listChurnModels,
  loadChurnModel,
  predictChurnAt,
  scoreChurnRisk,
  trainChurnModel,
  type ChurnModelRecord,
  type ChurnScoringRun,
} from '../src/scores/churn-model.ts';
import { Command } from 'commander';
import { registerChurnModelCommands } from '../src/cli/commands/churn-model.ts';
import { startScoreSchedule } from '../src/scores/schedule.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { startTestServer, type TestServer } from './support/runtime.ts';
import { DAY_MS } from '../src/core/time/units.ts';

/**
 * The churn model on the warehouse (B6) on the `small` demo data (10 k users, seed 42): train
 * with the workspace churn definition, store versions, reload with identical predictions, score
 * risk levels and reasons, read them from audiences and over HTTP with permissions.
 */
const NOW = Date.UTC(2026, 5, 1);

let server: TestServer;
let model1: { record: ChurnModelRecord; model: ChurnModel };
let run: ChurnScoringRun;

beforeAll(async () => {
  server = await startTestServer({ clock: () => NOW });
  await loadDemo(server.rt.warehouse, { size: 'small', seed: 42, now: NOW });
}, 120_000);
afterAll(async () => {
  await server.stop();
  server.cleanup();
});

const tokenFor = async (name: string, role: Role) => {
  const u = await createUser(server.rt.control, { name, role });
  if (!u.ok) throw new Error('user exists');
  return issueApiToken(server.rt.control, u.value.id);
};

const call = async (method: string, path: string, token: string, body?: unknown) => {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : null) as Record<string, unknown> };
};

describe('churn model on the small demo data', () => {
  it('trains with the churn definition and beats the recency baseline; stored as version 1', async () => {
    model1 = await trainChurnModel(server.rt);
    const { record } = model1;
    const m = record.metrics;
    expect(record.version).toBe(1);
    expect(record.active).toBe(true);
    expect(record.params.horizonDays).toBe(DEFAULT_SCORE_CONFIG.churn.days);
    expect(record.params.definition.retentionEvents).toEqual(DEFAULT_SCORE_CONFIG.churn.events);
    expect(record.params.cutoff).toBe(new Date(NOW - 30 * DAY_MS).toISOString());
    expect(record.params.trainCutoff).toBe(new Date(NOW - 60 * DAY_MS).toISOString());
    expect(m.auc).toBeGreaterThan(0.6);
    expect(m.auc).toBeGreaterThan(m.baselineRecencyAuc);
    expect(m.prAuc).toBeGreaterThan(m.churnRate);
    expect(m.threshold.precision).toBeGreaterThan(0);
    expect(m.threshold.recall).toBeGreaterThan(0);
    expect(m.calibration).toHaveLength(10);
    console.log(
      `churn model v1: ${m.n} users (${(100 * m.churnRate).toFixed(1)} % churned), AUC ${m.auc.toFixed(4)}, ` +
        `PR-AUC ${m.prAuc.toFixed(4)}, recency ${m.baselineRecencyAuc.toFixed(4)}, logistic ${m.logisticAuc.toFixed(4)}, ` +
        `threshold ${m.threshold.threshold.toFixed(3)} P ${m.threshold.precision.toFixed(3)} R ${m.threshold.recall.toFixed(3)}, ` +
        `Brier ${m.brier.toFixed(4)}, ${m.trees} trees, ${m.trainingSeconds.toFixed(1)} s; calibration ` +
        m.calibration.map((b) => `${b.meanPredicted.toFixed(2)}→${b.observedRate.toFixed(2)}`).join(' '),
    );
  }, 60_000);

  it('reloads the stored model with identical predictions and metrics', async () => {
    const loaded = await loadChurnModel(server.rt, 'default', model1.record.id);
    expect(loaded.model.featureNames).toEqual(model1.model.featureNames);
    const now = await predictChurnAt(server.rt.warehouse, loaded, NOW);
    expect(now.userIds.length).toBeGreaterThan(1000);
    const original = predictProbability(model1.model, now.x);
    for (const i of [0, 1, 17, 500, now.userIds.length - 1]) expect(now.probability[i]).toBe(original[i]);
    expect(Array.from(now.probability)).toEqual(Array.from(original));
    // The stored AUC is reproduced from the rebuilt feature plan at the stored cutoff.
    const cutoff = Date.parse(loaded.record.params.cutoff);
    const snap = await extractFeatures(server.rt.warehouse, loaded.plan, {
      cutoff,
      population: loaded.record.params.definition,
      label: loaded.record.params.definition,
    });
    expect(rocAuc(predictProbability(loaded.model, snap.x), snap.y as Uint8Array)).toBe(
      model1.record.metrics.auc,
    );
  });

  it('scores every eligible user with a level, a 0–100 score and at most three known reasons', async () => {
    const started = performance.now();
    run = await scoreChurnRisk(server.rt);
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `scored ${run.users} users in ${seconds.toFixed(2)} s (${JSON.stringify(run.ms)}); levels ${JSON.stringify(run.levels)}`,
    );
    expect(run.modelVersion).toBe(1);
    const wh = server.rt.warehouse;
    const eligible = Number(
      await wh.scalar(
        `SELECT count(DISTINCT user_id) FROM events WHERE ts < $1 AND ts >= $2 AND event IN ('app_open', 'login', 'invest')`,
        [new Date(NOW).toISOString(), new Date(NOW - 30 * DAY_MS).toISOString()],
      ),
    );
    expect(run.users).toBe(eligible);
    expect(run.levels.high + run.levels.medium + run.levels.low).toBe(eligible);
    const stats = (
      await wh.query<{ n: bigint; lo: number; hi: number; fractional: bigint; high: bigint }>(
        `SELECT count(*) AS n, min(churn_risk_score) AS lo, max(churn_risk_score) AS hi,
                count(*) FILTER (WHERE churn_risk_score <> round(churn_risk_score)) AS fractional,
                count(*) FILTER (WHERE churn_risk_level = 'high') AS high
         FROM user_scores WHERE churn_risk_level IS NOT NULL`,
      )
    )[0];
    expect(Number(stats?.n)).toBe(eligible);
    expect(stats?.lo).toBeGreaterThanOrEqual(0);
    expect(stats?.hi).toBeLessThanOrEqual(100);
    expect(Number(stats?.fractional)).toBe(0);
    expect(Number(stats?.high)).toBe(run.levels.high);
    // Levels follow the documented thresholds on the score.
    const wrong = await wh.scalar(
      `SELECT count(*) FROM user_scores WHERE churn_risk_level IS NOT NULL AND churn_risk_level <> CASE
         WHEN churn_risk_score >= $1 THEN 'high' WHEN churn_risk_score >= $2 THEN 'medium' ELSE 'low' END`,
      [DEFAULT_RISK_LEVELS.high, DEFAULT_RISK_LEVELS.medium],
    );
    expect(Number(wrong)).toBe(0);
    // The other score columns are not touched (nothing computed them here).
    expect(Number(await wh.scalar('SELECT count(lifecycle_stage) FROM user_scores'))).toBe(0);

    const perUser = await wh.query<{ most: bigint; users: bigint; bad: bigint }>(
      `SELECT max(n) AS most, count(*) AS users, count(*) FILTER (WHERE ranks <> n) AS bad FROM (
         SELECT user_id, count(*) AS n, sum(rank) * 2 / (count(*) + 1) AS ranks FROM churn_risk_reasons GROUP BY 1)`,
    );
    expect(Number(perUser[0]?.most)).toBeLessThanOrEqual(3);
    expect(Number(perUser[0]?.users)).toBeGreaterThan(0);
    expect(Number(perUser[0]?.bad)).toBe(0);
    const features = await wh.query<{ feature: string }>('SELECT DISTINCT feature FROM churn_risk_reasons');
    for (const { feature } of features) expect(model1.model.featureNames).toContain(feature);
    expect(Number(await wh.scalar('SELECT count(*) FROM churn_risk_reasons WHERE contribution <= 0'))).toBe(
      0,
    );
    const strays = await wh.scalar(
      'SELECT count(*) FROM churn_risk_reasons r ANTI JOIN user_scores s ON s.user_id = r.user_id AND s.churn_risk_level IS NOT NULL',
    );
    expect(Number(strays)).toBe(0);
  }, 60_000);

  it('an audience on churn_risk_level counts exactly the users the table says', async () => {
    for (const level of ['high', 'medium', 'low'] as const) {
      const counted = await countAudience(
        server.rt.warehouse,
        { kind: 'score', score: 'churn_risk_level', op: 'eq', value: level },
        { now: NOW },
      );
      expect(counted).toEqual({ ok: true, value: run.levels[level] });
    }
    expect(run.levels.high).toBeGreaterThan(0);
  });

  it('over HTTP: viewers read models and risks, operators train (version 2) and score, viewers cannot', async () => {
    const viewer = await tokenFor('vera', 'viewer');
    const operator = await tokenFor('otto', 'operator');

    expect((await call('POST', '/v1/models/churn/train', viewer, {})).status).toBe(403);
    expect((await call('POST', '/v1/models/churn/score', viewer, {})).status).toBe(403);
    const future = await call('POST', '/v1/models/churn/train', operator, {
      cutoff: new Date(NOW - 5 * DAY_MS).toISOString(),
    });
    expect(future.status).toBe(409);

    const trained = await call('POST', '/v1/models/churn/train', operator, {});
    expect(trained.status).toBe(201);
    expect(trained.json).toMatchObject({ version: 2, active: true, horizonDays: 30 });

    const list = await call('GET', '/v1/models/churn', viewer);
    expect(list.status).toBe(200);
    const models = list.json['models'] as { version: number; active: boolean; summary: { auc: number } }[];
    expect(models.map((m) => [m.version, m.active])).toEqual([
      [2, true],
      [1, false],
    ]);
    expect(models[1]?.summary.auc).toBe(model1.record.metrics.auc);
    expect((await listChurnModels(server.rt)).map((m) => m.version)).toEqual([2, 1]);

    expect((await call('POST', '/v1/models/churn/score', operator, { modelId: 'cm_nope' })).status).toBe(404);
    const bad = await call('POST', '/v1/models/churn/score', operator, { levels: { high: 30, medium: 60 } });
    expect(bad.status).toBe(400);
    const scored = await call('POST', '/v1/models/churn/score', operator, { modelId: model1.record.id });
    expect(scored.status).toBe(200);
    expect(scored.json).toMatchObject({ modelVersion: 1, users: run.users, levels: run.levels });

    const high = await server.rt.warehouse.query<{ user_id: string; score: number }>(
      `SELECT user_id, churn_risk_score AS score FROM user_scores WHERE churn_risk_level = 'high' ORDER BY user_id LIMIT 1`,
    );
    const userId = high[0]?.user_id ?? '';
    const risk = await call('GET', `/v1/users/${encodeURIComponent(userId)}/churn-risk`, viewer);
    expect(risk.status).toBe(200);
    expect(risk.json).toMatchObject({ userId, score: high[0]?.score, level: 'high' });
    const reasons = risk.json['reasons'] as { rank: number; feature: string }[];
    expect(reasons.length).toBeGreaterThan(0);
    expect(reasons.map((r) => r.rank)).toEqual(reasons.map((_r, i) => i + 1));
    expect((await call('GET', '/v1/users/nobody-here/churn-risk', viewer)).status).toBe(404);

    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/models/churn',
        '/v1/models/churn/train',
        '/v1/models/churn/score',
        '/v1/users/{id}/churn-risk',
      ]),
    );
  }, 60_000);

  it('goes back to an earlier version (API and CLI), audited; risks name the model that scored them', async () => {
    const viewer = await tokenFor('vic', 'viewer');
    const operator = await tokenFor('olga', 'operator');
    const [latest] = await listChurnModels(server.rt);
    expect(latest?.active).toBe(true);
    expect(latest?.version).toBeGreaterThan(1);

    expect((await call('POST', `/v1/models/churn/${model1.record.id}/activate`, viewer)).status).toBe(403);
    expect((await call('POST', '/v1/models/churn/cm_nope/activate', operator)).status).toBe(404);
    const back = await call('POST', `/v1/models/churn/${model1.record.id}/activate`, operator);
    expect(back.status).toBe(200);
    expect(back.json).toMatchObject({ id: model1.record.id, version: 1, active: true });
    const versions = (await listChurnModels(server.rt)).map((m) => [m.version, m.active]);
    expect(versions.filter(([, active]) => active)).toEqual([[1, true]]);
    const audit = await server.rt.control.query(
      `SELECT details FROM audit_log WHERE action = 'churn_model.activate' AND object_id = $1`,
      [model1.record.id],
    );
    expect(audit).toHaveLength(1);

    // The schedule scores with the active model (version 1 again) and says which one did.
    const logged: { msg: string; obj: Record<string, unknown> }[] = [];
    const churnLogged = new Promise<void>((resolve) => {
      const schedule = startScoreSchedule(server.rt, {
        everyMinutes: 60,
        log: {
          info: (obj, msg) => {
            logged.push({ msg, obj: obj as Record<string, unknown> });
            if (msg === 'churn risk scored') void schedule.stop().then(resolve);
          },
          error: (obj, msg) => logged.push({ msg, obj: obj as Record<string, unknown> }),
        },
      });
    });
    await churnLogged;
    expect(logged.map((l) => l.msg)).toEqual(['scores computed', 'churn risk scored']);
    expect(logged[1]?.obj).toMatchObject({ modelVersion: 1, users: run.users });
    const runs = await server.rt.warehouse.query<{ model_version: number }>(
      'SELECT model_version FROM churn_risk_runs ORDER BY scored_at DESC, as_of DESC LIMIT 1',
    );
    expect(runs.map((r) => Number(r.model_version))).toEqual([1]);

    const someone = await server.rt.warehouse.query<{ user_id: string }>(
      'SELECT user_id FROM user_scores WHERE churn_risk_level IS NOT NULL ORDER BY user_id LIMIT 1',
    );
    const risk = await call(
      'GET',
      `/v1/users/${encodeURIComponent(someone[0]?.user_id ?? '')}/churn-risk`,
      viewer,
    );
    expect(risk.json['model']).toEqual({
      id: model1.record.id,
      version: 1,
      asOf: new Date(NOW).toISOString(),
    });

    // The CLI: list the versions, then make the newest one active again.
    const out: string[] = [];
    const errOut: string[] = [];
    const program = new Command().exitOverride();
    registerChurnModelCommands(
      program.command('churn'),
      async () => ({ ...server.rt, close: async () => undefined }),
      { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => errOut.push(s) } },
    );
    await program.parseAsync(['node', 'rekindle', 'churn', 'models']);
    expect(out.join('')).toMatch(new RegExp(`^1 +${model1.record.id} +yes `, 'm'));
    await program.parseAsync(['node', 'rekindle', 'churn', 'activate', latest?.id ?? '']);
    expect(out.at(-1)).toBe(`Churn model version ${latest?.version} (${latest?.id}) is now active.\n`);
    await program.parseAsync(['node', 'rekindle', 'churn', 'activate', 'cm_missing']);
    expect(errOut.join('')).toMatch(/churn model 'cm_missing' does not exist/);
    process.exitCode = 0;
    expect((await listChurnModels(server.rt)).find((m) => m.active)?.id).toBe(latest?.id);

    // Lower thresholds move users up a level: each move is an event (campaigns trigger on rises).
    const before = await server.rt.warehouse.query<{ user_id: string; level: string }>(
      'SELECT user_id, churn_risk_level AS level FROM user_scores WHERE churn_risk_level IS NOT NULL',
    );
    await scoreChurnRisk(server.rt, { levels: { high: 50, medium: 20 } });
    const after = new Map(
      (
        await server.rt.warehouse.query<{ user_id: string; level: string }>(
          'SELECT user_id, churn_risk_level AS level FROM user_scores WHERE churn_risk_level IS NOT NULL',
        )
      ).map((r) => [r.user_id, r.level]),
    );
    const moved = before.filter((b) => after.has(b.user_id) && after.get(b.user_id) !== b.level);
    expect(moved.length).toBeGreaterThan(0);
    const events = await server.rt.warehouse.query<{
      user_id: string;
      from: string;
      to: string;
      rise: boolean;
    }>(
      `SELECT user_id, properties->>'from' AS "from", properties->>'to' AS "to", (properties->>'rise')::BOOLEAN AS rise
       FROM events WHERE event = 'churn_risk_changed' ORDER BY user_id`,
    );
    const rank = { low: 1, medium: 2, high: 3 } as Record<string, number>;
    expect(events.map((e) => [e.user_id, e.from, e.to])).toEqual(
      moved
        .map((m) => [m.user_id, m.level, after.get(m.user_id)])
        .sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
    );
    for (const e of events) expect(e.rise).toBe((rank[e.to] ?? 0) > (rank[e.from] ?? 0));
  }, 60_000);
});
