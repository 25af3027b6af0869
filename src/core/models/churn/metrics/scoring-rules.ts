import { sigmoid } from '../sigmoid.ts';

const EPS = 1e-15;

/** Mean negative log-likelihood of the labels under the probabilities (clipped to [1e-15, 1 − 1e-15]). */
export const logLoss = (probabilities: Float64Array, labels: Uint8Array): number => {
  if (probabilities.length !== labels.length) {
    throw new Error(`${probabilities.length} predictions for ${labels.length} labels`);
  }
  let s = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const p = Math.min(1 - EPS, Math.max(EPS, probabilities[i] as number));
    s -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return s / probabilities.length;
};

/** Log-loss from log-odds, without forming probabilities: log(1 + e^−z) for positives, log(1 + e^z) otherwise. */
export const logLossFromMargins = (margins: Float64Array, labels: Uint8Array): number => {
  let s = 0;
  for (let i = 0; i < margins.length; i++) {
    const z = labels[i] === 1 ? -(margins[i] as number) : (margins[i] as number);
    s += z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
  }
  return s / margins.length;
};

/** Mean squared difference between probability and outcome. */
export const brierScore = (probabilities: Float64Array, labels: Uint8Array): number => {
  if (probabilities.length !== labels.length) {
    throw new Error(`${probabilities.length} predictions for ${labels.length} labels`);
  }
  let s = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const e = (probabilities[i] as number) - (labels[i] as number);
    s += e * e;
  }
  return s / probabilities.length;
};

export const probabilities = (margins: Float64Array): Float64Array => margins.map(sigmoid);
