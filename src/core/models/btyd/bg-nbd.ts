/**
 * The BG/NBD model (Fader, Hardie & Lee 2005, "Counting Your Customers" the Easy Way: An
 * Alternative to the Pareto/NBD Model, Marketing Science 24(2)). While alive, a customer buys
 * as a Poisson process with rate λ ~ Gamma(r, α); after each purchase they drop out with
 * probability p ~ Beta(a, b). The formulas below are the paper's (and Hardie's notes on it).
 */
import { err, ok, type Result } from '../../result.ts';
import { minimizePositive, type FitError, type ModelFit } from './optimize.ts';
import { hyp2f1Log, lgamma, logSumExp } from './special-functions.ts';
import { meanAge, rfmProblem, type RfmData } from './summary.ts';

export interface BgNbdParams {
  readonly r: number;
  readonly alpha: number;
  readonly a: number;
  readonly b: number;
}

/**
 * ln L(r, α, a, b | x, t_x, T), the paper's likelihood:
 *   L = B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
 *     + δ(x>0) · B(a+1, b+x−1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x)),
 * with B(a+1, b+x−1)/B(a, b+x) = a/(b+x−1) so that the two terms share one factor.
 */
export const bgNbdCustomerLogLikelihood = (p: BgNbdParams, x: number, tx: number, T: number): number => {
  const { r, alpha, a, b } = p;
  const shared =
    lgamma(r + x) -
    lgamma(r) +
    r * Math.log(alpha) +
    lgamma(a + b) +
    lgamma(b + x) -
    lgamma(b) -
    lgamma(a + b + x);
  const stillAlive = -(r + x) * Math.log(alpha + T);
  if (x === 0) return shared + stillAlive;
  const droppedAfterLast = Math.log(a) - Math.log(b + x - 1) - (r + x) * Math.log(alpha + tx);
  return shared + logSumExp(stillAlive, droppedAfterLast);
};

/** The log-likelihood of a whole cohort, each term computed once per distinct x, (x, T) or (x, t_x). */
export const bgNbdLogLikelihood = (p: BgNbdParams, data: RfmData): number => {
  const { r, alpha, a, b } = p;
  const constant = r * Math.log(alpha) + lgamma(a + b) - lgamma(r) - lgamma(b);
  const shared = data.distinctX.map((x) => constant + lgamma(r + x) + lgamma(b + x) - lgamma(a + b + x));
  const { atT, atTx } = data;
  const stillAlive = atT.x.map((x, k) => -(r + x) * Math.log(alpha + atT.t[k]!));
  const logA = Math.log(a);
  const droppedAfterLast = atTx.x.map((x, k) =>
    x === 0 ? -Infinity : logA - Math.log(b + x - 1) - (r + x) * Math.log(alpha + atTx.t[k]!),
  );
  let sum = 0;
  for (let i = 0; i < data.x.length; i++) {
    const alive = stillAlive[atT.slot[i]!]!;
    const ll = data.x[i] === 0 ? alive : logSumExp(alive, droppedAfterLast[atTx.slot[i]!]!);
    sum += data.weight[i]! * (shared[data.xSlot[i]!]! + ll);
  }
  return sum;
};

const fromVector = ([r, alpha, a, b]: readonly number[]): BgNbdParams => ({
  r: r!,
  alpha: alpha!,
  a: a!,
  b: b!,
});

/**
 * Maximum-likelihood estimates. The search starts from r = a = b = 1 and α = the mean age T
 * (about one purchase per customer lifetime), which is scale-free: the same start works in
 * weeks or days.
 */
export const fitBgNbd = (data: RfmData): Result<ModelFit<BgNbdParams>, FitError> => {
  const problem = rfmProblem(data);
  if (problem) return err({ reason: problem });
  const m = minimizePositive((v) => -bgNbdLogLikelihood(fromVector(v), data), [1, meanAge(data), 1, 1]);
  const params = fromVector(m.x);
  return ok({ params, logLikelihood: -m.value, converged: m.converged, evaluations: m.evaluations });
};

/** ln of the odds that a customer with x > 0 dropped out right after the last purchase. */
const logDropOdds = (p: BgNbdParams, x: number, tx: number, T: number): number =>
  Math.log(p.a) - Math.log(p.b + x - 1) + (p.r + x) * (Math.log(p.alpha + T) - Math.log(p.alpha + tx));

/**
 * P(alive | x, t_x, T) = 1 / (1 + δ(x>0) · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)).
 * A customer who never bought again is alive for sure: in this model dropping out happens
 * only right after a purchase.
 */
export const bgNbdPAlive = (p: BgNbdParams, x: number, tx: number, T: number): number =>
  x === 0 ? 1 : 1 / (1 + Math.exp(logDropOdds(p, x, tx, T)));

/**
 * E[Y(t) | x, t_x, T]: purchases expected in the next t time units:
 *   (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x; a+b+x−1; t/(α+T+t))]
 *   / (1 + δ(x>0) · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)).
 * The bracket is 1 − e^(small) when t is short, so it goes through expm1; a = 1 is a removable
 * singularity (both factors vanish), evaluated as the mean of a = 1 ± 1e-5.
 */
export const bgNbdConditionalExpectedPurchases = (
  p: BgNbdParams,
  t: number,
  x: number,
  tx: number,
  T: number,
): number => {
  if (t === 0) return 0;
  if (Math.abs(p.a - 1) < 1e-6)
    return (
      (bgNbdConditionalExpectedPurchases({ ...p, a: 1 + 1e-5 }, t, x, tx, T) +
        bgNbdConditionalExpectedPurchases({ ...p, a: 1 - 1e-5 }, t, x, tx, T)) /
      2
    );
  const { r, alpha, a, b } = p;
  const f = hyp2f1Log(r + x, b + x, a + b + x - 1, t / (alpha + T + t));
  const logTerm = -(r + x) * Math.log1p(t / (alpha + T)) + f.log;
  const bracket = f.sign > 0 ? -Math.expm1(logTerm) : 1 - f.sign * Math.exp(logTerm);
  const dropOdds = x > 0 ? Math.exp(logDropOdds(p, x, tx, T)) : 0;
  return (((a + b + x - 1) / (a - 1)) * bracket) / (1 + dropOdds);
};

/**
 * E[X(t)]: purchases expected from a customer acquired now, in their first t time units:
 * (a+b−1)/(a−1) · [1 − (α/(α+t))^r · 2F1(r, b; a+b−1; t/(α+t))] — the
 * conditional expectation of someone with x = t_x = T = 0.
 */
export const bgNbdExpectedPurchases = (p: BgNbdParams, t: number): number =>
  bgNbdConditionalExpectedPurchases(p, t, 0, 0, 0);
