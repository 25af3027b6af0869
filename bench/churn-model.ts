import { pathToFileURL } from 'node:url';
import { Rng } from '../src/core/demo/prng.ts';
import { trainGbdt, type GbdtParams, type GbdtTraining } from '../src/core/models/churn/gbdt.ts';
import { trainLogistic, logisticProbability } from '../src/core/models/churn/logistic.ts';
import { featureMatrix, selectRows, type FeatureMatrix } from '../src/core/models/churn/matrix.ts';
import { rocAuc } from '../src/core/models/churn/metrics/ranking.ts';
import { predictProbability } from '../src/core/models/churn/predict.ts';
import { saabasContributions } from '../src/core/models/churn/saabas.ts';
import { shapContributions } from '../src/core/models/churn/tree-shap.ts';
import { sigmoid } from '../src/core/models/churn/sigmoid.ts';
import { ParallelHistograms } from '../src/models/churn/parallel-histograms.ts';

/**
 * A synthetic churn-like data set: `cols` features of the kinds the feature SQL produces
 * (counts, recency in days with missing values, amounts, ratios, binary flags) and labels drawn
 * from a non-linear logistic model with interactions, so the trees have something to find.
 */
export const syntheticChurnData = (
  rows: number,
  cols: number,
  seed: number,
): { x: FeatureMatrix; y: Uint8Array } => {
  const rng = new Rng(seed, 7);
  const x = featureMatrix(rows, cols);
  const y = new Uint8Array(rows);
  const v = x.values;
  for (let i = 0; i < rows; i++) {
    const base = i * cols;
    const activity = rng.logNormal(5, 1); // latent engagement
    for (let j = 0; j < cols; j++) {
      let a: number;
      switch (j % 5) {
        case 0: // counts in a window
          a = Math.floor(rng.exponential(activity * (1 + (j % 3))));
          break;
        case 1: // recency in days, missing for 5 %
          a = rng.chance(0.05) ? NaN : Math.min(365, rng.exponential(60 / Math.sqrt(activity)));
          break;
        case 2: // amounts
          a = Math.round(rng.logNormal(30, 0.8) * 100) / 100;
          break;
        case 3: // trend-like ratio
          a = rng.normal() * 0.7;
          break;
        default: // flags
          a = rng.chance(0.3) ? 1 : 0;
      }
      v[base + j] = a;
    }
    const recency = v[base + 1] as number;
    const count = v[base] as number;
    const trend = v[base + 3] as number;
    const flag = v[base + 4] as number;
    const amount = v[base + 2] as number;
    const z =
      -0.4 +
      (Number.isNaN(recency) ? 0.8 : 1.6 * Math.tanh((recency - 45) / 30)) -
      0.5 * Math.log1p(count) -
      0.8 * trend * (flag === 1 ? 1 : -0.5) +
      (amount > 60 && count < 3 ? 0.9 : 0) +
      0.3 * rng.normal();
    y[i] = rng.next() < sigmoid(z) ? 1 : 0;
  }
  return { x, y };
};

const speedProbe = (): number => {
  const t = performance.now();
  let s = 0;
  for (let i = 0; i < 100_000_000; i++) s += i & 7;
  if (s < 0) throw new Error('unreachable');
  return (performance.now() - t) / 1000;
};

export interface ChurnModelBench {
  rows: number;
  cols: number;
  threads: number;
  /** Seconds a 10⁸-step integer loop takes here: how fast this machine is right now. */
  speedProbeSeconds: number;
  generateSeconds: number;
  binningSeconds: number;
  boostingSeconds: number;
  trainSeconds: number;
  trees: number;
  rounds: number;
  secondsPerRound: number;
  /** Probabilities for every row of the training matrix. */
  scoreSeconds: number;
  scoredRows: number;
  /** TreeSHAP contributions per row (mean over 1 000 rows). */
  shapMsPerRow: number;
  /** Saabas path attributions for 1 M rows, extrapolated from 100 000. */
  saabasSecondsPerMillion: number;
  logisticSeconds: number;
  aucGbdt: number;
  aucLogistic: number;
}

/**
 * Trains on `rows` × `cols` synthetic rows (early stopping on a 20 % held-out fold; histograms
 * on two threads unless `threads: 1`), scores every row and explains 1 000 of them.
 */
export const benchChurnModel = async (
  options: {
    rows?: number;
    cols?: number;
    seed?: number;
    threads?: 1 | 2;
    params?: Partial<GbdtParams>;
    log?: (s: string) => void;
  } = {},
): Promise<ChurnModelBench> => {
  const rows = options.rows ?? 1_000_000;
  const cols = options.cols ?? 30;
  const log = options.log ?? (() => undefined);
  const t0 = performance.now();
  const { x, y } = syntheticChurnData(rows, cols, options.seed ?? 1);
  const test = syntheticChurnData(Math.min(rows, 200_000), cols, (options.seed ?? 1) + 1000);
  const t1 = performance.now();
  log(`generated ${rows} × ${cols} in ${((t1 - t0) / 1000).toFixed(1)} s`);
  const names = Array.from({ length: cols }, (_, j) => `f${j}`);
  const engine = options.threads === 1 ? undefined : await ParallelHistograms.start();
  const t1b = performance.now();
  let fit: GbdtTraining;
  try {
    fit = trainGbdt(x, y, {
      featureNames: names,
      params: { ...options.params },
      ...(engine ? { engine } : {}),
      stopwatch: () => performance.now(),
    });
  } finally {
    await engine?.close();
  }
  const t2 = performance.now();
  log(
    `trained ${fit.model.trees.length} trees (${fit.rounds} rounds) in ${((t2 - t1) / 1000).toFixed(1)} s ` +
      `(${engine ? 'two threads' : 'one thread'}; worker start ${((t1b - t1) / 1000).toFixed(1)} s)`,
  );
  const p = predictProbability(fit.model, x);
  const t3 = performance.now();
  log(`scored ${rows} rows in ${((t3 - t2) / 1000).toFixed(2)} s`);
  const explainRows = 1000;
  const sample = new Uint32Array(explainRows).map((_, k) => Math.floor((k * rows) / explainRows));
  const explained = selectRows(x, sample);
  shapContributions(fit.model, explained);
  const t4 = performance.now();
  const saabasRows = selectRows(
    x,
    new Uint32Array(Math.min(rows, 100_000)).map((_, k) => k),
  );
  const t4a = performance.now();
  saabasContributions(fit.model, saabasRows);
  const t4b = performance.now();
  const t4c = performance.now();
  const lrSample = new Uint32Array(Math.min(rows, 200_000)).map((_, k) => k);
  const lr = trainLogistic(selectRows(x, lrSample), y.subarray(0, lrSample.length), { featureNames: names });
  const t5 = performance.now();
  void p;
  return {
    rows,
    cols,
    threads: engine ? 2 : 1,
    speedProbeSeconds: speedProbe(),
    generateSeconds: (t1 - t0) / 1000,
    binningSeconds: fit.seconds.binning,
    boostingSeconds: fit.seconds.boosting,
    trainSeconds: (t2 - t1) / 1000,
    trees: fit.model.trees.length,
    rounds: fit.rounds,
    secondsPerRound: fit.seconds.boosting / Math.max(1, fit.rounds),
    scoreSeconds: (t3 - t2) / 1000,
    scoredRows: rows,
    shapMsPerRow: (t4 - t3) / explainRows,
    saabasSecondsPerMillion: ((t4b - t4a) / 1000) * (1_000_000 / saabasRows.rows),
    logisticSeconds: (t5 - t4c) / 1000,
    aucGbdt: rocAuc(predictProbability(fit.model, test.x), test.y),
    aucLogistic: rocAuc(logisticProbability(lr, test.x), test.y),
  };
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = Number(process.env['BENCH_ROWS'] ?? 1_000_000);
  const threads = process.env['BENCH_THREADS'] === '1' ? 1 : 2;
  const r = await benchChurnModel({ rows, threads, log: (s) => process.stderr.write(`${s}\n`) });
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
}
