/**
 * The Gamma-Gamma model of spend per purchase (Fader, Hardie & Lee 2005, RFM and CLV: Using
 * Iso-Value Curves for Customer Base Analysis, Journal of Marketing Research 42(4), following
 * Colombo & Jiang 1999). Each purchase's value is Gamma(p, ν) around the customer's own mean;
 * ν varies across customers as Gamma(q, γ) (γ is `v` here). Spend is assumed independent of
 * the purchase process, so the model is fitted on repeat customers alone: x repeat purchases
 * with average value m_x.
 */
import { err, ok, type Result } from '../../result.ts';
import { minimizePositive, type FitError, type ModelFit } from './optimize.ts';
import { lgamma } from './special-functions.ts';

export interface GammaGammaParams {
  readonly p: number;
  readonly q: number;
  readonly v: number;
}

/** A repeat customer: x ≥ 1 repeat purchases whose values average m > 0. */
export interface SpendRow {
  readonly x: number;
  readonly m: number;
}

/**
 * ln f(m_x | p, q, γ, x), the density of a customer's average spend:
 *   Γ(px+q) / (Γ(px) Γ(q)) · γ^q m_x^(px−1) x^(px) / (γ + x m_x)^(px+q).
 */
export const gammaGammaCustomerLogLikelihood = (params: GammaGammaParams, x: number, m: number): number => {
  const { p, q, v } = params;
  const px = p * x;
  return (
    lgamma(px + q) -
    lgamma(px) -
    lgamma(q) +
    q * Math.log(v) +
    (px - 1) * Math.log(m) +
    px * Math.log(x) -
    (px + q) * Math.log(v + x * m)
  );
};

/** The log-likelihood of the repeat customers; the gamma functions are computed once per distinct x. */
export const gammaGammaLogLikelihood = (params: GammaGammaParams, rows: readonly SpendRow[]): number => {
  const { p, q, v } = params;
  const constant = q * Math.log(v) - lgamma(q);
  const byX = new Map<number, number>();
  let sum = 0;
  for (const { x, m } of rows) {
    const px = p * x;
    let perX = byX.get(x);
    if (perX === undefined) byX.set(x, (perX = lgamma(px + q) - lgamma(px) + px * Math.log(x)));
    sum += constant + perX + (px - 1) * Math.log(m) - (px + q) * Math.log(v + x * m);
  }
  return sum;
};

/**
 * Maximum-likelihood estimates of (p, q, γ) from the repeat customers. Rows with x = 0 carry
 * no spend information and are skipped; a zero average spend (free items) has zero density
 * under the model and is skipped too — both are counted in `used` so a caller can say so.
 * The search starts from p = q = 1 and γ = the mean spend, which is scale-free in the currency.
 */
export const fitGammaGamma = (
  rows: readonly SpendRow[],
): Result<ModelFit<GammaGammaParams> & { readonly used: number }, FitError> => {
  for (const r of rows)
    if (!(Number.isInteger(r.x) && r.x >= 0 && Number.isFinite(r.m) && r.m >= 0))
      return err({ reason: `a customer has frequency ${r.x} and average spend ${r.m}` });
  const used = rows.filter((r) => r.x > 0 && r.m > 0);
  if (used.length < 2) return err({ reason: 'fewer than two customers bought again with a positive amount' });
  const meanSpend = used.reduce((s, r) => s + r.m, 0) / used.length;
  const m = minimizePositive(
    ([p, q, v]) => -gammaGammaLogLikelihood({ p: p!, q: q!, v: v! }, used),
    [1, 1, meanSpend],
  );
  const [p, q, v] = m.x;
  return ok({
    params: { p: p!, q: q!, v: v! },
    logLikelihood: -m.value,
    converged: m.converged,
    evaluations: m.evaluations,
    used: used.length,
  });
};

/**
 * E[M | p, q, γ, m_x, x], the expected value of this customer's future purchases:
 * (p(γ + x m_x)) / (px + q − 1) — a weighted mean of the population mean
 * pγ/(q−1) and the customer's own average, leaning on the latter the more purchases there are.
 * Needs px + q > 1; with x = 0 it is the population mean (which needs q > 1).
 */
export const gammaGammaConditionalExpectedSpend = (
  params: GammaGammaParams,
  x: number,
  m: number,
): number => {
  const { p, q, v } = params;
  const denominator = p * x + q - 1;
  if (!(denominator > 0)) throw new RangeError(`expected spend undefined: p·x + q − 1 = ${denominator} ≤ 0`);
  return (p * (v + x * m)) / denominator;
};

/** E[Z] = pγ/(q−1): the mean purchase value across all customers (infinite when q ≤ 1). */
export const gammaGammaPopulationMeanSpend = (params: GammaGammaParams): number =>
  params.q > 1 ? (params.p * params.v) / (params.q - 1) : Infinity;
