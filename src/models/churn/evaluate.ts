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
import {
  logisticMargin,
  logisticProbability,
  trainLogistic,
  type LogisticModel,
  type LogisticParams,
} from '../../core/models/churn/logistic.ts';
import {
  averageFolds,
  blendMargins,
  chooseCandidate,
  churnProbability,
  CHURN_MODEL_KINDS,
  rawChurnMargin,
  type CandidateScore,
  type ChurnModel,
  type ChurnModelKind,
} from '../../core/models/churn/churn-model.ts';
import { applyPlatt, fitPlatt } from '../../core/models/churn/platt.ts';
import type { FeatureMatrix } from '../../core/models/churn/matrix.ts';
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
import { predictMargin, predictProbability } from '../../core/models/churn/predict.ts';
import { meanAbsContribution } from '../../core/models/churn/reasons.ts';
import { shapContributions } from '../../core/models/churn/tree-shap.ts';
import type { WarehouseSql } from '../../storage/warehouse-sql.ts';
import { ParallelHistograms } from './parallel-histograms.ts';
import {
  extractFeatures,
  ORDINARY_FEATURE_NAMES,
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
   * the cutoff): more rows, and users seen at several points of their life. Default 5: the
   * latest labelled ones choose the model and calibrate it, the ones a horizon older fit the
   * candidates (one snapshot: a share of its users does that, without a temporal fold).
   */
  trainSnapshots?: number;
  snapshotStepDays?: number;
  /** Evaluation rows explained with TreeSHAP for the importance table. */
  explainRows?: number;
  /** Model kinds the selection may choose from (default: all). */
  candidates?: readonly ChurnModelKind[];
  /** Weights of the trees' calibrated log-odds in the blends tried (default 0.25, 0.5, 0.75). */
  blendWeights?: readonly number[];
  /** Also train the benchmark's peers on the ordinary features (report.peers). */
  peers?: boolean;
  /** Temporal folds the candidates are compared on (default 2, at most snapshots − 1). */
  selectionFolds?: number;
  /**
   * Least days between a fold's fitting snapshots and its selection snapshot (the evaluation
   * passes the horizon, so fitting labels end before the selection snapshot; default 0).
   */
  gapDays?: number;
  /**
   * After choosing, fit the chosen kind again on every snapshot, the latest included (default
   * true); the calibration and threshold found on the selection fold are kept.
   */
  refit?: boolean;
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
  /** The trees candidate alone (uncalibrated) on the evaluation users. */
  gbdtAuc: number;
  /** The logistic regression candidate (same features, same fitting rows). */
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
  /** Deciles of the stored (calibrated) model's prediction on the evaluation users. */
  calibration: CalibrationBin[];
  selection: SelectionReport;
  /** Platt scaling: parameters, where it was fitted, reliability before and after. */
  calibrationReport: CalibrationReport;
  peers?: PeerComparison;
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

/** Mean predicted and observed churn, Brier score and the decile table of a set of predictions. */
export interface Reliability {
  meanPredicted: number;
  observedRate: number;
  brier: number;
  logLoss: number;
  /** Deciles of the prediction: count, mean predicted, observed rate. */
  table: CalibrationBin[];
}

export const reliability = (p: Float64Array, y: Uint8Array): Reliability => {
  let sp = 0;
  let sy = 0;
  for (let i = 0; i < p.length; i++) {
    sp += p[i] as number;
    sy += y[i] as number;
  }
  return {
    meanPredicted: sp / Math.max(1, p.length),
    observedRate: sy / Math.max(1, y.length),
    brier: brierScore(p, y),
    logLoss: logLoss(p, y),
    table: calibrationTable(p, y, 10),
  };
};

/** How the stored model was chosen: every candidate's score on the selection fold. */
export interface SelectionReport {
  /** 'temporal': fitted on the earlier snapshots, chosen on the latest labelled one; 'held-out users' with one snapshot. */
  fold: 'temporal' | 'temporal, overlapping labels' | 'held-out users';
  /** Cutoffs of the snapshots the latest fold's candidates were fitted on. */
  fitCutoffs: string[];
  /** The latest fold's selection snapshot (calibration and threshold are fitted on it). */
  selectCutoff: string;
  /** Every fold's selection snapshot, latest first; a candidate's AUC is its mean over them. */
  selectCutoffs: string[];
  fitRows: number;
  selectRows: number;
  candidates: CandidateScore[];
  chosen: ChurnModelKind;
  blendWeight: number;
}

export interface CalibrationReport {
  method: 'platt';
  why: string;
  a: number;
  /** The stored intercept: after a refit, the one that makes the mean prediction on the window equal its churn rate. */
  b: number;
  /** The intercept fitted with the fold model (the one the `window` reliability uses). */
  foldIntercept: number;
  /** The window it was fitted on (the selection fold) and its rows. */
  fittedOn: string;
  rows: number;
  /** On the fitting window: the chosen model's probability before and after. */
  window: { before: Reliability; after: Reliability };
  /** On the evaluation users (only in the evaluation report). */
  evaluation?: { before: Reliability; after: Reliability };
}

export const PLATT_WHY =
  'Platt scaling (2 parameters): fits on a few thousand users, keeps the ranking (AUC) unchanged, ' +
  'and corrects the intercept, which is what seasonal drift between training and the latest window moves; ' +
  'isotonic regression needs more rows and creates ties that cost AUC';

const mean01 = (y: Uint8Array): number => {
  let k = 0;
  for (let i = 0; i < y.length; i++) k += y[i] as number;
  return k / Math.max(1, y.length);
};

/** The b with mean(sigmoid(a · m + b)) = target, by bisection (the mean is increasing in b). */
export const interceptForMean = (m: Float64Array, a: number, target: number): number => {
  const t = Math.min(1 - 1e-9, Math.max(1e-9, target));
  const meanAt = (b: number) => {
    let sum = 0;
    for (let i = 0; i < m.length; i++) sum += 1 / (1 + Math.exp(-(a * (m[i] as number) + b)));
    return sum / Math.max(1, m.length);
  };
  let lo = -50;
  let hi = 50;
  for (let k = 0; k < 100; k++) {
    const mid = (lo + hi) / 2;
    if (meanAt(mid) < t) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
};

/** One peer's result on the evaluation users. */
export interface PeerScore {
  auc: number;
  prAuc: number;
  brier: number;
  logLoss: number;
  meanPredicted: number;
}

/** Peers trained on the same training rows with the ordinary features, scored on the same evaluation users. */
export interface PeerComparison {
  /** The ordinary RFM / tenure / inter-purchase features the peers see. */
  features: string[];
  trainRows: number;
  /** L2 logistic regression on the standardised ordinary features (default λ). */
  logistic: PeerScore;
  /** Our GBDT with default settings on the ordinary features (early stopping on a fifth of the users). */
  gbdt: PeerScore;
}

const peerScore = (p: Float64Array, y: Uint8Array): PeerScore => ({
  auc: rocAuc(p, y),
  prAuc: averagePrecision(p, y),
  brier: brierScore(p, y),
  logLoss: logLoss(p, y),
  meanPredicted: p.reduce((a, b) => a + b, 0) / Math.max(1, p.length),
});

/** The columns `cols` of a matrix, in that order. */
export const selectColumns = (m: FeatureMatrix, cols: readonly number[]): FeatureMatrix => {
  const out = new Float64Array(m.rows * cols.length);
  for (let i = 0; i < m.rows; i++) {
    for (let k = 0; k < cols.length; k++)
      out[i * cols.length + k] = m.values[i * m.cols + (cols[k] as number)] as number;
  }
  return featureMatrix(m.rows, cols.length, out);
};

const classCheck = (y: Uint8Array, what: string): void => {
  let pos = 0;
  for (let i = 0; i < y.length; i++) pos += y[i] as number;
  if (y.length === 0 || pos === 0 || pos === y.length)
    throw new ChurnDataError(`the ${what} has ${y.length} users, ${pos} churned: both classes are needed`);
};

/**
 * One histogram thread for every fit of a selection (two folds and the refit), started when the
 * first large fit needs it: a thread's start (a few hundred ms, loading its module) is paid once.
 */
class HistogramThread {
  private started: Promise<ParallelHistograms | undefined> | undefined;

  get(): Promise<ParallelHistograms | undefined> {
    this.started ??= ParallelHistograms.start();
    return this.started;
  }

  async close(): Promise<void> {
    if (this.started) await (await this.started)?.close();
  }
}

/** GBDT with early stopping on a fifth of the users (by a hash of the id), threaded when large. */
const fitTrees = async (
  s: FeatureSnapshot,
  o: SelectionOptions,
  seed: number,
  params: Partial<GbdtParams>,
  thread?: HistogramThread,
): Promise<GbdtTraining> => {
  const y = s.y as Uint8Array;
  const folds = holdOutUsers(s.userIds, o.validationFraction ?? 0.2, seed);
  if (folds.held.length === 0 || folds.train.length === 0) {
    throw new ChurnDataError(`too few training users (${s.x.rows}) to hold some out for early stopping`);
  }
  // A second thread pays off once nodes are big enough to be cut in halves.
  const large = folds.train.length >= 2 * SPLIT_MIN_ROWS;
  const own = large && thread === undefined;
  const engine = !large ? undefined : thread ? await thread.get() : await ParallelHistograms.start();
  try {
    return trainGbdt(selectRows(s.x, folds.train), gather(y, folds.train), {
      featureNames: s.names,
      params: { seed, ...params },
      validation: { x: selectRows(s.x, folds.held), y: gather(y, folds.held) },
      ...(engine ? { engine } : {}),
      stopwatch: () => performance.now(),
    });
  } finally {
    if (own) await engine?.close();
  }
};

/**
 * Temporal folds the choice is made on by default: fitted on the snapshots older than the
 * latest one and scored on it, and the same one step earlier. One fold's AUCs on a few thousand
 * users differ by noise about as much as the candidates do; two halve the chance of a wrong pick.
 */
const DEFAULT_SELECTION_FOLDS = 2;

/** Blend weights of the trees tried by default (the regression gets the rest). */
const DEFAULT_BLEND_WEIGHTS = [0.25, 0.5, 0.75];

/**
 * Fits the candidates (trees, logistic regression, blends of their log-odds) on every snapshot
 * but the latest labelled one, chooses by AUC on that latest one (a fold later in time than the
 * fitting rows), and fits Platt scaling and the threshold on it too. With one snapshot, a
 * 30 % share of its users (by a hash of the id) plays that part.
 */
export type SelectionOptions = Pick<
  ChurnEvaluationOptions,
  | 'gbdt'
  | 'logistic'
  | 'validationFraction'
  | 'threshold'
  | 'candidates'
  | 'blendWeights'
  | 'refit'
  | 'selectionFolds'
  | 'gapDays'
>;

export const fitAndSelect = async (
  snapshots: readonly FeatureSnapshot[],
  o: SelectionOptions,
  seed: number,
): ReturnType<typeof fitAndSelectOn> => {
  const thread = new HistogramThread();
  try {
    return await fitAndSelectOn(snapshots, o, seed, thread);
  } finally {
    await thread.close();
  }
};

const fitAndSelectOn = async (
  snapshots: readonly FeatureSnapshot[],
  o: SelectionOptions,
  seed: number,
  thread: HistogramThread,
): Promise<{
  model: ChurnModel;
  gbdt: GbdtModel;
  logistic: LogisticModel;
  rounds: number;
  threshold: number;
  selection: SelectionReport;
  calibration: CalibrationReport;
  seconds: { gbdt: number; logistic: number };
}> => {
  const latest = snapshots[0] as FeatureSnapshot;
  const temporal = snapshots.length >= 2;
  let fold: SelectionReport['fold'] = temporal ? 'temporal' : 'held-out users';
  /** Fold f: fitted on the snapshots older than snapshot f, scored on snapshot f. */
  const folds: { fit: FeatureSnapshot; sel: FeatureSnapshot; cutoffs: number[] }[] = [];
  if (temporal) {
    const count = Math.max(1, Math.min(o.selectionFolds ?? DEFAULT_SELECTION_FOLDS, snapshots.length - 1));
    // A fold fits only on snapshots whose labels end by the selection snapshot's cutoff (cutoff
    // at least a horizon earlier): with overlapping label windows the candidates would learn
    // from the very period they are judged on, which flatters the more flexible trees. It is
    // also the gap the stored model faces: trained on labels ending at the cutoff, used there.
    const gap = (o.gapDays ?? 0) * DAY_MS;
    for (let f = 0; f < count; f++) {
      const sel = snapshots[f] as FeatureSnapshot;
      const older = snapshots.slice(f + 1).filter((s) => s.cutoff <= sel.cutoff - gap);
      if (older.length > 0)
        folds.push({ fit: stackSnapshots(older), sel, cutoffs: older.map((s) => s.cutoff) });
    }
    if (folds.length === 0) {
      // Too few snapshots for a clean gap: the adjacent ones, as the report says.
      folds.push({
        fit: stackSnapshots(snapshots.slice(1)),
        sel: latest,
        cutoffs: snapshots.slice(1).map((s) => s.cutoff),
      });
      fold = 'temporal, overlapping labels';
    }
  } else {
    const h = holdOutUsers(latest.userIds, 0.3, seed ^ 0x5e1ec7);
    const part = (idx: Uint32Array): FeatureSnapshot => ({
      cutoff: latest.cutoff,
      userIds: Array.from(idx, (i) => latest.userIds[i] as string),
      names: latest.names,
      x: selectRows(latest.x, idx),
      y: gather(latest.y as Uint8Array, idx),
    });
    folds.push({ fit: part(h.train), sel: part(h.held), cutoffs: [latest.cutoff] });
  }
  const allowed = new Set<ChurnModelKind>(o.candidates ?? CHURN_MODEL_KINDS);
  const weights = allowed.has('blend') ? (o.blendWeights ?? DEFAULT_BLEND_WEIGHTS) : [];
  type Candidate = { kind: ChurnModelKind; blendWeight: number; margin: Float64Array };
  const perFold: {
    scores: CandidateScore[];
    candidates: Candidate[];
    trees: GbdtTraining;
    lr: LogisticModel;
  }[] = [];
  let treeSeconds = 0;
  let lrSeconds = 0;
  for (const { fit, sel } of folds) {
    classCheck(fit.y as Uint8Array, 'fitting set');
    classCheck(sel.y as Uint8Array, 'selection fold');
    const t0 = performance.now();
    const trees = await fitTrees(fit, o, seed, o.gbdt ?? {}, thread);
    const t1 = performance.now();
    const lr = trainLogistic(fit.x, fit.y as Uint8Array, {
      featureNames: fit.names,
      ...(o.logistic ? { params: o.logistic } : {}),
    });
    treeSeconds += (t1 - t0) / 1000;
    lrSeconds += (performance.now() - t1) / 1000;
    const g = predictMargin(trees.model, sel.x);
    const l = logisticMargin(lr, sel.x);
    const candidates: Candidate[] = [];
    if (allowed.has('logistic')) candidates.push({ kind: 'logistic', blendWeight: 0, margin: l });
    if (allowed.has('gbdt')) candidates.push({ kind: 'gbdt', blendWeight: 1, margin: g });
    // Blends weigh the two models' log-odds after each is put on the fold's probability scale
    // (its Platt slope): boosted trees' raw log-odds run wider than the regression's, and would
    // otherwise dominate a "half and half" blend. The weight on raw log-odds that does this is stored.
    const ag = fitPlatt(g, sel.y as Uint8Array).a;
    const al = fitPlatt(l, sel.y as Uint8Array).a;
    for (const w of weights) {
      const raw = ag > 0 && al > 0 ? (w * ag) / (w * ag + (1 - w) * al) : w;
      candidates.push({ kind: 'blend', blendWeight: raw, margin: blendMargins(g, l, raw) });
    }
    if (candidates.length === 0) throw new Error('no model candidates allowed');
    perFold.push({ scores: chooseCandidate(candidates, sel.y as Uint8Array).scores, candidates, trees, lr });
  }
  const { chosen, scores } = averageFolds(perFold.map((f) => f.scores));
  // Calibration and threshold come from the latest fold: the window closest to the future.
  const first = perFold[0] as (typeof perFold)[number];
  const sel = (folds[0] as (typeof folds)[number]).sel;
  const fit = (folds[0] as (typeof folds)[number]).fit;
  const selY = sel.y as Uint8Array;
  const trees = first.trees;
  const lr = first.lr;
  const c = first.candidates[chosen] as Candidate;
  const platt = fitPlatt(c.margin, selY);
  const calibrated = applyPlatt(platt, c.margin);
  let finalTrees = trees;
  let finalLr = lr;
  if (o.refit !== false && fold === 'temporal') {
    // The latest labelled rows are the closest to the future being predicted: the chosen kind is
    // fitted again with them. Its calibration stays the one found on the selection fold.
    const all = stackSnapshots(snapshots);
    if (c.kind !== 'logistic') finalTrees = await fitTrees(all, o, seed, o.gbdt ?? {}, thread);
    if (c.kind !== 'gbdt')
      finalLr = trainLogistic(all.x, all.y as Uint8Array, {
        featureNames: all.names,
        ...(o.logistic ? { params: o.logistic } : {}),
      });
  }
  const uncalibrated: ChurnModel = {
    kind: c.kind,
    featureNames: [...fit.names],
    gbdt: c.kind === 'logistic' ? null : finalTrees.model,
    logistic: c.kind === 'gbdt' ? null : finalLr,
    blendWeight: c.blendWeight,
    calibration: null,
  };
  // The refitted model has seen the latest window's labels in its pool, so the fold model's
  // intercept would correct the drift twice: keep the slope and set the intercept so that the
  // mean prediction on the latest window equals its observed churn rate.
  const refitted = finalTrees !== trees || finalLr !== lr;
  const calibration = refitted
    ? {
        method: 'platt' as const,
        a: platt.a,
        b: interceptForMean(rawChurnMargin(uncalibrated, sel.x), platt.a, mean01(selY)),
      }
    : platt;
  const model: ChurnModel = { ...uncalibrated, calibration };
  const fitCutoffs = (folds[0] as (typeof folds)[number]).cutoffs.map(iso);
  return {
    model,
    gbdt: finalTrees.model,
    logistic: finalLr,
    rounds: finalTrees.rounds,
    threshold: chooseThreshold(calibrated, selY, o.threshold ?? { kind: 'max-f1' }).threshold,
    selection: {
      fold,
      fitCutoffs,
      selectCutoff: iso(sel.cutoff),
      selectCutoffs: folds.map((f) => iso(f.sel.cutoff)),
      fitRows: fit.x.rows,
      selectRows: sel.x.rows,
      candidates: scores,
      chosen: c.kind,
      blendWeight: c.blendWeight,
    },
    calibration: {
      method: 'platt',
      why: PLATT_WHY,
      a: calibration.a,
      b: calibration.b,
      foldIntercept: platt.b,
      fittedOn: iso(sel.cutoff),
      rows: sel.x.rows,
      window: { before: reliability(probabilities(c.margin), selY), after: reliability(calibrated, selY) },
    },
    seconds: { gbdt: treeSeconds, logistic: lrSeconds },
  };
};

/** The peers of the benchmark, on the same training rows and evaluation users (issue 16). */
const comparePeers = async (
  snapshots: readonly FeatureSnapshot[],
  test: FeatureSnapshot,
  o: ChurnEvaluationOptions,
  seed: number,
): Promise<PeerComparison> => {
  const cols = ORDINARY_FEATURE_NAMES.map((n) => test.names.indexOf(n)).filter((j) => j >= 0);
  const names = cols.map((j) => test.names[j] as string);
  const all = stackSnapshots(snapshots);
  const train: FeatureSnapshot = { ...all, names, x: selectColumns(all.x, cols) };
  const testX = selectColumns(test.x, cols);
  const testY = test.y as Uint8Array;
  const lr = trainLogistic(train.x, train.y as Uint8Array, { featureNames: names });
  const trees = await fitTrees(train, { ...o, validationFraction: 0.2 }, seed, {});
  return {
    features: names,
    trainRows: train.x.rows,
    logistic: peerScore(logisticProbability(lr, testX), testY),
    gbdt: peerScore(predictProbability(trees.model, testX), testY),
  };
};

/**
 * B6 with a temporal split: features at cutoff − horizon labelled by the horizon ending at the
 * cutoff train the model (early stopping and the threshold use held-out training users);
 * features at the cutoff labelled by the horizon after it evaluate it. Reports AUC, PR-AUC,
 * precision/recall/F1 at the chosen threshold, calibration, and the baselines (recency alone,
 * logistic regression).
 */
export const evaluateChurnModel = async (
  wh: WarehouseSql,
  o: ChurnEvaluationOptions,
): Promise<{
  report: ChurnEvaluation;
  model: ChurnModel;
  /** The training rows (all snapshots) and the evaluation rows, for the benchmark's peers. */
  data: { train: FeatureSnapshot; test: FeatureSnapshot };
}> => {
  const def = o.definition;
  if (o.data) checkCutoff(o.cutoff, def.horizonDays, o.data);
  const split = temporalSplit(o.cutoff, def.horizonDays);
  const seed = o.seed ?? 1;
  const t0 = performance.now();
  const plan =
    o.plan ??
    (await planFeatures(wh, { cutoff: o.cutoff, ...(o.orderEvents ? { orderEvents: o.orderEvents } : {}) }));
  const snapshots = Math.max(1, Math.floor(o.trainSnapshots ?? 5));
  const step = (o.snapshotStepDays ?? 30) * DAY_MS;
  const parts: FeatureSnapshot[] = [];
  const total = snapshots + 3;
  for (let k = 0; k < snapshots; k++) {
    o.onProgress?.({ phase: 'features', done: k, total });
    parts.push(
      await extractFeatures(wh, plan, { cutoff: split.train.cutoff - k * step, population: def, label: def }),
    );
  }
  // An earlier snapshot with nobody eligible, or one class only (data starting late), is left out.
  const usable = parts.filter(
    (p, k) =>
      k === 0 ||
      (p.x.rows > 0 && (p.y as Uint8Array).some((v) => v === 1) && (p.y as Uint8Array).some((v) => v === 0)),
  );
  const train = stackSnapshots(usable);
  o.onProgress?.({ phase: 'features', done: snapshots, total });
  const test = await extractFeatures(wh, plan, {
    cutoff: split.evaluate.cutoff,
    population: def,
    label: def,
  });
  const trainCounts = counts(train, 'training');
  const testCounts = counts(test, 'evaluation');
  const testY = test.y as Uint8Array;
  const t1 = performance.now();

  o.onProgress?.({ phase: 'training', done: snapshots + 1, total });
  const trained = await fitAndSelect(usable, { ...o, gapDays: def.horizonDays }, seed);
  const t2 = performance.now();
  o.onProgress?.({ phase: 'evaluating', done: snapshots + 2, total });
  const model = trained.model;
  const rawTest = rawChurnMargin(model, test.x);
  const before = probabilities(rawTest);
  const p = churnProbability(model, test.x);
  const treesP = predictProbability(trained.gbdt, test.x);
  const lrP = logisticProbability(trained.logistic, test.x);
  const recency = train.names.indexOf('days_since_last_event');
  const peers = o.peers ? await comparePeers(usable, test, o, seed) : undefined;
  const t3 = performance.now();

  const explain = Math.min(test.x.rows, o.explainRows ?? 2000);
  const rows = new Uint32Array(explain);
  for (let k = 0; k < explain; k++) rows[k] = Math.floor((k * test.x.rows) / explain);
  const shap = meanAbsContribution(
    shapContributions(trained.gbdt, selectRows(test.x, rows)),
    train.names.length,
  );
  const gains = gainShares(trained.gbdt);
  const importance = train.names
    .map((feature, j) => ({ feature, gainShare: gains[j] as number, meanAbsShap: shap[j] as number }))
    .sort((a, b) => b.gainShare - a.gainShare || b.meanAbsShap - a.meanAbsShap);
  const t4 = performance.now();

  const report: ChurnEvaluation = {
    auc: rocAuc(p, testY),
    prAuc: averagePrecision(p, testY),
    baselineRecencyAuc: recency >= 0 ? rocAuc(column(test.x, recency), testY) : NaN,
    gbdtAuc: rocAuc(treesP, testY),
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
    threshold: atThreshold(p, testY, trained.threshold),
    logLoss: logLoss(p, testY),
    brier: brierScore(p, testY),
    calibration: calibrationTable(p, testY, 10),
    selection: trained.selection,
    calibrationReport: {
      ...trained.calibration,
      evaluation: {
        before: reliability(before, testY),
        after: reliability(p, testY),
      },
    },
    ...(peers ? { peers } : {}),
    trees: trained.gbdt.trees.length,
    rounds: trained.rounds,
    features: train.names,
    featureImportance: importance,
    seconds: {
      features: (t1 - t0) / 1000,
      gbdt: trained.seconds.gbdt,
      logistic: trained.seconds.logistic,
      scoring: (t3 - t2) / 1000,
      explain: (t4 - t3) / 1000,
    },
  };
  return { report, model, data: { train, test } };
};
