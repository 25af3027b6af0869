import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DemoSize } from '../src/core/demo/sizes.ts';
import { loadDemo } from '../src/demo/load-demo.ts';
import { churnProbability, topChurnReasons } from '../src/core/models/churn/churn-model.ts';
import { extractFeatures } from '../src/storage/warehouse/churn-features.ts';
import {
  loadChurnModel,
  REASONS_PER_USER,
  scoreChurnRisk,
  trainChurnModel,
} from '../src/scores/churn-model.ts';
import { migrate } from '../src/storage/control/migrate.ts';
import { openSqlClient } from '../src/storage/control/sql-client.ts';
import { Warehouse } from '../src/storage/warehouse/warehouse.ts';

export interface ChurnWarehouseBench {
  users: number;
  events: number;
  /** Rows the trees were trained on (all training snapshots) and users evaluated at the cutoff. */
  trainRows: number;
  evalRows: number;
  features: number;
  featureSeconds: number;
  gbdtSeconds: number;
  logisticSeconds: number;
  /** The whole `churn train`: features of every snapshot, trees, baseline, evaluation, storing. */
  trainSeconds: number;
  auc: number;
  logisticAuc: number;
  recencyAuc: number;
  prAuc: number;
  /** `churn score`: every eligible user at `now`. */
  scoredUsers: number;
  scoreFeatureSeconds: number;
  predictSeconds: number;
  reasonsSeconds: number;
  writeSeconds: number;
  scoreTotalSeconds: number;
  /** The stored model applied to every user with any event (not only the eligible ones). */
  allUsers: number;
  allFeatureSeconds: number;
  allPredictSeconds: number;
  allReasonsSeconds: number;
  /** Baseline: a hand-written recency-only risk (days since the last event) for every user, into a table. */
  recencySqlSeconds: number;
}

/**
 * The churn model on a warehouse, through the code behind `rekindle churn train` and
 * `rekindle churn score` (default churn definition, three training snapshots 30 days apart).
 * Baselines in the same run: logistic regression and recency-only AUC on the same split, and a
 * hand-written recency score in SQL for the scoring time.
 */
export const benchChurnOnWarehouse = async (
  warehousePath: string,
  now: number,
  log: (s: string) => void = () => undefined,
): Promise<ChurnWarehouseBench> => {
  const warehouse = await Warehouse.open(warehousePath);
  const control = await openSqlClient({ pgliteDir: 'memory://' });
  try {
    await migrate(control);
    const ctx = { control, warehouse, clock: () => now };
    const users = Number(await warehouse.scalar('SELECT count(*) FROM profiles'));
    const events = Number(await warehouse.scalar('SELECT count(*) FROM events'));
    const t0 = performance.now();
    const { record, seconds } = await trainChurnModel(ctx);
    const trainSeconds = (performance.now() - t0) / 1000;
    const m = record.metrics;
    log(
      `    trained in ${trainSeconds.toFixed(1)} s (features ${seconds.features.toFixed(1)} s, trees ${seconds.gbdt.toFixed(1)} s, ` +
        `logistic ${seconds.logistic.toFixed(1)} s on the folds; scoring ${seconds.scoring.toFixed(1)} s, explain ${seconds.explain.toFixed(1)} s; ` +
        `the rest, the refit and storing: ${(trainSeconds - seconds.features - seconds.gbdt - seconds.logistic - seconds.scoring - seconds.explain).toFixed(1)} s): ` +
        `AUC ${m.auc.toFixed(3)}, logistic ${m.logisticAuc.toFixed(3)}, recency ${m.baselineRecencyAuc.toFixed(3)}`,
    );
    const run = await scoreChurnRisk(ctx);
    log(`    scored ${run.users} users in ${(run.ms.total / 1000).toFixed(1)} s`);
    const loaded = await loadChurnModel(ctx, 'default');
    const ta = performance.now();
    const all = await extractFeatures(warehouse, loaded.plan, {
      cutoff: now,
      population: { activeDays: 0, activityEvents: null },
    });
    const tb = performance.now();
    churnProbability(loaded.model, all.x);
    const tc = performance.now();
    const top = topChurnReasons(loaded.model, all.x, REASONS_PER_USER);
    let reasons = 0;
    for (const j of top.feature) if (j >= 0) reasons++;
    const td = performance.now();
    log(
      `    every user: ${all.x.rows} rows, features ${((tb - ta) / 1000).toFixed(1)} s, predict ${((tc - tb) / 1000).toFixed(2)} s, ` +
        `reasons ${((td - tc) / 1000).toFixed(2)} s (${reasons} reasons)`,
    );
    const t1 = performance.now();
    await warehouse.transaction(async (tx) => {
      await tx.run(
        `CREATE OR REPLACE TABLE bench_recency_risk AS
         SELECT user_id, date_diff('day', max(ts), $1::TIMESTAMP) AS risk FROM events
         WHERE ts < $1::TIMESTAMP GROUP BY user_id`,
        [new Date(now).toISOString()],
      );
      await tx.run('DROP TABLE bench_recency_risk');
    });
    const recencySqlSeconds = (performance.now() - t1) / 1000;
    return {
      users,
      events,
      trainRows: m.trainN,
      evalRows: m.n,
      features: m.features.length,
      featureSeconds: seconds.features,
      gbdtSeconds: seconds.gbdt,
      logisticSeconds: seconds.logistic,
      trainSeconds,
      auc: m.auc,
      logisticAuc: m.logisticAuc,
      recencyAuc: m.baselineRecencyAuc,
      prAuc: m.prAuc,
      scoredUsers: run.users,
      scoreFeatureSeconds: run.ms.features / 1000,
      predictSeconds: run.ms.predict / 1000,
      reasonsSeconds: run.ms.reasons / 1000,
      writeSeconds: run.ms.write / 1000,
      scoreTotalSeconds: run.ms.total / 1000,
      allUsers: all.x.rows,
      allFeatureSeconds: (tb - ta) / 1000,
      allPredictSeconds: (tc - tb) / 1000,
      allReasonsSeconds: (td - tc) / 1000,
      recencySqlSeconds,
    };
  } finally {
    warehouse.close();
    await control.close();
  }
};

// Standalone: BENCH_SIZE=demo node --import tsx bench/churn-warehouse.ts. The generated
// warehouse goes to a temp folder and is deleted, or to BENCH_WAREHOUSE and is kept (and reused
// when it already exists).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const size = (process.env['BENCH_SIZE'] ?? 'small') as DemoSize;
  const now = Date.UTC(2026, 10, 1);
  const keep = process.env['BENCH_WAREHOUSE'];
  const dir = keep === undefined ? mkdtempSync(join(tmpdir(), 'churn-bench-')) : null;
  const path = keep ?? join(dir ?? '.', 'wh.duckdb');
  try {
    if (!existsSync(path)) {
      const wh = await Warehouse.open(path);
      const t = performance.now();
      const loaded = await loadDemo(wh, { size, seed: 7, now });
      wh.close();
      process.stderr.write(
        `loaded ${loaded.users} users, ${loaded.events} events in ${((performance.now() - t) / 1000).toFixed(1)} s\n`,
      );
    }
    const r = await benchChurnOnWarehouse(path, now, (s) => process.stderr.write(`${s}\n`));
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  } finally {
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const s1 = (n: number) => `${n.toFixed(1)} s`;

/** The rows of docs/benchmarks.md for the churn model (each starts with `| Churn`). */
export const churnBenchRows = (r: ChurnWarehouseBench, size: string): string[] => {
  const data = `\`${size}\`: ${fmt(r.users)} users, ${fmt(r.events)} events`;
  return [
    `| Churn model training, \`rekindle churn train\` (gradient-boosted trees, ${r.features} features, ${fmt(r.trainRows)} training rows from 3 snapshots) | ${data} | **trees ${s1(r.gbdtSeconds)}**; whole command ${s1(r.trainSeconds)} (feature SQL ${s1(r.featureSeconds)}) | logistic regression on the same rows: ${s1(r.logisticSeconds)} | ${(r.gbdtSeconds / r.logisticSeconds).toFixed(2)}× | train < 60 s |`,
    `| Churn model quality on the temporal split (evaluated on ${fmt(r.evalRows)} users 30 days later) | ${data} | **AUC ${r.auc.toFixed(3)}** (PR-AUC ${r.prAuc.toFixed(3)}) | logistic regression ${r.logisticAuc.toFixed(3)}, recency alone ${r.recencyAuc.toFixed(3)} | +${(r.auc - r.logisticAuc).toFixed(3)} over logistic | above both baselines |`,
    `| Churn scoring of every user with the stored model (probability → 0–100 score and level, in memory) | ${fmt(r.allUsers)} users (features ${s1(r.allFeatureSeconds)} in DuckDB, not included) | **${r.allPredictSeconds.toFixed(2)} s**; with each user's top-3 reasons (Saabas) ${s1(r.allPredictSeconds + r.allReasonsSeconds)} | hand-written recency score in SQL for every user, into a table: ${r.recencySqlSeconds.toFixed(2)} s | ${(r.allPredictSeconds / r.recencySqlSeconds).toFixed(1)}× | score 1 M users < 5 s |`,
    `| Churn scoring run, \`rekindle churn score\` (eligible users: features, predict, reasons, write scores + reasons) | ${fmt(r.scoredUsers)} eligible users | **${s1(r.scoreTotalSeconds)}** (features ${s1(r.scoreFeatureSeconds)}, predict ${r.predictSeconds.toFixed(2)} s, reasons ${r.reasonsSeconds.toFixed(2)} s, write ${r.writeSeconds.toFixed(2)} s) | — | — | — |`,
  ];
};
