import { describe, expect, it } from 'vitest';
import { Rng } from '../src/core/demo/prng.ts';
import { trainLogistic, type LogisticModel } from '../src/core/models/churn/logistic.ts';
import { featureMatrix, type FeatureMatrix } from '../src/core/models/churn/matrix.ts';
import { logLossFromMargins } from '../src/core/models/churn/metrics/scoring-rules.ts';
import { sigmoid } from '../src/core/models/churn/sigmoid.ts';

/**
 * The regression's Newton pass sums the Hessian a block of rows at a time (issue 20). These
 * tests hold it to the plain row-at-a-time pass it replaced, written out below as it was:
 * the same coefficients to the last bit, so models and reports do not move.
 */

const standardiser = (x: FeatureMatrix) => {
  const d = x.cols;
  const mean = new Float64Array(d);
  const scale = new Float64Array(d);
  const count = new Float64Array(d);
  for (let i = 0; i < x.rows; i++)
    for (let j = 0; j < d; j++) {
      const a = x.values[i * d + j] as number;
      if (!Number.isNaN(a)) {
        mean[j] = (mean[j] as number) + a;
        count[j] = (count[j] as number) + 1;
      }
    }
  for (let j = 0; j < d; j++)
    mean[j] = (count[j] as number) > 0 ? (mean[j] as number) / (count[j] as number) : 0;
  for (let i = 0; i < x.rows; i++)
    for (let j = 0; j < d; j++) {
      const a = x.values[i * d + j] as number;
      if (!Number.isNaN(a)) scale[j] = (scale[j] as number) + (a - (mean[j] as number)) ** 2;
    }
  for (let j = 0; j < d; j++) {
    const sd = (count[j] as number) > 1 ? Math.sqrt((scale[j] as number) / (count[j] as number)) : 0;
    scale[j] = sd > 0 && Number.isFinite(sd) ? sd : 0;
  }
  return { mean, scale };
};

const row = (x: FeatureMatrix, i: number, mean: Float64Array, scale: Float64Array, z: Float64Array) => {
  z[0] = 1;
  for (let j = 0; j < x.cols; j++) {
    const a = x.values[i * x.cols + j] as number;
    const s = scale[j] as number;
    z[j + 1] = s > 0 && !Number.isNaN(a) ? (a - (mean[j] as number)) / s : 0;
  }
};

const margins = (x: FeatureMatrix, beta: Float64Array, mean: Float64Array, scale: Float64Array) => {
  const z = new Float64Array(x.cols + 1);
  const out = new Float64Array(x.rows);
  for (let i = 0; i < x.rows; i++) {
    row(x, i, mean, scale, z);
    let s = 0;
    for (let j = 0; j <= x.cols; j++) s += (beta[j] as number) * (z[j] as number);
    out[i] = s;
  }
  return out;
};

const cholesky = (a: Float64Array, b: Float64Array, k: number) => {
  for (let j = 0; j < k; j++) {
    let s = a[j * k + j] as number;
    for (let m = 0; m < j; m++) s -= (a[j * k + m] as number) ** 2;
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

/** The row-at-a-time Newton fit (λ = 1, 50 iterations, tolerance 1e-8: the defaults). */
const referenceFit = (x: FeatureMatrix, y: Uint8Array): { intercept: number; coef: Float64Array } => {
  const lambda = 1;
  const { mean, scale } = standardiser(x);
  const k = x.cols + 1;
  const beta = new Float64Array(k);
  let pos = 0;
  for (let i = 0; i < y.length; i++) pos += y[i] as number;
  const rate = Math.min(1 - 1e-6, Math.max(1e-6, pos / Math.max(1, y.length)));
  beta[0] = Math.log(rate / (1 - rate));
  const objective = (m: Float64Array, b: Float64Array) => {
    let pen = 0;
    for (let j = 1; j < b.length; j++) pen += (b[j] as number) ** 2;
    return logLossFromMargins(m, y) * m.length + 0.5 * lambda * pen;
  };
  const z = new Float64Array(k);
  const grad = new Float64Array(k);
  const hess = new Float64Array(k * k);
  let m = margins(x, beta, mean, scale);
  let obj = objective(m, beta);
  for (let iter = 0; iter < 50; iter++) {
    grad.fill(0);
    hess.fill(0);
    for (let i = 0; i < x.rows; i++) {
      row(x, i, mean, scale, z);
      const pr = sigmoid(m[i] as number);
      const r = pr - (y[i] as number);
      const w = Math.max(pr * (1 - pr), 1e-12);
      for (let a = 0; a < k; a++) {
        const za = z[a] as number;
        if (za === 0) continue;
        grad[a] = (grad[a] as number) + r * za;
        const wz = w * za;
        for (let b = 0; b <= a; b++) hess[a * k + b] = (hess[a * k + b] as number) + wz * (z[b] as number);
      }
    }
    for (let a = 1; a < k; a++) {
      grad[a] = (grad[a] as number) + lambda * (beta[a] as number);
      hess[a * k + a] = (hess[a * k + a] as number) + lambda;
    }
    for (let a = 0; a < k; a++) {
      if (hess[a * k + a] === 0) hess[a * k + a] = 1;
      for (let b = 0; b < a; b++) hess[b * k + a] = hess[a * k + b] as number;
    }
    const step = cholesky(hess, grad, k);
    let t = 1;
    let next = beta.slice();
    let nextM = m;
    let nextObj = Infinity;
    for (let h = 0; h < 30; h++, t /= 2) {
      next = beta.map((b, j) => b - t * (step[j] as number));
      nextM = margins(x, next, mean, scale);
      nextObj = objective(nextM, next);
      if (nextObj <= obj + 1e-12 * Math.abs(obj)) break;
    }
    let move = 0;
    for (let j = 0; j < k; j++) move = Math.max(move, Math.abs((next[j] as number) - (beta[j] as number)));
    if (!(nextObj <= obj + 1e-12 * Math.abs(obj))) break;
    beta.set(next);
    m = nextM;
    obj = nextObj;
    if (move < 1e-8) break;
  }
  return { intercept: beta[0] as number, coef: beta.slice(1) };
};

/** Rows with missing values, a constant column, a sparse column and labels from a noisy linear rule. */
const data = (rows: number, cols: number, seed: number): { x: FeatureMatrix; y: Uint8Array } => {
  const rng = new Rng(seed, 7);
  const v = new Float64Array(rows * cols);
  const y = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < cols; j++) {
      const u = rng.next();
      const value =
        j === 1 ? 3 : j % 5 === 2 && u < 0.3 ? NaN : j % 4 === 3 ? (u < 0.8 ? 0 : 1) : u * (j + 1);
      v[i * cols + j] = value;
      if (!Number.isNaN(value)) s += ((j % 3) - 1) * value * 0.3;
    }
    y[i] = rng.next() < sigmoid(s) ? 1 : 0;
  }
  return { x: featureMatrix(rows, cols, v), y };
};

const bits = (m: LogisticModel) =>
  [m.intercept, ...Array.from(m.coef)].map((v) => (Object.is(v, -0) ? '-0' : v));

describe('logistic regression: blocked Newton pass', () => {
  // Row counts around the block size and column counts that leave each remainder of the 2 × 4 tiles.
  for (const [rows, cols] of [
    [1, 3],
    [63, 4],
    [64, 5],
    [65, 6],
    [130, 7],
    [1000, 12],
    [3001, 21],
  ] as const) {
    it(`gives the row-at-a-time coefficients bit for bit (${rows} rows, ${cols} features)`, () => {
      const { x, y } = data(rows, cols, rows * 31 + cols);
      const names = Array.from({ length: cols }, (_, j) => `f${j}`);
      const got = trainLogistic(x, y, { featureNames: names });
      const want = referenceFit(x, y);
      expect(bits(got)).toEqual(bits({ ...got, intercept: want.intercept, coef: want.coef }));
      // The constant column is left out.
      if (cols > 1) expect(got.coef[1]).toBe(0);
    });
  }

  it('learns the rule: the coefficients carry its signs', () => {
    const { x, y } = data(5000, 9, 5);
    const m = trainLogistic(x, y, { featureNames: Array.from({ length: 9 }, (_, j) => `f${j}`) });
    // Feature 0 weighs −0.3 per unit, feature 2 +0.3 (where present), feature 4 0.
    expect(m.coef[0]).toBeLessThan(-0.05);
    expect(m.coef[2]).toBeGreaterThan(0.05);
    expect(Math.abs(m.coef[4] as number)).toBeLessThan(Math.abs(m.coef[2] as number));
  });
});
