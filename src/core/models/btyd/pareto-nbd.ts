/**
 * The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987, Counting Your Customers: Who Are
 * They and What Will They Do Next?, Management Science 33(1)). While alive, a customer buys as
 * a Poisson process with rate λ ~ Gamma(r, α); their lifetime is exponential with rate
 * μ ~ Gamma(s, β), so unlike the BG/NBD they can drop out at any moment. The likelihood is the
 * one in Fader & Hardie (2005), A Note on Deriving the Pareto/NBD Model and Related
 * Expressions ("the note" below), whose A₀ is the part with hypergeometric functions.
 */
import { err, ok, type Result } from '../../result.ts';
import { minimizePositive, type FitError, type ModelFit } from './optimize.ts';
import { gaussLegendre } from './quadrature.ts';
import { Hyp2f1Error, lgamma, log1mExp, logHyp2f1APlus1, logSumExp } from './special-functions.ts';
import { meanAge, rfmProblem, type RfmData } from './summary.ts';

export interface ParetoNbdParams {
  readonly r: number;
  readonly alpha: number;
  readonly s: number;
  readonly beta: number;
}

/**
 * The note's A₀ is a difference of two terms of the same shape, one
 * at t = t_x and one at t = T:
 *   α ≥ β: 2F1(r+s+x, s+1; r+s+x+1; (α−β)/(α+t)) / (α+t)^(r+s+x)
 *   α ≤ β: 2F1(r+s+x, r+x;  r+s+x+1; (β−α)/(β+t)) / (β+t)^(r+s+x)
 * This is the logarithm of one such term. Taking the form that matches the larger of α and β
 * keeps the 2F1 argument in [0, 1), where its series has no sign changes, whichever way the
 * fit moves.
 */
const logA0Term = (p: ParetoNbdParams, x: number, t: number): number => {
  const { r, alpha, s, beta } = p;
  const rsx = r + s + x;
  const big = alpha >= beta ? alpha : beta;
  const b2 = alpha >= beta ? s + 1 : r + x;
  return logHyp2f1APlus1(rsx, b2, Math.abs(alpha - beta) / (big + t)) - rsx * Math.log(big + t);
};

/**
 * ln[s/(r+s+x) · A₀], A₀ = term(t_x) − term(T): the part of the likelihood from customers who
 * died between t_x and T. A₀ ≥ 0 (an integral of a positive function over [t_x, T]); −∞ when
 * t_x = T — and when rounding puts the two terms a hair the wrong way round as t_x nears T.
 */
const logDead = (p: ParetoNbdParams, x: number, fromTx: number, fromT: number): number =>
  fromT >= fromTx ? -Infinity : Math.log(p.s) - Math.log(p.r + p.s + x) + fromTx + log1mExp(fromT - fromTx);

/** Beyond this 2F1 argument the series needs hundreds of terms; the integral is then cheaper. */
const QUADRATURE_FROM = 0.9;
const RULE = gaussLegendre(16);
const nodeValues = new Float64Array(RULE.nodes.length);
/** Panels span at most this much change of the log-integrand, where 16 nodes are exact to ~1e-14. */
const PANEL_DROP = 6;
/** The integral stops where the integrand has fallen this far (in ln) below its maximum. */
const NEGLIGIBLE = 42;

/** The log-integrand of `logDeadByIntegral` in its variable y (see there). */
const deadLogIntegrand = (y: number, e: number, E: number, gap: number, start: number): number =>
  (1 - e) * y - E * Math.log(gap + start * Math.exp(y));

/**
 * The same ln[s/(r+s+x) · A₀] straight from its definition, s · ∫_{t_x}^{T} (α+τ)^−(r+x)
 * (β+τ)^−(s+1) dτ, for when one of α, β dwarfs the other plus t_x: the 2F1 argument is then
 * near 1 and its series slow (the fit meets this when every customer has about the same
 * dropout rate, s, β → ∞). Let m be the smaller of α, β with its power e, and M the larger
 * with its power E. In y = ln((m+τ)/(m+t_x)) the log-integrand
 *   (1−e)·ln(m+t_x) + (1−e)·y − E·ln(M − m + (m+t_x)·e^y)
 * is concave with slope −(e−1) − E·(m+τ)/(M+τ), so it is integrated on panels short enough for
 * it to change by at most PANEL_DROP, with 16 Gauss–Legendre nodes each, until it has fallen
 * NEGLIGIBLE below its maximum (concavity guarantees it only falls further). This is the
 * difference of the note's two terms computed directly, so nothing cancels either.
 */
const logDeadByIntegral = (p: ParetoNbdParams, x: number, tx: number, T: number): number => {
  if (tx >= T) return -Infinity;
  const alphaSmaller = p.alpha <= p.beta;
  const m = alphaSmaller ? p.alpha : p.beta;
  const e = alphaSmaller ? p.r + x : p.s + 1;
  const M = alphaSmaller ? p.beta : p.alpha;
  const E = alphaSmaller ? p.s + 1 : p.r + x;
  const start = m + tx;
  const Y = Math.log((m + T) / start);
  const gap = M - m;
  // (Plain loops, no closures: under tsx every closure created here costs a defineProperty.)
  let total = -Infinity;
  let peak = -Infinity;
  for (let y = 0; y < Y;) {
    const here = deadLogIntegrand(y, e, E, gap, start);
    if (here > peak) peak = here;
    const slope = 1 - e - (E * start * Math.exp(y)) / (gap + start * Math.exp(y));
    if (slope < 0 && here < peak - NEGLIGIBLE) break;
    const half = Math.min(Y - y, PANEL_DROP / Math.max(Math.abs(slope), 1e-300)) / 2;
    let top = -Infinity;
    for (let i = 0; i < RULE.nodes.length; i++) {
      const v = deadLogIntegrand(y + half * (1 + RULE.nodes[i]!), e, E, gap, start);
      nodeValues[i] = v;
      if (v > top) top = v;
    }
    let sum = 0;
    for (let i = 0; i < RULE.nodes.length; i++) sum += RULE.weights[i]! * Math.exp(nodeValues[i]! - top);
    total = logSumExp(total, top + Math.log(sum * half));
    y += 2 * half;
  }
  return Math.log(p.s) + (1 - e) * Math.log(start) + total;
};

/** Whether the 2F1 at t_x (the larger of the two arguments) is beyond QUADRATURE_FROM. */
const farApart = (p: ParetoNbdParams, tx: number): boolean =>
  Math.abs(p.alpha - p.beta) / (Math.max(p.alpha, p.beta) + tx) > QUADRATURE_FROM;

/** ln[s/(r+s+x) · A₀] for one customer, by whichever route suits the parameters. */
const logDeadAt = (p: ParetoNbdParams, x: number, tx: number, T: number): number =>
  farApart(p, tx) ? logDeadByIntegral(p, x, tx, T) : logDead(p, x, logA0Term(p, x, tx), logA0Term(p, x, T));

/** ln of the "still alive at T" term of L besides the shared factor Γ(r+x) α^r β^s / Γ(r). */
const logAlive = (p: ParetoNbdParams, x: number, T: number): number =>
  -(p.r + x) * Math.log(p.alpha + T) - p.s * Math.log(p.beta + T);

/**
 * ln L(r, α, s, β | x, t_x, T), as in the note:
 *   L = Γ(r+x) α^r β^s / Γ(r) · { 1 / ((α+T)^(r+x) (β+T)^s) + s/(r+s+x) · A₀ }.
 */
export const paretoNbdCustomerLogLikelihood = (
  p: ParetoNbdParams,
  x: number,
  tx: number,
  T: number,
): number => {
  const { r, alpha, s, beta } = p;
  return (
    lgamma(r + x) -
    lgamma(r) +
    r * Math.log(alpha) +
    s * Math.log(beta) +
    logSumExp(logAlive(p, x, T), logDeadAt(p, x, tx, T))
  );
};

/**
 * The log-likelihood of a whole cohort. The 2F1 terms — nearly all the cost — are computed once
 * per distinct (x, T) and (x, t_x), not once per customer.
 */
export const paretoNbdLogLikelihood = (p: ParetoNbdParams, data: RfmData): number => {
  const { r, alpha, s, beta } = p;
  const constant = r * Math.log(alpha) + s * Math.log(beta) - lgamma(r);
  const shared = data.distinctX.map((x) => constant + lgamma(r + x));
  const { atT, atTx } = data;
  const alive = atT.x.map((x, k) => logAlive(p, x, atT.t[k]!));
  // The 2F1 terms are filled in on first use: rows whose 2F1 would be slow take the integral.
  const termT = new Float64Array(atT.x.length).fill(NaN);
  const termTx = new Float64Array(atTx.x.length).fill(NaN);
  let sum = 0;
  for (let i = 0; i < data.x.length; i++) {
    const x = data.x[i]!;
    const tx = data.tx[i]!;
    const T = data.T[i]!;
    let dead: number;
    if (farApart(p, tx)) dead = logDeadByIntegral(p, x, tx, T);
    else {
      const kT = atT.slot[i]!;
      const kTx = atTx.slot[i]!;
      if (Number.isNaN(termT[kT]!)) termT[kT] = logA0Term(p, x, T);
      if (Number.isNaN(termTx[kTx]!)) termTx[kTx] = logA0Term(p, x, tx);
      dead = logDead(p, x, termTx[kTx]!, termT[kT]!);
    }
    sum += data.weight[i]! * (shared[data.xSlot[i]!]! + logSumExp(alive[atT.slot[i]!]!, dead));
  }
  return sum;
};

const fromVector = ([r, alpha, s, beta]: readonly number[]): ParetoNbdParams => ({
  r: r!,
  alpha: alpha!,
  s: s!,
  beta: beta!,
});

/**
 * Maximum-likelihood estimates, from r = s = 1 and α = β = the mean age T (scale-free, as for
 * the BG/NBD). β is weakly identified on short calibration periods: the likelihood surface is
 * nearly flat along it, which the optimiser's restarts handle but which makes β the least
 * reproducible figure across implementations.
 */
export const fitParetoNbd = (data: RfmData): Result<ModelFit<ParetoNbdParams>, FitError> => {
  const problem = rfmProblem(data);
  if (problem) return err({ reason: problem });
  const age = meanAge(data);
  const negLogLikelihood = (v: readonly number[]): number => {
    try {
      return -paretoNbdLogLikelihood(fromVector(v), data);
    } catch (e) {
      // Only at extreme α/β ratios, far from any maximum: a point not to step on.
      if (e instanceof Hyp2f1Error) return Infinity;
      throw e;
    }
  };
  const m = minimizePositive(negLogLikelihood, [1, age, 1, age]);
  return ok({
    params: fromVector(m.x),
    logLikelihood: -m.value,
    converged: m.converged,
    evaluations: m.evaluations,
  });
};

/**
 * P(alive | x, t_x, T) (Schmittlein et al. 1987; in the note's notation):
 *   1 / (1 + s/(r+s+x) · (α+T)^(r+x) (β+T)^s · A₀).
 */
export const paretoNbdPAlive = (p: ParetoNbdParams, x: number, tx: number, T: number): number => {
  return 1 / (1 + Math.exp(logDeadAt(p, x, tx, T) - logAlive(p, x, T)));
};

/** (1 − ((β+T)/(β+T+t))^(s−1)) / (s−1), whose limit at s = 1 is ln((β+T+t)/(β+T)). */
const lifetimeFactor = (s: number, beta: number, T: number, t: number): number => {
  const growth = Math.log1p(t / (beta + T));
  return s === 1 ? growth : -Math.expm1(-(s - 1) * growth) / (s - 1);
};

/**
 * E[Y(t) | x, t_x, T]: purchases expected in the next t time units (Schmittlein et al. 1987):
 *   (r+x)(β+T) / ((α+T)(s−1)) · [1 − ((β+T)/(β+T+t))^(s−1)] · P(alive | x, t_x, T).
 */
export const paretoNbdConditionalExpectedPurchases = (
  p: ParetoNbdParams,
  t: number,
  x: number,
  tx: number,
  T: number,
): number => {
  const { r, alpha, s, beta } = p;
  return (
    (((r + x) * (beta + T)) / (alpha + T)) * lifetimeFactor(s, beta, T, t) * paretoNbdPAlive(p, x, tx, T)
  );
};

/** E[X(t)] for a customer acquired now: rβ/(α(s−1)) · [1 − (β/(β+t))^(s−1)] (Schmittlein et al. 1987). */
export const paretoNbdExpectedPurchases = (p: ParetoNbdParams, t: number): number =>
  ((p.r * p.beta) / p.alpha) * lifetimeFactor(p.s, p.beta, 0, t);
