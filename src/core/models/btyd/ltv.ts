/**
 * Customer lifetime value from a purchase-count model and a spend model. The two are combined
 * as Fader, Hardie & Lee (2005, RFM and CLV) do — expected purchases × expected spend × margin,
 * discounted — but over a finite horizon with discrete steps, so any count model can be used
 * and the figure answers a concrete question ("what is this customer worth over the next year").
 */
import { bgNbdConditionalExpectedPurchases, type BgNbdParams } from './bg-nbd.ts';
import { gammaGammaConditionalExpectedSpend, type GammaGammaParams } from './gamma-gamma.ts';
import { DAYS_PER_UNIT, type TimeUnit } from './summary.ts';

export interface LtvOptions {
  /** How far ahead to look, in the models' time unit (e.g. 52 for a year when fitted in weeks). */
  readonly horizon: number;
  /** Equal steps the horizon is cut into; each step's purchases are discounted at its end. */
  readonly steps: number;
  /** Discount rate per time unit: money at time t is worth (1 + d)^−t today. See `ratePerUnit`. */
  readonly discountRate: number;
  /** Share of revenue that is profit; 1 gives a revenue LTV. */
  readonly margin: number;
}

/**
 * LTV = margin · E[M] · Σ_{k=1..n} (E[Y(t_k)] − E[Y(t_{k−1})]) · (1 + d)^(−t_k),   t_k = k·H/n,
 * where E[Y(t)] is the purchases a customer is expected to make in the next t time units
 * (from BG/NBD or Pareto/NBD, given their history), E[M] the expected value of each of their
 * future purchases (Gamma-Gamma), H the horizon, n the steps, d the discount rate per time
 * unit. Spend is independent of the purchase process in these models, which is what allows
 * the product. More steps approach continuous discounting; 13 four-week steps for a year
 * differ from weekly steps by well under 1 %.
 */
export const ltv = (
  expectedPurchases: (t: number) => number,
  expectedSpend: number,
  opts: LtvOptions,
): number => {
  if (!(opts.horizon >= 0 && Number.isInteger(opts.steps) && opts.steps >= 1))
    throw new RangeError(
      `ltv: horizon ${opts.horizon} and steps ${opts.steps} must be ≥ 0 and a whole number ≥ 1`,
    );
  if (!(opts.discountRate > -1))
    throw new RangeError(`ltv: discount rate ${opts.discountRate} must be above −1`);
  let before = 0;
  let discounted = 0;
  for (let k = 1; k <= opts.steps; k++) {
    const t = (k * opts.horizon) / opts.steps;
    const cumulative = expectedPurchases(t);
    discounted += (cumulative - before) * Math.pow(1 + opts.discountRate, -t);
    before = cumulative;
  }
  return opts.margin * expectedSpend * discounted;
};

/** Turns an annual rate into the rate per time unit with the same yearly effect: (1 + annual)^(u/365.25) − 1. */
export const ratePerUnit = (annualRate: number, unit: TimeUnit): number =>
  Math.pow(1 + annualRate, DAYS_PER_UNIT[unit] / 365.25) - 1;

/** A customer's history as the models see it: x repeat purchases, recency t_x, age T, average repeat spend m. */
export interface CustomerHistory {
  readonly x: number;
  readonly tx: number;
  readonly T: number;
  readonly monetary: number;
}

/** The LTV with BG/NBD for the purchases and Gamma-Gamma for the spend (the pairing of features.md B7). */
export const bgNbdGammaGammaLtv = (
  bg: BgNbdParams,
  gg: GammaGammaParams,
  c: CustomerHistory,
  opts: LtvOptions,
): number =>
  ltv(
    (t) => bgNbdConditionalExpectedPurchases(bg, t, c.x, c.tx, c.T),
    gammaGammaConditionalExpectedSpend(gg, c.x, c.monetary),
    opts,
  );
