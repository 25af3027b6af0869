/**
 * The standard normal distribution. `normalCdf` uses erfc from W. J. Cody's rational
 * approximations (relative error < 1e-14), so p-values far in the tail stay accurate;
 * `normalQuantile` is Acklam's algorithm refined by one Halley step (≈1e-15).
 */

const erfcPositive = (x: number): number => {
  // Cody (1969), as in most libms: three ranges.
  if (x < 0.5) {
    const t = x * x;
    const top =
      (((0.1857777061846032 * t + 3.161123743870566) * t + 113.8641541510502) * t + 377.485237685302) * t +
      3209.377589138469;
    const bot =
      (((t + 23.60129095234412) * t + 244.0246379344442) * t + 1282.616526077372) * t + 2844.236833439171;
    return 1 - (x * top) / bot;
  }
  if (x < 4) {
    const top =
      (((((((2.1531153547440383e-8 * x + 0.5641884969886701) * x + 8.883149794388377) * x +
        66.11919063714163) *
        x +
        298.6351381974001) *
        x +
        881.952221241769) *
        x +
        1712.0476126340707) *
        x +
        2051.0783778260716) *
        x +
      1230.3393547979972;
    const bot =
      (((((((x + 15.744926110709835) * x + 117.6939508913125) * x + 537.1811018620099) * x +
        1621.3895745666903) *
        x +
        3290.7992357334597) *
        x +
        4362.619090143247) *
        x +
        3439.3676741437216) *
        x +
      1230.3393548037495;
    return (Math.exp(-x * x) * top) / bot;
  }
  if (x > 27) return 0;
  const z = 1 / (x * x);
  const top =
    ((((0.016315387137302097 * z + 0.30532663496123236) * z + 0.36034489994980445) * z +
      0.12578172611122926) *
      z +
      0.016083785148742275) *
      z +
    0.0006587491615298378;
  const bot =
    ((((z + 2.568520192289822) * z + 1.8729528499234673) * z + 0.5279051029514285) * z +
      0.06051834131244132) *
      z +
    0.0023352049762686918;
  const r = (z * top) / bot;
  return (Math.exp(-x * x) / x) * (1 / Math.sqrt(Math.PI) - r);
};

/** erfc(x) for any real x. */
export const erfc = (x: number): number => (x >= 0 ? erfcPositive(x) : 2 - erfcPositive(-x));

/** P(Z ≤ z). */
export const normalCdf = (z: number): number => 0.5 * erfc(-z / Math.SQRT2);

/** Two-sided p-value of a z statistic: P(|Z| ≥ |z|). */
export const twoSidedP = (z: number): number => erfc(Math.abs(z) / Math.SQRT2);

const A = [
  -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
  2.506628277459239,
];
const B = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
const C = [
  -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];

const at = (a: readonly number[], i: number): number => a[i] as number;

/** z such that P(Z ≤ z) = p, for 0 < p < 1. */
export const normalQuantile = (p: number): number => {
  if (!(p > 0 && p < 1)) throw new Error(`normalQuantile needs 0 < p < 1, got ${p}`);
  const low = 0.02425;
  let x: number;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    x =
      (((((at(C, 0) * q + at(C, 1)) * q + at(C, 2)) * q + at(C, 3)) * q + at(C, 4)) * q + at(C, 5)) /
      ((((at(D, 0) * q + at(D, 1)) * q + at(D, 2)) * q + at(D, 3)) * q + 1);
  } else if (p <= 1 - low) {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((at(A, 0) * r + at(A, 1)) * r + at(A, 2)) * r + at(A, 3)) * r + at(A, 4)) * r + at(A, 5)) * q) /
      (((((at(B, 0) * r + at(B, 1)) * r + at(B, 2)) * r + at(B, 3)) * r + at(B, 4)) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x =
      -(((((at(C, 0) * q + at(C, 1)) * q + at(C, 2)) * q + at(C, 3)) * q + at(C, 4)) * q + at(C, 5)) /
      ((((at(D, 0) * q + at(D, 1)) * q + at(D, 2)) * q + at(D, 3)) * q + 1);
  }
  // One Halley step against the accurate CDF.
  const e = normalCdf(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
};

/** The two-sided critical value for confidence `level` (0.95 → 1.959964). */
export const zCritical = (level: number): number => normalQuantile(1 - (1 - level) / 2);
