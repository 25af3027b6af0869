import { hash32 } from '../../core/demo/prng.ts';
import type { ProgressFn } from '../../core/jobs/progress.ts';
import { temporalSplit, type ChurnDefinition } from '../../core/models/churn/churn-definition.ts';
import {
  trainGbdt,
  type GbdtModel,
  type GbdtParams,
  type GbdtTraining,
} from '../../core/models/churn/gbdt.ts';
import { SPLIT_MIN_ROWS } from '../../core/models/churn/histogram.ts';
import { logisticProbability, trainLogistic, type LogisticParams } from '../../core/models/churn/logistic.ts';
import { column, featureMatrix, gather, selectRows } from '../../core/models/churn/matrix.ts';
import { calibrationTable, type CalibrationBin } from '../../core/models/churn/metrics/calibration.ts';
import { averagePrecision, rocAuc } from '../../core/models/churn/metrics/ranking.ts';
import { brierScore, logLoss, probabilities } from '../../core/models/churn/metrics/scoring-rules.ts';
import {
  atThreshold,
  chooseThreshold,
  type ThresholdReport,
  type ThresholdRule,
} from '../../core/models/churn/metrics/threshold.ts';
import { predictProbability } from '../../core/models/churn/predict.ts';
import { meanAbsContribution } from '../../core/models/churn/reasons.ts';
import { shapContributions } from '../../core/models/churn/tree-shap.ts';
import type { Warehouse } from '../../storage/warehouse/warehouse.ts';
import { ParallelHistograms } from './parallel-histograms.ts';
import {
  extractFeatures,
  planFeatures,
  type FeaturePlan,
  type FeatureSnapshot,
} from '../../storage/warehouse/churn-features.ts';
import { DAY_MS } from '../../core/time/units.ts';

/** A precondition of the evaluation that the data does not meet (reported, not a crash). */
export class ChurnDataError extends Error {}

/** The first and last transaction instants of the data the evaluation runs on. */
export interface DataRange {
  firstTs: number;
  lastTs: number;
}

const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * Refuses a cutoff the data cannot label. The evaluation labels need the whole horizon after
 * the cutoff inside the data (data runs to the end of the last transaction's UTC day): past
 * it, every user looks churned only because the file stops. The training snapshot at
 * cutoff − horizon needs history before it. Both refusals name the valid range.
 */
export const checkCutoff = (cutoff: number, horizonDays: number, data: DataRange): void => {
  const h = horizonDays * DAY_MS;
  const dataEnd = Math.floor(data.lastTs / DAY_MS) * DAY_MS + DAY_MS;
  const latest = dataEnd - h;
  const earliest = Math.floor(data.firstTs / DAY_MS) * DAY_MS + DAY_MS + h;
  if (cutoff > latest) {
    throw new ChurnDataError(
      `the ${horizonDays}-day horizon after the cutoff ${day(cutoff)} ends on ${day(cutoff + h)}, ` +
        `after the last transaction (${day(data.lastTs)}): its churn labels are unknown. ` +
        (latest >= earliest
          ? `The latest valid cutoff is ${day(latest)}.`
          : `The data (${day(data.firstTs)} to ${day(data.lastTs)}) is too short for a ${horizonDays}-day horizon.`),
    );
  }
  if (cutoff < earliest) {
    throw new ChurnDataError(
      `the training cutoff (cutoff − ${horizonDays} days = ${day(cutoff - h)}) is not after the first ` +
        `transaction (${day(data.firstTs)}): there is no history to train on. The earliest valid cutoff is ` +
        `${day(earliest)}.`,
    );
  }
};

export interface ChurnEvaluationOptions {
  /** When given, the cutoff is checked against it first (`checkCutoff`). */
  data?: DataRange;
  /** The evaluation instant: the model is trained on what was known at cutoff − horizon. */
  cutoff: number;
  /** Steps: each training snapshot's features, the evaluation features, training, evaluating. */
  onProgress?: ProgressFn;
  definition: ChurnDefinition;
  orderEvents?: readonly string[];
  /** A plan fixed by the caller; otherwise chosen from the warehouse. */
  plan?: FeaturePlan;
  gbdt?: Partial<GbdtParams>;
  logistic?: Partial<LogisticParams>;
  /** Share of training users held out for early stopping and for choosing the threshold. */
  validationFraction?: number;
  threshold?: ThresholdRule;
  /**
   * Training snapshots, each `snapshotStepDays` before the previous one (all labelled before
   * the cutoff): more rows, and users seen at several points of their life. Default 1.
   */
  trainSnapshots?: number;
  snapshotStepDays?: number;
  /** Evaluation rows explained with TreeSHAP for the importance table. */
  explainRows?: number;
  seed?: number;
}

export interface FeatureImportance {
  feature: string;
  /** Share of the total split gain. */
  gainShare: number;
  /** Mean |TreeSHAP contribution| in log-odds over the explained evaluation rows. */
  meanAbsShap: number;
}

export interface ChurnEvaluation {
  /** ROC AUC of the gradient-boosted trees on the evaluation snapshot. */
  auc: number;
  prAuc: number;
  /** ROC AUC of "days since the last event" alone. */
  baselineRecencyAuc: number;
  logisticAuc: number;
  logisticPrAuc: number;
  /** Eligible users at the cutoff (evaluated), and how many churned. */
  n: number;
  churned: number;
  churnRate: number;
  trainN: number;
  trainChurned: number;
  cutoff: string;
  trainCutoff: string;
  horizonDays: number;
  activeDays: number;
  /** Threshold chosen on the held-out training users, applied to the evaluation users. */
  threshold: ThresholdReport;
  logLoss: number;
  brier: number;
  calibration: CalibrationBin[];
  trees: number;
  rounds: number;
  features: string[];
  featureImportance: FeatureImportance[];
  seconds: { features: number; gbdt: number; logistic: number; scoring: number; explain: number };
}

const iso = (ms: number) => new Date(ms).toISOString();

const counts = (s: FeatureSnapshot, what: string): { n: number; churned: number } => {
  const y = s.y as Uint8Array;
  let churned = 0;
  for (let i = 0; i < y.length; i++) churned += y[i] as number;
  if (y.length === 0) throw new ChurnDataError(`no eligible users at the ${what} cutoff ${iso(s.cutoff)}`);
  if (churned === 0 || churned === y.length) {
    throw new ChurnDataError(
      `at the ${what} cutoff ${iso(s.cutoff)} ${churned === 0 ? 'no' : 'every'} eligible user churned ` +
        `(${y.length} users); the model cannot be ${what === 'training' ? 'trained' : 'evaluated'}`,
    );
  }
  return { n: y.length, churned };
};

/** Per-feature gain summed over all splits, as shares of the total. */
const gainShares = (model: GbdtModel): Float64Array => {
  const g = new Float64Array(model.featureNames.length);
  for (const t of model.trees) {
    for (let i = 0; i < t.feature.length; i++) {
      const f = t.feature[i] as number;
      if (f >= 0) g[f] = (g[f] as number) + (t.gain[i] as number);
    }
  }
  const total = g.reduce((a, b) => a + b, 0);
  return total > 0 ? g.map((v) => v / total) : g;
};

/** Rows of several snapshots one after the other (user ids repeat across snapshots). */
const stackSnapshots = (parts: readonly FeatureSnapshot[]): FeatureSnapshot => {
  const first = parts[0] as FeatureSnapshot;
  if (parts.length === 1) return first;
  const rows = parts.reduce((s, p) => s + p.x.rows, 0);
  const values = new Float64Array(rows * first.x.cols);
  const y = new Uint8Array(rows);
  const userIds: string[] = [];
  let at = 0;
  for (const p of parts) {
    values.set(p.x.values, at * first.x.cols);
    y.set(p.y as Uint8Array, at);
    for (const u of p.userIds) userIds.push(u);
    at += p.x.rows;
  }
  return {
    cutoff: first.cutoff,
    userIds,
    names: first.names,
    x: featureMatrix(rows, first.x.cols, values),
    y,
  };
};

/** Holds out about `fraction` of the users (all rows of a user on the same side), by a seeded hash of the id. */
const holdOutUsers = (
  userIds: readonly string[],
  fraction: number,
  seed: number,
): { train: Uint32Array; held: Uint32Array } => {
  const train: number[] = [];
  const held: number[] = [];
  const limit = Math.floor(fraction * 2 ** 32);
  userIds.forEach((u, i) => {
    let h = seed | 0;
    for (let k = 0; k < u.length; k++) h = Math.imul(h ^ u.charCodeAt(k), 0x01000193);
    (hash32(h) < limit ? held : train).push(i);
  });
  return { train: Uint32Array.from(train), held: Uint32Array.from(held) };
};

/**
 * B6 with a temporal split: features at cutoff − horizon labelled by the horizon ending at the
 * cutoff train the model (early stopping and the threshold use held-out training users);
 * features at the cutoff labelled by the horizon after it evaluate it. Reports AUC, PR-AUC,
 * precision/recall/F1 at the chosen threshold, calibration, and the baselines (recency alone,
 * logistic regression).
 */
export const evaluateChurnModel = async (
  wh: Warehouse,
  o: ChurnEvaluationOptions,
): Promise<{ report: ChurnEvaluation; model: GbdtModel }> => {
  const def = o.definition;
  if (o.data) checkCutoff(o.cutoff, def.horizonDays, o.data);
  const split = temporalSplit(o.cutoff, def.horizonDays);
  const seed = o.seed ?? 1;
  const t0 = performance.now();
  const plan =
    o.plan ??
    (await planFeatures(wh, { cutoff: o.cutoff, ...(o.orderEvents ? { orderEvents: o.orderEvents } : {}) }));
  const snapshots = Math.max(1, Math.floor(o.trainSnapshots ?? 1));
  const step = (o.snapshotStepDays ?? 30) * DAY_MS;
  const parts: FeatureSnapshot[] = [];
  const total = snapshots + 3;
  for (let k = 0; k < snapshots; k++) {
    o.onProgress?.({ phase: 'features', done: k, total });
    parts.push(
      await extractFeatures(wh, plan, { cutoff: split.train.cutoff - k * step, population: def, label: def }),
    );
  }
  const train = stackSnapshots(parts);
  o.onProgress?.({ phase: 'features', done: snapshots, total });
  const test = await extractFeatures(wh, plan, {
    cutoff: split.evaluate.cutoff,
    population: def,
    label: def,
  });
  const trainCounts = counts(train, 'training');
  const testCounts = counts(test, 'evaluation');
  const trainY = train.y as Uint8Array;
  const testY = test.y as Uint8Array;
  const t1 = performance.now();

  const folds = holdOutUsers(train.userIds, o.validationFraction ?? 0.2, seed);
  if (folds.held.length === 0 || folds.train.length === 0) {
    throw new ChurnDataError(`too few training users (${train.x.rows}) to hold some out for early stopping`);
  }
  o.onProgress?.({ phase: 'training', done: snapshots + 1, total });
  // A second thread pays off once nodes are big enough to be cut in halves.
  const engine = folds.train.length >= 2 * SPLIT_MIN_ROWS ? await ParallelHistograms.start() : undefined;
  let fit: GbdtTraining;
  try {
    fit = trainGbdt(selectRows(train.x, folds.train), gather(trainY, folds.train), {
      featureNames: train.names,
      params: { seed, ...o.gbdt },
      validation: { x: selectRows(train.x, folds.held), y: gather(trainY, folds.held) },
      ...(engine ? { engine } : {}),
      stopwatch: () => performance.now(),
    });
  } finally {
    await engine?.close();
  }
  const t2 = performance.now();
  o.onProgress?.({ phase: 'evaluating', done: snapshots + 2, total });
  const lr = trainLogistic(train.x, trainY, {
    featureNames: train.names,
    ...(o.logistic ? { params: o.logistic } : {}),
  });
  const t3 = performance.now();

  const p = predictProbability(fit.model, test.x);
  const lrP = logisticProbability(lr, test.x);
  const validation = fit.validation;
  const rule = o.threshold ?? { kind: 'max-f1' };
  const chosen = validation
    ? chooseThreshold(probabilities(validation.margin), validation.y, rule).threshold
    : chooseThreshold(p, testY, rule).threshold;
  const recency = train.names.indexOf('days_since_last_event');
  const t4 = performance.now();

  const explain = Math.min(test.x.rows, o.explainRows ?? 2000);
  const rows = new Uint32Array(explain);
  for (let k = 0; k < explain; k++) rows[k] = Math.floor((k * test.x.rows) / explain);
  const shap = meanAbsContribution(
    shapContributions(fit.model, selectRows(test.x, rows)),
    train.names.length,
  );
  const gains = gainShares(fit.model);
  const importance = train.names
    .map((feature, j) => ({ feature, gainShare: gains[j] as number, meanAbsShap: shap[j] as number }))
    .sort((a, b) => b.gainShare - a.gainShare || b.meanAbsShap - a.meanAbsShap);
  const t5 = performance.now();

  const report: ChurnEvaluation = {
    auc: rocAuc(p, testY),
    prAuc: averagePrecision(p, testY),
    baselineRecencyAuc: recency >= 0 ? rocAuc(column(test.x, recency), testY) : NaN,
    logisticAuc: rocAuc(lrP, testY),
    logisticPrAuc: averagePrecision(lrP, testY),
    n: testCounts.n,
    churned: testCounts.churned,
    churnRate: testCounts.churned / testCounts.n,
    trainN: trainCounts.n,
    trainChurned: trainCounts.churned,
    cutoff: iso(split.evaluate.cutoff),
    trainCutoff: iso(split.train.cutoff),
    horizonDays: def.horizonDays,
    activeDays: def.activeDays,
    threshold: atThreshold(p, testY, chosen),
    logLoss: logLoss(p, testY),
    brier: brierScore(p, testY),
    calibration: calibrationTable(p, testY, 10),
    trees: fit.model.trees.length,
    rounds: fit.rounds,
    features: train.names,
    featureImportance: importance,
    seconds: {
      features: (t1 - t0) / 1000,
      gbdt: (t2 - t1) / 1000,
      logistic: (t3 - t2) / 1000,
      scoring: (t4 - t3) / 1000,
      explain: (t5 - t4) / 1000,
    },
  };
  return { report, model: fit.model };
};
