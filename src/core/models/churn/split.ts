import { HIST_STRIDE } from './histogram.ts';

/** Regularisation of a split, in the units of the log-loss gradient sums (XGBoost's conventions). */
export interface SplitRules {
  /** L2 penalty on leaf values (λ). */
  lambda: number;
  /** Least hessian sum in a child. */
  minChildWeight: number;
  /** Least rows in a child (estimated from the hessians while searching, as LightGBM does). */
  minSamplesLeaf: number;
  /** Least gain for a split to be made (γ). */
  minSplitGain: number;
}

/** The best split of one node; `gain <= 0` means none was found. */
export interface SplitChoice {
  feature: number;
  /** Rows whose bin is <= this go left. */
  bin: number;
  gain: number;
  leftG: number;
  leftH: number;
}

export const noSplit = (): SplitChoice => ({ feature: -1, bin: -1, gain: 0, leftG: 0, leftH: 0 });

/** The score a node with these sums contributes to the objective (twice its negative loss drop). */
export const nodeScore = (g: number, h: number, lambda: number): number => (g * g) / (h + lambda);

/** The optimal leaf weight −G / (H + λ), before the learning rate. */
export const leafWeight = (g: number, h: number, lambda: number): number => -g / (h + lambda);

/**
 * Scans every feature's histogram left to right and keeps the split of largest gain
 * ½ (G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ)), subject to the child constraints. Ties keep the
 * first feature and bin seen, so the search is deterministic. Writes into `out` and returns it.
 */
export const findBestSplit = (
  hist: Float64Array,
  binsPerFeature: Uint16Array,
  sumG: number,
  sumH: number,
  count: number,
  rules: SplitRules,
  out: SplitChoice,
): SplitChoice => {
  out.feature = -1;
  out.bin = -1;
  out.gain = 0;
  const { lambda, minChildWeight, minSamplesLeaf, minSplitGain } = rules;
  const parent = nodeScore(sumG, sumH, lambda);
  const perHess = sumH > 0 ? count / sumH : 0;
  let best = minSplitGain > 0 ? minSplitGain : 0;
  for (let f = 0; f < binsPerFeature.length; f++) {
    const nb = binsPerFeature[f] as number;
    const base = f * HIST_STRIDE;
    let gl = 0;
    let hl = 0;
    for (let b = 0; b + 1 < nb; b++) {
      gl += hist[base + 2 * b] as number;
      hl += hist[base + 2 * b + 1] as number;
      if (hl < minChildWeight || hl * perHess < minSamplesLeaf) continue;
      const hr = sumH - hl;
      if (hr < minChildWeight || hr * perHess < minSamplesLeaf) break;
      const gr = sumG - gl;
      const gain = 0.5 * (nodeScore(gl, hl, lambda) + nodeScore(gr, hr, lambda) - parent);
      if (gain > best) {
        best = gain;
        out.feature = f;
        out.bin = b;
        out.gain = gain;
        out.leftG = gl;
        out.leftH = hl;
      }
    }
  }
  return out;
};
