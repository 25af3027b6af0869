import type { Interval } from './proportions.ts';
import { normalQuantile } from './normal.ts';
import { seededRandom } from './rng.ts';

/**
 * Percentile bootstrap CI of the revenue-per-user lift, mean(treatment) − mean(control)
 * (features.md G3). Revenue per user is mostly zeros, so each group is given as its count of users and
 * the revenues of the users who spent: a resample draws how many spenders it holds (binomial),
 * then which spenders (with replacement) — the same distribution as resampling every user,
 * at a cost proportional to the spenders, not the users.
 */

export interface RevenueGroup {
  /** Every user of the group, spenders or not. */
  users: number;
  /** Revenue of each user who spent (> 0). */
  spend: readonly number[];
}

export interface BootstrapResult {
  /** Observed mean(treatment) − mean(control). */
  difference: number;
  ci: Interval;
  resamples: number;
  seed: number;
}

/** Binomial(n, p): exact by inversion for small n·p, normal approximation above (n·p·(1−p) > 50). */
const binomial = (n: number, p: number, rand: () => number): number => {
  if (p <= 0 || n === 0) return 0;
  if (p >= 1) return n;
  if (p > 0.5) return n - binomial(n, 1 - p, rand);
  const variance = n * p * (1 - p);
  if (variance > 50) {
    let u = rand();
    while (u === 0) u = rand();
    const x = Math.round(n * p + Math.sqrt(variance) * normalQuantile(u));
    return Math.min(n, Math.max(0, x));
  }
  // Inversion: walk the pmf from 0; n·p ≤ 100 here, so q^n does not underflow.
  const q = 1 - p;
  let pmf = q ** n;
  let cdf = pmf;
  const u = rand();
  let k = 0;
  while (u > cdf && k < n) {
    pmf *= ((n - k) / (k + 1)) * (p / q);
    cdf += pmf;
    k++;
  }
  return k;
};

const resampleMean = (g: RevenueGroup, rand: () => number): number => {
  if (g.users === 0) return 0;
  const s = g.spend.length;
  const k = binomial(g.users, s / g.users, rand);
  let total = 0;
  for (let i = 0; i < k; i++) total += g.spend[Math.floor(rand() * s)] as number;
  return total / g.users;
};

const mean = (g: RevenueGroup): number => (g.users === 0 ? 0 : g.spend.reduce((a, b) => a + b, 0) / g.users);

/** The p-th quantile of sorted values (linear interpolation, type 7). */
export const quantileSorted = (sorted: Float64Array | readonly number[], p: number): number => {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return (sorted[lo] as number) + (h - lo) * ((sorted[hi] as number) - (sorted[lo] as number));
};

export const bootstrapMeanDifference = (
  treatment: RevenueGroup,
  control: RevenueGroup,
  options: { resamples?: number; seed?: number; level?: number } = {},
): BootstrapResult => {
  const resamples = options.resamples ?? 2000;
  const seed = options.seed ?? 20_261_202;
  const level = options.level ?? 0.95;
  if (treatment.spend.length > treatment.users || control.spend.length > control.users)
    throw new Error('bootstrap: more spenders than users in a group');
  const rand = seededRandom(seed);
  const diffs = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) diffs[b] = resampleMean(treatment, rand) - resampleMean(control, rand);
  diffs.sort();
  const alpha = 1 - level;
  return {
    difference: mean(treatment) - mean(control),
    ci: { low: quantileSorted(diffs, alpha / 2), high: quantileSorted(diffs, 1 - alpha / 2) },
    resamples,
    seed,
  };
};
