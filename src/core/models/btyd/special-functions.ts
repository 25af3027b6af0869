/**
 * The special functions the BTYD models need: log-gamma, log-sum-exp and the Gauss
 * hypergeometric function 2F1. Likelihoods multiply numbers like (α+T)^-(r+x) that leave the
 * range of doubles for heavy buyers, so everything here works on logarithms.
 */

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** sin(πx), exactly 0 at integers and accurate near them (Math.sin(Math.PI * x) is neither). */
const sinPi = (x: number): number => {
  const r = x - 2 * Math.round(x / 2); // in [−1, 1], computed exactly
  if (r === 0 || Math.abs(r) === 1) return 0;
  if (r > 0.5) return Math.sin(Math.PI * (1 - r));
  if (r < -0.5) return -Math.sin(Math.PI * (1 + r));
  return Math.sin(Math.PI * r);
};

/**
 * ln|Γ(x)|, +∞ at the poles (0, −1, −2, …). Stirling's series from 15 upwards (error below
 * 1e-16 there) and the recurrence Γ(x) = Γ(x+n)/(x(x+1)…(x+n−1)) below, which keeps the
 * absolute error near machine precision even where Γ ≈ 1 (a relative-error approximation such
 * as Lanczos would not: likelihoods add thousands of these).
 */
export const lgamma = (x: number): number => {
  if (Number.isNaN(x)) return NaN;
  if (x <= 0) {
    const s = sinPi(x);
    if (s === 0) return Infinity;
    // Reflection: Γ(x)Γ(1−x) = π / sin(πx).
    return Math.log(Math.PI / Math.abs(s)) - lgamma(1 - x);
  }
  if (x === Infinity) return Infinity;
  let y = x;
  let prod = 1;
  while (y < 15) {
    prod *= y;
    y += 1;
  }
  const inv = 1 / y;
  const inv2 = inv * inv;
  const series = inv * (1 / 12 + inv2 * (-1 / 360 + inv2 * (1 / 1260 + inv2 * (-1 / 1680 + inv2 / 1188))));
  return (y - 0.5) * Math.log(y) - y + HALF_LOG_2PI + series - Math.log(prod);
};

/** The sign of Γ(x): +1 for x > 0, alternating between the poles below 0, 0 at a pole. */
export const gammaSign = (x: number): number => {
  if (x > 0) return 1;
  if (sinPi(x) === 0) return 0;
  return Math.abs(Math.floor(x)) % 2 === 1 ? -1 : 1;
};

/** ln(e^a + e^b) without overflow; −∞ stands for a zero term. */
export const logSumExp = (a: number, b: number): number => {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
};

/** ln(1 − e^d) for d ≤ 0, accurate at both ends (Mächler 2012). */
export const log1mExp = (d: number): number =>
  d > -Math.LN2 ? Math.log(-Math.expm1(d)) : Math.log1p(-Math.exp(d));

/** A real number as sign × e^log, so that magnitudes beyond 1e±308 survive. `sign` is −1, 0 or 1. */
export interface SignedLog {
  readonly log: number;
  readonly sign: number;
}

const ZERO: SignedLog = { log: -Infinity, sign: 0 };

const signedAdd = (p: SignedLog, q: SignedLog): SignedLog => {
  if (p.sign === 0) return q;
  if (q.sign === 0) return p;
  const [big, small] = p.log >= q.log ? [p, q] : [q, p];
  if (big.sign === small.sign)
    return { log: big.log + Math.log1p(Math.exp(small.log - big.log)), sign: big.sign };
  if (small.log === big.log) return ZERO;
  return { log: big.log + log1mExp(small.log - big.log), sign: big.sign };
};

/** Π Γ(num) / Π Γ(den) as a signed log; 1/Γ is 0 at a pole, so such a term vanishes. */
const gammaRatio = (num: readonly number[], den: readonly number[]): SignedLog => {
  let log = 0;
  let sign = 1;
  for (const v of den) {
    const s = gammaSign(v);
    if (s === 0) return ZERO;
    sign *= s;
    log -= lgamma(v);
  }
  for (const v of num) {
    const s = gammaSign(v);
    if (s === 0) throw new RangeError(`hyp2f1: Γ(${v}) is infinite`);
    sign *= s;
    log += lgamma(v);
  }
  return { log, sign };
};

/** A 2F1 evaluation that could not reach machine precision; a fit treats the point as unusable. */
export class Hyp2f1Error extends RangeError {}

const MAX_TERMS = 2_000_000;
const RESCALE = 1e250;
const LOG_RESCALE = Math.log(RESCALE);

/** A sum, and the sum of its terms' absolute values (how much cancellation it hides). */
interface Sum extends SignedLog {
  readonly absLog: number;
}

/**
 * The defining series Σ (a)_n (b)_n / ((c)_n n!) zⁿ for 0 ≤ z < 1, summed until the remainder
 * is provably below machine precision: past the last sign change of the factors, each term
 * ratio ρ_n is bounded by max(ρ_n, z), so the tail is at most |term|·ρ/(1−ρ). Partial sums are
 * rescaled rather than left to overflow when the terms first grow (large a·b·z/c).
 */
const series = (a: number, b: number, c: number, z: number): Sum => {
  let sum = 1;
  let abs = 1;
  let term = 1;
  let logScale = 0;
  const settled = Math.max(0, -a, -b, -c); // beyond this index no factor changes sign any more
  for (let n = 0; ; n++) {
    if (n === MAX_TERMS) throw new Hyp2f1Error(`hyp2f1(${a}, ${b}; ${c}; ${z}): series did not converge`);
    const ratio = ((a + n) * (b + n) * z) / ((c + n) * (n + 1));
    term *= ratio;
    sum += term;
    abs += Math.abs(term);
    if (term === 0) break;
    if (abs > RESCALE) {
      sum /= RESCALE;
      abs /= RESCALE;
      term /= RESCALE;
      logScale += LOG_RESCALE;
    }
    if (n + 1 > settled) {
      const bound = Math.max(Math.abs(ratio), z);
      if (bound < 1 && (Math.abs(term) * bound) / (1 - bound) <= 1e-17 * Math.abs(sum)) break;
    }
  }
  const absLog = Math.log(abs) + logScale;
  if (sum === 0) return { ...ZERO, absLog };
  return { log: Math.log(Math.abs(sum)) + logScale, sign: Math.sign(sum), absLog };
};

/** The series or its Euler transform (1−z)^(c−a−b)·2F1(c−a, c−b; c; z), whichever grows less. */
const eulerOrDirect = (a: number, b: number, c: number, z: number): Sum => {
  if (Math.abs((c - a) * (c - b)) < Math.abs(a * b)) {
    const s = series(c - a, c - b, c, z);
    const shift = (c - a - b) * Math.log1p(-z);
    return { log: s.log + shift, sign: s.sign, absLog: s.absLog + shift };
  }
  return series(a, b, c, z);
};

/**
 * Gauss's connection to 1−z (Abramowitz & Stegun 15.3.6), for z near 1 where the series
 * would need hundreds of thousands of terms:
 *   2F1(a,b;c;z) = Γ(c)Γ(c−a−b)/(Γ(c−a)Γ(c−b)) · 2F1(a, b; a+b−c+1; 1−z)
 *                + (1−z)^(c−a−b) Γ(c)Γ(a+b−c)/(Γ(a)Γ(b)) · 2F1(c−a, c−b; c−a−b+1; 1−z).
 */
const connection = (a: number, b: number, c: number, z: number): Sum => {
  const w = 1 - z;
  const e = c - a - b;
  let t1: Sum = { ...ZERO, absLog: -Infinity };
  const g1 = gammaRatio([c, e], [c - a, c - b]);
  if (g1.sign !== 0) {
    const f = series(a, b, 1 - e, w);
    t1 = { log: g1.log + f.log, sign: g1.sign * f.sign, absLog: g1.log + f.absLog };
  }
  let t2: Sum = { ...ZERO, absLog: -Infinity };
  const g2 = gammaRatio([c, -e], [a, b]);
  if (g2.sign !== 0) {
    const f = series(c - a, c - b, 1 + e, w);
    const shift = g2.log + e * Math.log(w);
    t2 = { log: shift + f.log, sign: g2.sign * f.sign, absLog: shift + f.absLog };
  }
  return { ...signedAdd(t1, t2), absLog: logSumExp(t1.absLog, t2.absLog) };
};

/** How close c−a−b may come to an integer before the connection formula's two poles cancel too badly. */
const DEGENERATE = 1e-3;

/**
 * When c−a−b is (nearly) an integer both terms of the connection formula diverge. 2F1 is
 * analytic in c, so it is evaluated at six points where c−a−b sits δ, 2δ and 3δ either side
 * of the integer and interpolated (Lagrange, error O(δ⁶)); the cancellation at distance δ costs
 * about three digits. Only used so close to z = 1 that the series is out of reach.
 */
const connectionNearInteger = (a: number, b: number, c: number, z: number): Sum => {
  const e = c - a - b;
  const m = Math.round(e);
  if (Math.abs(e - m) >= DEGENERATE) return connection(a, b, c, z);
  const offsets = [-3, -2, -1, 1, 2, 3].map((k) => k * DEGENERATE);
  const points = offsets.map((d) => connection(a, b, c + (m + d - e), z));
  const top = Math.max(...points.map((p) => p.log));
  const at = e - m;
  let sum = 0;
  for (let i = 0; i < offsets.length; i++) {
    let weight = 1;
    for (let j = 0; j < offsets.length; j++)
      if (j !== i) weight *= (at - offsets[j]!) / (offsets[i]! - offsets[j]!);
    sum += weight * points[i]!.sign * Math.exp(points[i]!.log - top);
  }
  const absLog = Math.max(...points.map((p) => p.absLog));
  if (sum === 0) return { ...ZERO, absLog };
  return { log: Math.log(Math.abs(sum)) + top, sign: Math.sign(sum), absLog };
};

/** Up to here the series converges in at most ~10⁵ terms, and is always accurate. */
const SERIES_UP_TO = 0.999;

/**
 * Where both methods work (z ≤ SERIES_UP_TO) the connection formula is taken only when it is
 * clearly safe: c−a−b at least 0.01 from an integer and at most 1e3 of cancellation. Beyond,
 * the series would be slow, so the connection formula is accepted with 1e4 of cancellation.
 */
const inUnitInterval = (a: number, b: number, c: number, z: number): Sum => {
  if (z <= 0.9) return eulerOrDirect(a, b, c, z);
  const e = c - a - b;
  const offInteger = Math.abs(e - Math.round(e));
  const close = z > SERIES_UP_TO;
  if (close || offInteger >= 0.01) {
    const viaConnection = close ? connectionNearInteger(a, b, c, z) : connection(a, b, c, z);
    const cancellation = viaConnection.absLog - viaConnection.log;
    if (viaConnection.sign !== 0 && cancellation <= Math.log(close ? 1e4 : 1e3)) return viaConnection;
  }
  return eulerOrDirect(a, b, c, z);
};

/**
 * The Gauss hypergeometric function 2F1(a, b; c; z) for real z < 1, as sign × e^log.
 * - z < 0: Pfaff's transformation 2F1(a,b;c;z) = (1−z)^(−a) 2F1(a, c−b; c; z/(z−1)) moves the
 *   argument into [0, 1), where no series alternates.
 * - 0 ≤ z ≤ 0.9: the series, or its Euler transform when that one's terms grow less (the
 *   BG/NBD's 2F1(r+x, b+x; a+b+x−1; ·) has terms that grow like x² before they fall; its
 *   transform has small parameters).
 * - 0.9 < z < 1: the connection formula in 1−z where it does not cancel badly, else the series
 *   (up to 2·10⁶ terms; beyond that a Hyp2f1Error).
 * c must not be 0, −1, −2, … (the function is undefined there) and z must be below 1; both
 * are invariants of the callers, so they throw. Checked against mpmath on 400 random cases:
 * relative error below 1e-9 everywhere except z < 0 with a, b ≫ c (e.g. 2F1(23, 19; 4.9; −1.1)),
 * whose tiny value comes out of an alternating series and keeps ~6 digits — a region the BTYD
 * models never use (their arguments all lie in [0, 1)).
 */
export const hyp2f1Log = (a: number, b: number, c: number, z: number): SignedLog => {
  if (![a, b, c, z].every(Number.isFinite))
    throw new RangeError(`hyp2f1(${a}, ${b}; ${c}; ${z}): not finite`);
  if (!(z < 1)) throw new RangeError(`hyp2f1: z = ${z} is not below 1`);
  if (c <= 0 && Number.isInteger(c)) throw new RangeError(`hyp2f1: c = ${c} is a pole`);
  if (a === 0 || b === 0 || z === 0) return { log: 0, sign: 1 };
  if (z < 0) {
    const w = z / (z - 1);
    // Either parameter may be the one kept; keep the one that makes the new series smaller.
    const [keep, other] = Math.abs(a * (c - b)) <= Math.abs(b * (c - a)) ? [a, b] : [b, a];
    const f = hyp2f1Log(keep, c - other, c, w);
    return f.sign === 0 ? f : { log: f.log - keep * Math.log1p(-z), sign: f.sign };
  }
  const f = inUnitInterval(a, b, c, z);
  return { log: f.log, sign: f.sign };
};

/** 2F1(a, b; c; z) for real z < 1 (see hyp2f1Log); may overflow to ±∞ where hyp2f1Log does not. */
export const hyp2f1 = (a: number, b: number, c: number, z: number): number => {
  const f = hyp2f1Log(a, b, c, z);
  return f.sign * Math.exp(f.log);
};

/**
 * ln 2F1(a, b; a+1; z) for a > 0 and 0 ≤ z < 1 — the form in the Pareto/NBD likelihood,
 * evaluated a million times per fit, so it has its own loop. Euler's transformation gives
 * (1−z)^(1−b) · 2F1(1, a+1−b; a+1; z), whose term ratios (a+1−b+n)/(a+1+n)·z stay below z
 * when b > 0: all terms positive, geometric convergence, tail ≤ term·z/(1−z). Up to
 * z = 0.999 (a few thousand terms) this plain loop beats the general function's connection
 * formula, which takes over beyond.
 */
export const logHyp2f1APlus1 = (a: number, b: number, z: number): number => {
  if (!(a > 0 && b > 0 && z >= 0 && z <= 0.999)) {
    const f = hyp2f1Log(a, b, a + 1, z);
    if (f.sign <= 0) throw new Hyp2f1Error(`hyp2f1(${a}, ${b}; ${a + 1}; ${z}) is not positive`);
    return f.log;
  }
  const top = a + 1 - b;
  const bottom = a + 1;
  let sum = 1;
  let term = 1;
  for (let n = 0; n < MAX_TERMS; n++) {
    term *= ((top + n) / (bottom + n)) * z;
    sum += term;
    if (term * z <= 1e-17 * (1 - z) * sum) break;
  }
  return Math.log(sum) + (1 - b) * Math.log1p(-z);
};
