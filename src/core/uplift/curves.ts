import { qiniCurve, type Ranking } from './qini.ts';

/**
 * The Qini curve as points a console can draw (features.md B9, issue 21): x = k/n, the share
 * of users targeted by score, and Q(k)/N_T, the extra outcomes per treated user of the test
 * (qini.ts for Q). At most 101 points: every k when n ≤ 100, else x = 0, 0.01, …, 1, where the
 * curve is read off the straight line between tie-block ends, as the Qini coefficient reads it.
 * Random targeting's curve is, on average, the straight line from (0, 0) to (1, Q(n)/N_T);
 * its two ends are enough to draw it.
 */
export interface CurvePoint {
  readonly x: number;
  readonly q: number;
}

export const MAX_CURVE_POINTS = 101;

/** The x of the points: k/n for every k when n + 1 ≤ maxPoints, else maxPoints evenly spaced shares. */
export const curveShares = (n: number, maxPoints = MAX_CURVE_POINTS): number[] => {
  if (!(Number.isInteger(maxPoints) && maxPoints >= 2)) throw new Error(`maxPoints ${maxPoints} is under 2`);
  const steps = n + 1 <= maxPoints ? n : maxPoints - 1;
  if (steps === 0) return [0];
  return Array.from({ length: steps + 1 }, (_, k) => k / steps);
};

export const qiniCurvePoints = (
  ranking: Ranking,
  treatment: Uint8Array,
  outcome: ArrayLike<number>,
  maxPoints = MAX_CURVE_POINTS,
): CurvePoint[] => qiniCurve(ranking, treatment, outcome, curveShares(ranking.order.length, maxPoints));

/** Random targeting's expected curve: the line from (0, 0) to the curve's end, which no ranking changes. */
export const randomLine = (curve: readonly CurvePoint[]): CurvePoint[] => {
  const last = curve[curve.length - 1];
  return [
    { x: 0, q: 0 },
    { x: 1, q: last ? last.q : 0 },
  ];
};
