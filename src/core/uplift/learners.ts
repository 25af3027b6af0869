import { trainGbdt, type GbdtParams } from '../models/churn/gbdt.ts';
import { logisticProbability, trainLogistic } from '../models/churn/logistic.ts';
import { gather, selectRows, type FeatureMatrix } from '../models/churn/matrix.ts';
import { predictProbability } from '../models/churn/predict.ts';
import { seededRandom } from '../stats/rng.ts';

/**
 * Uplift learners (features.md B9): each fits on rows of a randomised test (features,
 * treated or control, binary outcome) and returns a scorer whose higher scores mean "moved more
 * by the treatment". Ours are the two-model learners on logistic regression and on our
 * gradient-boosted trees, and a transformed-outcome learner; the response model and random
 * targeting are the baselines every report sets beside them.
 */
export interface UpliftRows {
  readonly x: FeatureMatrix;
  /** 1 treated, 0 control. */
  readonly treatment: Uint8Array;
  /** 1 when the outcome happened. */
  readonly outcome: Uint8Array;
  readonly featureNames: readonly string[];
}

export type UpliftScorer = (x: FeatureMatrix) => Float64Array;

export type LearnerId =
  'two-model-logistic' | 'two-model-gbdt' | 'transformed-outcome' | 'response-model' | 'random';

export interface UpliftLearner {
  readonly id: LearnerId;
  readonly label: string;
  /** A baseline is reported beside ours but never chosen. */
  readonly baseline: boolean;
  readonly fit: (rows: UpliftRows, seed: number) => UpliftScorer;
  /**
   * Learners that model each arm (the two-model ones) also give both probabilities, which the
   * segments need (segments.ts); `fit` is their difference, so either path gives one ranking.
   */
  readonly fitArms?: (rows: UpliftRows, seed: number) => (x: FeatureMatrix) => ArmProbabilities;
}

/** P(outcome | treated, x) and P(outcome | control, x) per row. */
export interface ArmProbabilities {
  readonly treated: Float64Array;
  readonly control: Float64Array;
}

const arm = (rows: UpliftRows, treated: 0 | 1): { x: FeatureMatrix; y: Uint8Array } => {
  const idx: number[] = [];
  for (let i = 0; i < rows.treatment.length; i++) if (rows.treatment[i] === treated) idx.push(i);
  const index = Uint32Array.from(idx);
  return { x: selectRows(rows.x, index), y: gather(rows.outcome, index) };
};

const difference = (a: Float64Array, b: Float64Array): Float64Array => a.map((v, i) => v - (b[i] as number));

/** The predicted uplift of a two-model prediction: treated minus control, per row. */
export const armDifference = (p: ArmProbabilities): Float64Array => difference(p.treated, p.control);

const fromArms =
  (fitArms: NonNullable<UpliftLearner['fitArms']>): UpliftLearner['fit'] =>
  (rows, seed) => {
    const arms = fitArms(rows, seed);
    return (x) => armDifference(arms(x));
  };

/** Two-model (T-learner): P(outcome | treated, x) − P(outcome | control, x), one logistic regression per arm. */
const twoModelLogisticArms: NonNullable<UpliftLearner['fitArms']> = (rows) => {
  const t = arm(rows, 1);
  const c = arm(rows, 0);
  const mt = trainLogistic(t.x, t.y, { featureNames: rows.featureNames });
  const mc = trainLogistic(c.x, c.y, { featureNames: rows.featureNames });
  return (x) => ({ treated: logisticProbability(mt, x), control: logisticProbability(mc, x) });
};

export const twoModelLogistic: UpliftLearner = {
  id: 'two-model-logistic',
  label: 'two-model, logistic regression',
  baseline: false,
  fit: fromArms(twoModelLogisticArms),
  fitArms: twoModelLogisticArms,
};

/**
 * Two-model on our gradient-boosted trees (src/core/models/churn/gbdt.ts), one per arm, each
 * stopping early on a seeded fifth of its arm. `params` lets a caller shrink the trees.
 */
export const twoModelGbdt = (params: Partial<GbdtParams> = {}): UpliftLearner => {
  const fitArms: NonNullable<UpliftLearner['fitArms']> = (rows, seed) => {
    const t = arm(rows, 1);
    const c = arm(rows, 0);
    const opts = { featureNames: rows.featureNames, params: { seed, ...params } };
    const mt = trainGbdt(t.x, t.y, opts).model;
    const mc = trainGbdt(c.x, c.y, opts).model;
    return (x) => ({ treated: predictProbability(mt, x), control: predictProbability(mc, x) });
  };
  return {
    id: 'two-model-gbdt',
    label: 'two-model, gradient-boosted trees',
    baseline: false,
    fit: fromArms(fitArms),
    fitArms,
  };
};

/**
 * Ridge least squares on standardised features (missing values at the column mean), intercept
 * not penalised: the regressor of the transformed-outcome learner. Solved by the normal
 * equations (columns are few) with Gaussian elimination and partial pivoting.
 */
const fitRidge = (
  x: FeatureMatrix,
  z: Float64Array,
  lambda: number,
): ((x: FeatureMatrix) => Float64Array) => {
  const d = x.cols;
  const mean = new Float64Array(d);
  const count = new Float64Array(d);
  const scale = new Float64Array(d);
  for (let i = 0; i < x.rows; i++)
    for (let j = 0; j < d; j++) {
      const v = x.values[i * d + j] as number;
      if (!Number.isNaN(v)) {
        mean[j] = (mean[j] as number) + v;
        count[j] = (count[j] as number) + 1;
      }
    }
  for (let j = 0; j < d; j++)
    mean[j] = (count[j] as number) > 0 ? (mean[j] as number) / (count[j] as number) : 0;
  for (let i = 0; i < x.rows; i++)
    for (let j = 0; j < d; j++) {
      const v = x.values[i * d + j] as number;
      if (!Number.isNaN(v)) scale[j] = (scale[j] as number) + (v - (mean[j] as number)) ** 2;
    }
  for (let j = 0; j < d; j++) {
    const sd = (count[j] as number) > 1 ? Math.sqrt((scale[j] as number) / (count[j] as number)) : 0;
    scale[j] = sd > 0 && Number.isFinite(sd) ? sd : 0;
  }
  const k = d + 1;
  const row = (m: FeatureMatrix, i: number, out: Float64Array): void => {
    out[0] = 1;
    for (let j = 0; j < d; j++) {
      const v = m.values[i * d + j] as number;
      const s = scale[j] as number;
      out[j + 1] = s > 0 && !Number.isNaN(v) ? (v - (mean[j] as number)) / s : 0;
    }
  };
  // Augmented normal equations [XᵀX + λI | Xᵀz], k × (k + 1).
  const a = new Float64Array(k * (k + 1));
  const r = new Float64Array(k);
  for (let i = 0; i < x.rows; i++) {
    row(x, i, r);
    const zi = z[i] as number;
    for (let p = 0; p < k; p++) {
      const rp = r[p] as number;
      if (rp === 0) continue;
      for (let q = 0; q < k; q++) a[p * (k + 1) + q] = (a[p * (k + 1) + q] as number) + rp * (r[q] as number);
      a[p * (k + 1) + k] = (a[p * (k + 1) + k] as number) + rp * zi;
    }
  }
  // Constant columns (scale 0) get a pinned 0 coefficient through the penalty alone.
  for (let p = 1; p < k; p++) a[p * (k + 1) + p] = (a[p * (k + 1) + p] as number) + Math.max(lambda, 1e-9);
  const w = k + 1;
  for (let c = 0; c < k; c++) {
    let piv = c;
    for (let p = c + 1; p < k; p++)
      if (Math.abs(a[p * w + c] as number) > Math.abs(a[piv * w + c] as number)) piv = p;
    if (a[piv * w + c] === 0) throw new Error('ridge regression: singular system');
    if (piv !== c)
      for (let q = 0; q < w; q++) {
        const tmp = a[c * w + q] as number;
        a[c * w + q] = a[piv * w + q] as number;
        a[piv * w + q] = tmp;
      }
    for (let p = 0; p < k; p++) {
      if (p === c) continue;
      const f = (a[p * w + c] as number) / (a[c * w + c] as number);
      if (f === 0) continue;
      for (let q = c; q < w; q++) a[p * w + q] = (a[p * w + q] as number) - f * (a[c * w + q] as number);
    }
  }
  const beta = Float64Array.from(
    { length: k },
    (_, p) => (a[p * w + k] as number) / (a[p * w + p] as number),
  );
  return (m) => {
    if (m.cols !== d) throw new Error(`the model expects ${d} features, the matrix has ${m.cols}`);
    const out = new Float64Array(m.rows);
    const rr = new Float64Array(k);
    for (let i = 0; i < m.rows; i++) {
      row(m, i, rr);
      let s = 0;
      for (let p = 0; p < k; p++) s += (beta[p] as number) * (rr[p] as number);
      out[i] = s;
    }
    return out;
  };
};

/**
 * Transformed outcome (Athey & Imbens 2016): Z = Y · (T/p − (1 − T)/(1 − p)) with p the
 * treated share of the training rows has E[Z | x] = the uplift at x for any p, so a regression
 * of Z on x estimates uplift directly; here a ridge linear regression (λ = 1 on standardised
 * features). This is the regression variant, not the class-transformation one, which needs
 * p = ½ or reweighting.
 */
export const transformedOutcome: UpliftLearner = {
  id: 'transformed-outcome',
  label: 'transformed outcome, ridge regression',
  baseline: false,
  fit: (rows) => {
    let treated = 0;
    for (let i = 0; i < rows.treatment.length; i++) treated += rows.treatment[i] as number;
    const p = treated / rows.treatment.length;
    if (!(p > 0 && p < 1)) throw new Error('transformed outcome: both arms need rows');
    const z = Float64Array.from(rows.outcome, (y, i) =>
      y === 0 ? 0 : rows.treatment[i] === 1 ? 1 / p : -1 / (1 - p),
    );
    return fitRidge(rows.x, z, 1);
  },
};

/** Baseline: P(outcome | treated, x) alone — targeting who is likely to act, not who is moved. */
export const responseModel: UpliftLearner = {
  id: 'response-model',
  label: 'response model, P(outcome) if treated',
  baseline: true,
  fit: (rows) => {
    const t = arm(rows, 1);
    const m = trainLogistic(t.x, t.y, { featureNames: rows.featureNames });
    return (x) => logisticProbability(m, x);
  },
};

/** Baseline: a seeded uniform score per row, i.e. targeting at random. */
export const randomTargeting: UpliftLearner = {
  id: 'random',
  label: 'random targeting',
  baseline: true,
  fit: (_rows, seed) => (x) => {
    const rand = seededRandom(seed ^ 0x5eed);
    return Float64Array.from({ length: x.rows }, () => rand());
  },
};

export const defaultLearners = (gbdt: Partial<GbdtParams> = {}): readonly UpliftLearner[] => [
  twoModelLogistic,
  twoModelGbdt(gbdt),
  transformedOutcome,
  responseModel,
  randomTargeting,
];
