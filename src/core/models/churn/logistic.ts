import type { FeatureMatrix } from './matrix.ts';
import { logLossFromMargins } from './metrics/scoring-rules.ts';
import { sigmoid } from './sigmoid.ts';

/**
 * L2-regularised logistic regression on standardised features: the baseline the trees must
 * beat. Fitted by Newton's method (iteratively reweighted least squares) with a Cholesky solve
 * and step halving, so it is deterministic and converges in a handful of passes.
 */
export interface LogisticModel {
  readonly featureNames: readonly string[];
  /** Per feature: the mean and scale used to standardise (NaN is replaced by the mean, i.e. 0 after). */
  readonly mean: Float64Array;
  readonly scale: Float64Array;
  readonly intercept: number;
  /** Coefficients on the standardised features. */
  readonly coef: Float64Array;
}

export interface LogisticParams {
  /** L2 penalty ½ λ ‖β‖² on the (standardised) coefficients, not the intercept. */
  lambda: number;
  maxIterations: number;
  /** Stop when no coefficient moves more than this. */
  tolerance: number;
}

export const DEFAULT_LOGISTIC_PARAMS: Readonly<LogisticParams> = {
  lambda: 1,
  maxIterations: 50,
  tolerance: 1e-8,
};

const standardiser = (x: FeatureMatrix): { mean: Float64Array; scale: Float64Array } => {
  const d = x.cols;
  const mean = new Float64Array(d);
  const scale = new Float64Array(d);
  const count = new Float64Array(d);
  const v = x.values;
  for (let i = 0, p = 0; i < x.rows; i++) {
    for (let j = 0; j < d; j++, p++) {
      const a = v[p] as number;
      if (!Number.isNaN(a)) {
        mean[j] = (mean[j] as number) + a;
        count[j] = (count[j] as number) + 1;
      }
    }
  }
  for (let j = 0; j < d; j++)
    mean[j] = (count[j] as number) > 0 ? (mean[j] as number) / (count[j] as number) : 0;
  for (let i = 0, p = 0; i < x.rows; i++) {
    for (let j = 0; j < d; j++, p++) {
      const a = v[p] as number;
      if (!Number.isNaN(a)) scale[j] = (scale[j] as number) + (a - (mean[j] as number)) ** 2;
    }
  }
  for (let j = 0; j < d; j++) {
    const sd = (count[j] as number) > 1 ? Math.sqrt((scale[j] as number) / (count[j] as number)) : 0;
    scale[j] = sd > 0 && Number.isFinite(sd) ? sd : 0; // 0: a constant column, left out
  }
  return { mean, scale };
};

/** Writes the standardised row i into `z` (z[0] = 1 for the intercept). */
const standardRow = (
  x: FeatureMatrix,
  i: number,
  mean: Float64Array,
  scale: Float64Array,
  z: Float64Array,
): void => {
  const d = x.cols;
  z[0] = 1;
  for (let j = 0; j < d; j++) {
    const a = x.values[i * d + j] as number;
    const s = scale[j] as number;
    z[j + 1] = s > 0 && !Number.isNaN(a) ? (a - (mean[j] as number)) / s : 0;
  }
};

/** Solves A x = b for a symmetric positive definite A (k × k, row-major) by Cholesky; A and b are overwritten. */
const choleskySolve = (a: Float64Array, b: Float64Array, k: number): Float64Array => {
  for (let j = 0; j < k; j++) {
    let s = a[j * k + j] as number;
    for (let m = 0; m < j; m++) s -= (a[j * k + m] as number) ** 2;
    if (!(s > 0)) throw new Error('logistic regression: Hessian is not positive definite');
    const l = Math.sqrt(s);
    a[j * k + j] = l;
    for (let i = j + 1; i < k; i++) {
      let t = a[i * k + j] as number;
      for (let m = 0; m < j; m++) t -= (a[i * k + m] as number) * (a[j * k + m] as number);
      a[i * k + j] = t / l;
    }
  }
  for (let i = 0; i < k; i++) {
    let t = b[i] as number;
    for (let m = 0; m < i; m++) t -= (a[i * k + m] as number) * (b[m] as number);
    b[i] = t / (a[i * k + i] as number);
  }
  for (let i = k - 1; i >= 0; i--) {
    let t = b[i] as number;
    for (let m = i + 1; m < k; m++) t -= (a[m * k + i] as number) * (b[m] as number);
    b[i] = t / (a[i * k + i] as number);
  }
  return b;
};

const margins = (
  x: FeatureMatrix,
  beta: Float64Array,
  mean: Float64Array,
  scale: Float64Array,
): Float64Array => {
  const z = new Float64Array(x.cols + 1);
  const out = new Float64Array(x.rows);
  for (let i = 0; i < x.rows; i++) {
    standardRow(x, i, mean, scale, z);
    let s = 0;
    for (let j = 0; j <= x.cols; j++) s += (beta[j] as number) * (z[j] as number);
    out[i] = s;
  }
  return out;
};

const objective = (m: Float64Array, y: Uint8Array, beta: Float64Array, lambda: number): number => {
  let pen = 0;
  for (let j = 1; j < beta.length; j++) pen += (beta[j] as number) ** 2;
  return logLossFromMargins(m, y) * m.length + 0.5 * lambda * pen;
};

/**
 * Rows per block of the Newton pass. A block's standardised rows are laid out column by column
 * (k × BLOCK doubles, about 40 KB at 75 features) so each Hessian cell is a dot product over
 * consecutive memory.
 */
const BLOCK = 64;

interface NewtonBlocks {
  k: number;
  /** z[a · BLOCK + t]: standardised feature a − 1 of the block's row t (a = 0: the intercept's 1). */
  z: Float64Array;
  /** w_t · z[a · BLOCK + t]. */
  wz: Float64Array;
  /** The residual p − y of each row of the block. */
  r: Float64Array;
}

const newtonBlocks = (k: number): NewtonBlocks => ({
  k,
  z: new Float64Array(k * BLOCK),
  wz: new Float64Array(k * BLOCK),
  r: new Float64Array(BLOCK),
});

/**
 * Adds every row's gradient r·z and lower-triangle Hessian w·z·zᵀ into `grad` and `hess`, a block
 * of rows at a time. Each cell still sums its rows one after the other, in row order, from the
 * value it had, so the result is bit-identical to a row-at-a-time pass (rows whose z[a] is 0 add
 * 0, which leaves a sum unchanged); the block layout only keeps eight cells' sums in registers
 * while one pass reads the block (about 2.5 times as fast at 75 features, measured on 30,000
 * dense rows).
 */
const accumulateNewton = (
  x: FeatureMatrix,
  y: Uint8Array,
  m: Float64Array,
  mean: Float64Array,
  scale: Float64Array,
  grad: Float64Array,
  hess: Float64Array,
  blocks: NewtonBlocks,
): void => {
  const { k, z, wz, r } = blocks;
  const d = x.cols;
  const v = x.values;
  for (let start = 0; start < x.rows; start += BLOCK) {
    const len = Math.min(BLOCK, x.rows - start);
    for (let t = 0; t < len; t++) {
      const i = start + t;
      const pr = sigmoid(m[i] as number);
      const w = Math.max(pr * (1 - pr), 1e-12);
      r[t] = pr - (y[i] as number);
      z[t] = 1;
      wz[t] = w;
      for (let j = 0, p = i * d, o = BLOCK + t; j < d; j++, p++, o += BLOCK) {
        const a = v[p] as number;
        const s = scale[j] as number;
        const zj = s > 0 && !Number.isNaN(a) ? (a - (mean[j] as number)) / s : 0;
        z[o] = zj;
        wz[o] = w * zj;
      }
    }
    for (let a = 0; a < k; a++) {
      const o = a * BLOCK;
      let g = grad[a] as number;
      for (let t = 0; t < len; t++) g += (r[t] as number) * (z[o + t] as number);
      grad[a] = g;
    }
    // Two Hessian rows by four columns at a time: six loads feed eight products.
    let a = 0;
    for (; a + 1 < k; a += 2) {
      const oa = a * BLOCK;
      const oa2 = oa + BLOCK;
      const row = a * k;
      const row2 = row + k;
      let b = 0;
      for (; b + 3 <= a; b += 4) {
        const o0 = b * BLOCK;
        const o1 = o0 + BLOCK;
        const o2 = o1 + BLOCK;
        const o3 = o2 + BLOCK;
        let h0 = hess[row + b] as number;
        let h1 = hess[row + b + 1] as number;
        let h2 = hess[row + b + 2] as number;
        let h3 = hess[row + b + 3] as number;
        let g0 = hess[row2 + b] as number;
        let g1 = hess[row2 + b + 1] as number;
        let g2 = hess[row2 + b + 2] as number;
        let g3 = hess[row2 + b + 3] as number;
        for (let t = 0; t < len; t++) {
          const q = wz[oa + t] as number;
          const q2 = wz[oa2 + t] as number;
          const z0 = z[o0 + t] as number;
          const z1 = z[o1 + t] as number;
          const z2 = z[o2 + t] as number;
          const z3 = z[o3 + t] as number;
          h0 += q * z0;
          h1 += q * z1;
          h2 += q * z2;
          h3 += q * z3;
          g0 += q2 * z0;
          g1 += q2 * z1;
          g2 += q2 * z2;
          g3 += q2 * z3;
        }
        hess[row + b] = h0;
        hess[row + b + 1] = h1;
        hess[row + b + 2] = h2;
        hess[row + b + 3] = h3;
        hess[row2 + b] = g0;
        hess[row2 + b + 1] = g1;
        hess[row2 + b + 2] = g2;
        hess[row2 + b + 3] = g3;
      }
      for (; b <= a + 1; b++) {
        if (b <= a) dotInto(hess, row + b, wz, oa, z, b * BLOCK, len);
        dotInto(hess, row2 + b, wz, oa2, z, b * BLOCK, len);
      }
    }
    for (; a < k; a++)
      for (let b = 0; b <= a; b++) dotInto(hess, a * k + b, wz, a * BLOCK, z, b * BLOCK, len);
  }
};

/** `out[at] += Σ_t p[op + t] · q[oq + t]`, summed in t order. */
const dotInto = (
  out: Float64Array,
  at: number,
  p: Float64Array,
  op: number,
  q: Float64Array,
  oq: number,
  len: number,
): void => {
  let h = out[at] as number;
  for (let t = 0; t < len; t++) h += (p[op + t] as number) * (q[oq + t] as number);
  out[at] = h;
};

export const trainLogistic = (
  x: FeatureMatrix,
  y: Uint8Array,
  options: { featureNames: readonly string[]; params?: Partial<LogisticParams> },
): LogisticModel => {
  const p = { ...DEFAULT_LOGISTIC_PARAMS, ...options.params };
  if (y.length !== x.rows) throw new Error(`${y.length} labels for ${x.rows} rows`);
  if (options.featureNames.length !== x.cols)
    throw new Error(`${options.featureNames.length} names for ${x.cols} columns`);
  const { mean, scale } = standardiser(x);
  const k = x.cols + 1;
  const beta = new Float64Array(k);
  let positives = 0;
  for (let i = 0; i < y.length; i++) positives += y[i] as number;
  const rate = Math.min(1 - 1e-6, Math.max(1e-6, positives / Math.max(1, y.length)));
  beta[0] = Math.log(rate / (1 - rate));
  const grad = new Float64Array(k);
  const hess = new Float64Array(k * k);
  let m = margins(x, beta, mean, scale);
  let obj = objective(m, y, beta, p.lambda);
  const blocks = newtonBlocks(k);
  for (let iter = 0; iter < p.maxIterations; iter++) {
    grad.fill(0);
    hess.fill(0);
    accumulateNewton(x, y, m, mean, scale, grad, hess, blocks);
    for (let a = 1; a < k; a++) {
      grad[a] = (grad[a] as number) + p.lambda * (beta[a] as number);
      hess[a * k + a] = (hess[a * k + a] as number) + p.lambda;
    }
    for (let a = 0; a < k; a++) {
      // Constant columns have an empty row: pin their coefficient at 0.
      if (hess[a * k + a] === 0) hess[a * k + a] = 1;
      for (let b = 0; b < a; b++) hess[b * k + a] = hess[a * k + b] as number;
    }
    const step = choleskySolve(hess, grad, k);
    let t = 1;
    let next = beta.slice();
    let nextM = m;
    let nextObj = Infinity;
    for (let halvings = 0; halvings < 30; halvings++, t /= 2) {
      next = beta.map((b, j) => b - t * (step[j] as number));
      nextM = margins(x, next, mean, scale);
      nextObj = objective(nextM, y, next, p.lambda);
      if (nextObj <= obj + 1e-12 * Math.abs(obj)) break;
    }
    let move = 0;
    for (let j = 0; j < k; j++) move = Math.max(move, Math.abs((next[j] as number) - (beta[j] as number)));
    if (!(nextObj <= obj + 1e-12 * Math.abs(obj))) break; // no descent possible: converged to rounding
    beta.set(next);
    m = nextM;
    obj = nextObj;
    if (move < p.tolerance) break;
  }
  return {
    featureNames: [...options.featureNames],
    mean,
    scale,
    intercept: beta[0] as number,
    coef: beta.slice(1),
  };
};

export const logisticMargin = (model: LogisticModel, x: FeatureMatrix): Float64Array => {
  if (x.cols !== model.featureNames.length) {
    throw new Error(`the model expects ${model.featureNames.length} features, the matrix has ${x.cols}`);
  }
  const beta = new Float64Array(x.cols + 1);
  beta[0] = model.intercept;
  beta.set(model.coef, 1);
  return margins(x, beta, model.mean, model.scale);
};

export const logisticProbability = (model: LogisticModel, x: FeatureMatrix): Float64Array =>
  logisticMargin(model, x).map(sigmoid);
