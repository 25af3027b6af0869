import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DemoSize } from '../src/core/demo/sizes.ts';
import { loadDemo } from '../src/demo/load-demo.ts';
import { scoreChurnRisk, trainChurnModel } from '../src/scores/churn-model.ts';
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
      `    trained in ${trainSeconds.toFixed(1)} s (features ${seconds.features.toFixed(1)} s, trees ${seconds.gbdt.toFixed(1)} s): ` +
        `AUC ${m.auc.toFixed(3)}, logistic ${m.logisticAuc.toFixed(3)}, recency ${m.baselineRecencyAuc.toFixed(3)}`,
    );
    const run = await scoreChurnRisk(ctx);
    log(`    scored ${run.users} users in ${(run.ms.total / 1000).toFixed(1)} s`);
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
