import { quantileSorted } from '../stats/bootstrap.ts';
import type { Interval } from '../stats/proportions.ts';
import { seededRandom } from '../stats/rng.ts';

/**
 * The Qini curve and coefficient (features.md B9, issue 21). Users are ranked by score, highest
 * first; for the top k,
 *
 *   Q(k) = Y_T(k) − Y_C(k) · N_T(k) / N_C(k)
 *
 * (Y: outcomes summed, N: users, T treated, C control; the second term is 0 while N_C(k) = 0):
 * the extra outcomes among the treated of the top k over what their control peers predict. The
 * coefficient is the area over x = k/n between Q and the straight line from (0, 0) to (1, Q(n))
 * — what random targeting gets on average — divided by the number of treated users, so it does
 * not grow with the size of the test.
 *
 * Ties: users with equal scores are one block that is taken whole or not at all. The curve is
 * evaluated only where a block ends and is a straight line in between, so the figure does not
 * depend on the order of the rows in the file (and a constant score gives exactly 0). The area
 * is by trapezoids over those points, which is exact for that piecewise-linear curve.
 */

/** Rows by descending score, and where each block of equal scores ends. */
export interface Ranking {
  /** Row indices, best score first; rows of one tie block in ascending index order. */
  readonly order: Uint32Array;
  /** Exclusive end (a position in `order`) of every tie block, ascending; the last is n. */
  readonly blockEnd: Uint32Array;
}

export const rankByScore = (score: ArrayLike<number>): Ranking => {
  const n = score.length;
  for (let i = 0; i < n; i++)
    if (Number.isNaN(score[i] as number)) throw new Error(`score ${i} is NaN: a learner returned no number`);
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) => {
    const d = (score[b] as number) - (score[a] as number);
    return d !== 0 ? d : a - b;
  });
  const ends: number[] = [];
  for (let k = 1; k <= n; k++) {
    if (k === n || score[order[k] as number] !== score[order[k - 1] as number]) ends.push(k);
  }
  return { order, blockEnd: Uint32Array.from(ends) };
};

export interface QiniSummary {
  /** Area between the curve and the random line over x ∈ [0, 1], divided by the treated users. */
  readonly coefficient: number;
  /** Q(n): the extra outcomes over the whole population (treated count × rate difference). */
  readonly total: number;
  readonly treated: number;
  readonly control: number;
}

const extra = (yT: number, yC: number, nT: number, nC: number): number => (nC > 0 ? yT - (yC * nT) / nC : yT);

/**
 * The Qini coefficient of a ranking. `weight[i]` counts row i that many times (a bootstrap
 * resample); every row once when omitted.
 */
export const qiniCoefficient = (
  ranking: Ranking,
  treatment: Uint8Array,
  outcome: ArrayLike<number>,
  weight?: Uint32Array,
): QiniSummary => {
  const { order, blockEnd } = ranking;
  let total = 0;
  if (weight) for (let i = 0; i < order.length; i++) total += weight[order[i] as number] as number;
  else total = order.length;
  let nT = 0;
  let nC = 0;
  let yT = 0;
  let yC = 0;
  let prevX = 0;
  let prevQ = 0;
  let area = 0;
  let pos = 0;
  for (let b = 0; b < blockEnd.length; b++) {
    const end = blockEnd[b] as number;
    for (; pos < end; pos++) {
      const r = order[pos] as number;
      const w = weight ? (weight[r] as number) : 1;
      if (w === 0) continue;
      if (treatment[r] === 1) {
        nT += w;
        yT += w * (outcome[r] as number);
      } else {
        nC += w;
        yC += w * (outcome[r] as number);
      }
    }
    const x = (nT + nC) / total;
    const q = extra(yT, yC, nT, nC);
    area += ((x - prevX) * (prevQ + q)) / 2;
    prevX = x;
    prevQ = q;
  }
  // The random line from (0, 0) to (1, Q(n)) encloses Q(n) / 2.
  return {
    coefficient: nT > 0 ? (area - prevQ / 2) / nT : Number.NaN,
    total: prevQ,
    treated: nT,
    control: nC,
  };
};

/** Q at the given shares of the ranked users (linear between block ends), per treated user. */
export const qiniCurve = (
  ranking: Ranking,
  treatment: Uint8Array,
  outcome: ArrayLike<number>,
  at: readonly number[],
): { x: number; q: number }[] => {
  const { order, blockEnd } = ranking;
  const n = order.length;
  const xs = [0];
  const qs = [0];
  let nT = 0;
  let nC = 0;
  let yT = 0;
  let yC = 0;
  let pos = 0;
  for (let b = 0; b < blockEnd.length; b++) {
    for (const end = blockEnd[b] as number; pos < end; pos++) {
      const r = order[pos] as number;
      if (treatment[r] === 1) {
        nT++;
        yT += outcome[r] as number;
      } else {
        nC++;
        yC += outcome[r] as number;
      }
    }
    xs.push(pos / n);
    qs.push(extra(yT, yC, nT, nC));
  }
  return at.map((x) => {
    let i = 1;
    while (i < xs.length - 1 && (xs[i] as number) < x) i++;
    const x0 = xs[i - 1] as number;
    const x1 = xs[i] as number;
    const q0 = qs[i - 1] as number;
    const q1 = qs[i] as number;
    const q = x1 > x0 ? q0 + ((Math.min(x, x1) - x0) / (x1 - x0)) * (q1 - q0) : q1;
    return { x, q: nT > 0 ? q / nT : Number.NaN };
  });
};

export interface QiniBootstrap {
  /** Per ranking: the coefficient on the data as given, and its percentile interval. */
  readonly estimates: readonly { coefficient: number; interval: Interval }[];
  /** The resampled coefficients, resamples × rankings (row-major), for paired differences. */
  readonly draws: Float64Array;
  readonly resamples: number;
  readonly level: number;
  readonly seed: number;
}

/**
 * Percentile bootstrap of the Qini coefficient of several rankings of the same users. Each
 * resample draws the treated and the control users with replacement, each arm keeping its
 * size (the test fixed who was treated), and every ranking is scored on the same resample, so
 * a difference between two rankings gets a paired interval (`differenceInterval`). The scores
 * stay fixed: this is the test set's sampling noise, given the fitted models.
 */
export const bootstrapQini = (
  rankings: readonly Ranking[],
  treatment: Uint8Array,
  outcome: ArrayLike<number>,
  options: { resamples?: number; level?: number; seed?: number } = {},
): QiniBootstrap => {
  const resamples = options.resamples ?? 1000;
  const level = options.level ?? 0.95;
  const seed = options.seed ?? 20_261_207;
  const treatedRows: number[] = [];
  const controlRows: number[] = [];
  for (let i = 0; i < treatment.length; i++) (treatment[i] === 1 ? treatedRows : controlRows).push(i);
  const rand = seededRandom(seed);
  const weight = new Uint32Array(treatment.length);
  const m = rankings.length;
  const draws = new Float64Array(resamples * m);
  for (let b = 0; b < resamples; b++) {
    weight.fill(0);
    for (const arm of [treatedRows, controlRows]) {
      for (let k = 0; k < arm.length; k++) {
        const r = arm[Math.floor(rand() * arm.length)] as number;
        weight[r] = (weight[r] as number) + 1;
      }
    }
    for (let j = 0; j < m; j++)
      draws[b * m + j] = qiniCoefficient(rankings[j] as Ranking, treatment, outcome, weight).coefficient;
  }
  const estimates = rankings.map((r, j) => ({
    coefficient: qiniCoefficient(r, treatment, outcome).coefficient,
    interval: percentiles(
      Float64Array.from({ length: resamples }, (_, b) => draws[b * m + j] as number),
      level,
    ),
  }));
  return { estimates, draws, resamples, level, seed };
};

const percentiles = (values: Float64Array, level: number): Interval => {
  const sorted = values.slice().sort();
  const alpha = 1 - level;
  return { low: quantileSorted(sorted, alpha / 2), high: quantileSorted(sorted, 1 - alpha / 2) };
};

/** The paired percentile interval of coefficient(a) − coefficient(b) over the same resamples. */
export const differenceInterval = (boot: QiniBootstrap, a: number, b: number): Interval => {
  const m = boot.estimates.length;
  const d = Float64Array.from(
    { length: boot.resamples },
    (_, r) => (boot.draws[r * m + a] as number) - (boot.draws[r * m + b] as number),
  );
  return percentiles(d, boot.level);
};
