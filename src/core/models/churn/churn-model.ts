import type { GbdtModel } from './gbdt.ts';
import { logisticMargin, type LogisticModel } from './logistic.ts';
import { selectRows, type FeatureMatrix } from './matrix.ts';
import { rocAuc } from './metrics/ranking.ts';
import { brierScore, logLossFromMargins } from './metrics/scoring-rules.ts';
import type { PlattScaling } from './platt.ts';
import { predictMargin } from './predict.ts';
import { saabasContributions } from './saabas.ts';
import { sigmoid } from './sigmoid.ts';
import { offerTopK } from './top-k.ts';

/**
 * The stored churn model: the candidate chosen by validation AUC on a later temporal fold
 * (gradient-boosted trees, an L2 logistic regression on standardised features, or a blend
 * averaging their log-odds), followed by Platt scaling fitted on the latest labelled window.
 */
export type ChurnModelKind = 'gbdt' | 'logistic' | 'blend';

export const CHURN_MODEL_KINDS: readonly ChurnModelKind[] = ['gbdt', 'logistic', 'blend'];

export interface ChurnModel {
  readonly kind: ChurnModelKind;
  readonly featureNames: readonly string[];
  /** Present for 'gbdt' and 'blend'. */
  readonly gbdt: GbdtModel | null;
  /** Present for 'logistic' and 'blend'. */
  readonly logistic: LogisticModel | null;
  /** Weight of the trees' log-odds in a blend (the regression's is 1 − it); 1 for 'gbdt', 0 for 'logistic'. */
  readonly blendWeight: number;
  /** Null: the model's own probability (models stored before calibration). */
  readonly calibration: PlattScaling | null;
}

/** A model of trees only, uncalibrated: what format 1 stored. */
export const gbdtChurnModel = (gbdt: GbdtModel, calibration: PlattScaling | null = null): ChurnModel => ({
  kind: 'gbdt',
  featureNames: gbdt.featureNames,
  gbdt,
  logistic: null,
  blendWeight: 1,
  calibration,
});

/** Checks that a model's parts are there for its kind and agree on the features; a message otherwise. */
export const checkChurnModel = (m: ChurnModel): string | undefined => {
  const needsTrees = m.kind !== 'logistic';
  const needsLinear = m.kind !== 'gbdt';
  if (needsTrees !== (m.gbdt !== null)) return `a '${m.kind}' model ${needsTrees ? 'needs' : 'has no'} trees`;
  if (needsLinear !== (m.logistic !== null))
    return `a '${m.kind}' model ${needsLinear ? 'needs' : 'has no'} a logistic regression`;
  const names = m.featureNames.join('\u0000');
  if (m.gbdt && m.gbdt.featureNames.join('\u0000') !== names) return 'the trees have other features';
  if (m.logistic && m.logistic.featureNames.join('\u0000') !== names)
    return 'the logistic regression has other features';
  if (
    m.logistic &&
    (m.logistic.coef.length !== m.featureNames.length || m.logistic.mean.length !== m.featureNames.length)
  )
    return 'the logistic regression has the wrong number of coefficients';
  if (!(m.blendWeight >= 0 && m.blendWeight <= 1)) return `blendWeight ${m.blendWeight} is not in [0, 1]`;
  if (m.kind === 'gbdt' && m.blendWeight !== 1) return "a 'gbdt' model has blendWeight 1";
  if (m.kind === 'logistic' && m.blendWeight !== 0) return "a 'logistic' model has blendWeight 0";
  if (m.calibration && !(Number.isFinite(m.calibration.a) && Number.isFinite(m.calibration.b)))
    return 'calibration parameters must be finite';
  return undefined;
};

/** w · a + (1 − w) · b, element by element. */
export const blendMargins = (trees: Float64Array, linear: Float64Array, w: number): Float64Array =>
  trees.map((t, i) => w * t + (1 - w) * (linear[i] as number));

/** The uncalibrated log-odds of every row. */
export const rawChurnMargin = (m: ChurnModel, x: FeatureMatrix): Float64Array => {
  if (m.kind === 'gbdt') return predictMargin(m.gbdt as GbdtModel, x);
  if (m.kind === 'logistic') return logisticMargin(m.logistic as LogisticModel, x);
  return blendMargins(
    predictMargin(m.gbdt as GbdtModel, x),
    logisticMargin(m.logistic as LogisticModel, x),
    m.blendWeight,
  );
};

/** The calibrated log-odds: a · raw + b. */
export const churnMargin = (m: ChurnModel, x: FeatureMatrix): Float64Array => {
  const raw = rawChurnMargin(m, x);
  const c = m.calibration;
  if (c) for (let i = 0; i < raw.length; i++) raw[i] = c.a * (raw[i] as number) + c.b;
  return raw;
};

/** Churn probability of every row (calibrated when the model carries a calibration). */
export const churnProbability = (m: ChurnModel, x: FeatureMatrix): Float64Array => {
  const z = churnMargin(m, x);
  for (let i = 0; i < z.length; i++) z[i] = sigmoid(z[i] as number);
  return z;
};

/**
 * The regression's contributions: coefficient × standardised value (0 for a missing value, which
 * the model reads as the mean), row-major. They add up to the log-odds minus the intercept.
 */
export const logisticContributions = (model: LogisticModel, x: FeatureMatrix): Float64Array => {
  const d = model.featureNames.length;
  if (x.cols !== d) throw new Error(`the model expects ${d} features, the matrix has ${x.cols}`);
  const out = new Float64Array(x.rows * d);
  for (let i = 0, o = 0; i < x.rows; i++, o += d) {
    for (let j = 0; j < d; j++) {
      const v = x.values[o + j] as number;
      const s = model.scale[j] as number;
      out[o + j] =
        s > 0 && !Number.isNaN(v) ? ((model.coef[j] as number) * (v - (model.mean[j] as number))) / s : 0;
    }
  }
  return out;
};

/**
 * Per-feature contributions to the calibrated log-odds, row-major: Saabas path contributions
 * for trees, coefficient × standardised value for the regression, their weighted sum for a
 * blend, all times the calibration slope.
 */
export const churnContributions = (m: ChurnModel, x: FeatureMatrix): Float64Array => {
  const w = m.blendWeight;
  let phi: Float64Array;
  if (m.kind === 'gbdt') phi = saabasContributions(m.gbdt as GbdtModel, x);
  else if (m.kind === 'logistic') phi = logisticContributions(m.logistic as LogisticModel, x);
  else {
    phi = saabasContributions(m.gbdt as GbdtModel, x);
    const lin = logisticContributions(m.logistic as LogisticModel, x);
    for (let i = 0; i < phi.length; i++) phi[i] = w * (phi[i] as number) + (1 - w) * (lin[i] as number);
  }
  const a = m.calibration?.a ?? 1;
  if (a !== 1) for (let i = 0; i < phi.length; i++) phi[i] = a * (phi[i] as number);
  return phi;
};

const REASON_CHUNK = 8192;

/**
 * Each row's `k` largest positive contributions (see churnContributions), computed a chunk of
 * rows at a time so a million users never need the rows × features matrix: `feature[i * k + r]`
 * is row i's reason r (−1: fewer reasons), `contribution[i * k + r]` its log-odds. Largest first,
 * ties by feature order.
 */
export const topChurnReasons = (
  m: ChurnModel,
  x: FeatureMatrix,
  k: number,
): { feature: Int32Array; contribution: Float64Array } => {
  const d = x.cols;
  const feature = new Int32Array(x.rows * k).fill(-1);
  const contribution = new Float64Array(x.rows * k);
  for (let start = 0; start < x.rows; start += REASON_CHUNK) {
    const end = Math.min(x.rows, start + REASON_CHUNK);
    const rows = new Uint32Array(end - start).map((_, i) => start + i);
    const phi = churnContributions(m, selectRows(x, rows));
    for (let i = start; i < end; i++) {
      const o = (i - start) * d;
      const base = i * k;
      let n = 0;
      for (let j = 0; j < d; j++) {
        n = offerTopK(feature, contribution, base, k, n, j, phi[o + j] as number);
      }
    }
  }
  return { feature, contribution };
};

/** One candidate's result on the selection fold. */
export interface CandidateScore {
  kind: ChurnModelKind;
  /** Weight of the trees' log-odds (1 trees, 0 regression). */
  blendWeight: number;
  /** With several folds: the mean of `foldAucs`. */
  auc: number;
  foldAucs?: number[];
  logLoss: number;
  brier: number;
}

/**
 * Scores the candidates' (uncalibrated) log-odds on the selection fold and picks the highest
 * AUC; a tie goes to the earlier candidate in the list (list the simpler ones first).
 */
export const chooseCandidate = (
  candidates: readonly { kind: ChurnModelKind; blendWeight: number; margin: Float64Array }[],
  y: Uint8Array,
): { chosen: number; scores: CandidateScore[] } => {
  const scores = candidates.map((c) => ({
    kind: c.kind,
    blendWeight: c.blendWeight,
    auc: rocAuc(c.margin, y),
    logLoss: logLossFromMargins(c.margin, y),
    brier: brierScore(c.margin.map(sigmoid), y),
  }));
  let chosen = 0;
  scores.forEach((s, i) => {
    if (s.auc > (scores[chosen] as CandidateScore).auc + 1e-12) chosen = i;
  });
  return { chosen, scores };
};

/**
 * The candidates' scores averaged over several selection folds (same candidates, same order in
 * each) and the one with the highest mean AUC; ties go to the earlier candidate.
 */
export const averageFolds = (
  folds: readonly (readonly CandidateScore[])[],
): { chosen: number; scores: CandidateScore[] } => {
  const first = folds[0];
  if (!first || first.length === 0) throw new Error('no candidate scores');
  const k = folds.length;
  const scores = first.map((c, i) => {
    const at = folds.map((f) => f[i] as CandidateScore);
    return {
      kind: c.kind,
      blendWeight: c.blendWeight,
      auc: at.reduce((s, x) => s + x.auc, 0) / k,
      foldAucs: at.map((x) => x.auc),
      logLoss: at.reduce((s, x) => s + x.logLoss, 0) / k,
      brier: at.reduce((s, x) => s + x.brier, 0) / k,
    };
  });
  let chosen = 0;
  scores.forEach((s, i) => {
    if (s.auc > (scores[chosen] as CandidateScore).auc + 1e-12) chosen = i;
  });
  return { chosen, scores };
};
