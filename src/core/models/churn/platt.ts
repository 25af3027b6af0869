import { sigmoid } from './sigmoid.ts';

/**
 * Platt scaling: the calibrated probability is sigmoid(a · margin + b), fitted by maximum
 * likelihood on labelled rows the model was not trained on. Two parameters, so a few hundred
 * rows fit it; monotone, so the ranking (AUC) is unchanged; and the intercept is exactly what
 * moves when the churn rate drifts between the training window and the latest one.
 */
export interface PlattScaling {
  readonly method: 'platt';
  readonly a: number;
  readonly b: number;
}

export const IDENTITY_PLATT: PlattScaling = { method: 'platt', a: 1, b: 0 };

/**
 * Fits (a, b) by Newton's method on the log-loss with a tiny ridge on a − 1 and b (so a
 * separable or one-class input stays finite). Deterministic; starts at the identity.
 */
export const fitPlatt = (margin: Float64Array, y: Uint8Array, ridge = 1e-6): PlattScaling => {
  if (margin.length !== y.length) throw new Error(`${margin.length} margins for ${y.length} labels`);
  if (margin.length === 0) return IDENTITY_PLATT;
  let a = 1;
  let b = 0;
  const n = margin.length;
  const objective = (aa: number, bb: number): number => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const z = aa * (margin[i] as number) + bb;
      const t = y[i] === 1 ? -z : z;
      s += t > 0 ? t + Math.log1p(Math.exp(-t)) : Math.log1p(Math.exp(t));
    }
    return s + 0.5 * ridge * n * ((aa - 1) ** 2 + bb ** 2);
  };
  let obj = objective(a, b);
  for (let iter = 0; iter < 100; iter++) {
    let ga = ridge * n * (a - 1);
    let gb = ridge * n * b;
    let haa = ridge * n;
    let hab = 0;
    let hbb = ridge * n;
    for (let i = 0; i < n; i++) {
      const m = margin[i] as number;
      const p = sigmoid(a * m + b);
      const r = p - (y[i] as number);
      const w = Math.max(p * (1 - p), 1e-12);
      ga += r * m;
      gb += r;
      haa += w * m * m;
      hab += w * m;
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (!(det > 0)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    let t = 1;
    let next = obj;
    let na = a;
    let nb = b;
    for (let h = 0; h < 30; h++, t /= 2) {
      na = a - t * da;
      nb = b - t * db;
      next = objective(na, nb);
      if (next <= obj) break;
    }
    if (!(next <= obj)) break;
    const moved = Math.max(Math.abs(na - a), Math.abs(nb - b));
    a = na;
    b = nb;
    obj = next;
    if (moved < 1e-10) break;
  }
  return { method: 'platt', a, b };
};

export const applyPlatt = (c: PlattScaling, margin: Float64Array): Float64Array =>
  margin.map((m) => sigmoid(c.a * m + c.b));
