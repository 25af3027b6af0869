import { twoSidedP, zCritical } from './normal.ts';

/**
 * Confidence intervals and tests for proportions (features.md G3, G4). See docs/reports.md for which
 * method is used where and why.
 */

export interface Interval {
  low: number;
  high: number;
}

/**
 * Wilson score interval for x successes in n trials: unlike the Wald interval it stays inside
 * [0, 1] and keeps its coverage for small n and rates near 0 (conversion rates of a few %).
 * n = 0 gives the uninformative [0, 1].
 */
export const wilson = (x: number, n: number, level = 0.95): Interval => {
  if (n === 0) return { low: 0, high: 1 };
  const z = zCritical(level);
  const p = x / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  // Exact ends at x = 0 and x = n (the formula gives them up to rounding).
  return { low: x === 0 ? 0 : Math.max(0, centre - half), high: x === n ? 1 : Math.min(1, centre + half) };
};

export interface TwoProportionTest {
  /** p1 − p2. */
  difference: number;
  z: number;
  /** Two-sided; 1 when the test is undefined (no trials, or both rates 0 or 1). */
  pValue: number;
  /** Pearson χ² (1 df) of the 2×2 table without continuity correction; equals z². */
  chiSquare: number;
}

/**
 * Pooled two-proportion z-test of H0: p1 = p2 (equivalent to Pearson's χ² test of the 2×2
 * table without Yates' correction).
 */
export const twoProportionTest = (x1: number, n1: number, x2: number, n2: number): TwoProportionTest => {
  const p1 = n1 > 0 ? x1 / n1 : 0;
  const p2 = n2 > 0 ? x2 / n2 : 0;
  const difference = p1 - p2;
  if (n1 === 0 || n2 === 0) return { difference, z: 0, pValue: 1, chiSquare: 0 };
  const pooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (se === 0) return { difference, z: 0, pValue: 1, chiSquare: 0 };
  const z = difference / se;
  return { difference, z, pValue: twoSidedP(z), chiSquare: z * z };
};

/**
 * Newcombe's hybrid score interval (his method 10, 1998) for p1 − p2, built from the two Wilson
 * intervals: good coverage where the Wald interval fails (small groups, rates near 0).
 */
export const newcombeDifference = (
  x1: number,
  n1: number,
  x2: number,
  n2: number,
  level = 0.95,
): Interval => {
  const p1 = n1 > 0 ? x1 / n1 : 0;
  const p2 = n2 > 0 ? x2 / n2 : 0;
  const a = wilson(x1, n1, level);
  const b = wilson(x2, n2, level);
  const d = p1 - p2;
  const low = d - Math.sqrt((p1 - a.low) ** 2 + (b.high - p2) ** 2);
  const high = d + Math.sqrt((a.high - p1) ** 2 + (p2 - b.low) ** 2);
  return { low: Math.max(-1, low), high: Math.min(1, high) };
};

/**
 * Relative lift (p1 / p2 − 1) with a CI from the log risk ratio (Katz): exp(log RR ± z·se),
 * se² = 1/x1 − 1/n1 + 1/x2 − 1/n2. Null when a group has no successes (the ratio is undefined).
 */
export const relativeLift = (
  x1: number,
  n1: number,
  x2: number,
  n2: number,
  level = 0.95,
): { lift: number; ci: Interval } | null => {
  if (x1 === 0 || x2 === 0 || n1 === 0 || n2 === 0) return null;
  const rr = x1 / n1 / (x2 / n2);
  const se = Math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2);
  const z = zCritical(level);
  return { lift: rr - 1, ci: { low: rr * Math.exp(-z * se) - 1, high: rr * Math.exp(z * se) - 1 } };
};
