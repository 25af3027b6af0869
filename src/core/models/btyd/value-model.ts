/**
 * The in-product customer-value model (features.md B7): BG/NBD for the purchases and
 * Gamma-Gamma for the spend, fitted in days on every buyer's history as of a scoring run, with
 * the checks that decide whether its per-user figures may be used at all. A fit that did not
 * converge or that degenerated is not an answer: it comes back with warnings and no scores, so
 * nothing downstream (audiences, the planner's LTV check) reads made-up values.
 */
import { bgNbdConditionalExpectedPurchases, bgNbdPAlive, fitBgNbd, type BgNbdParams } from './bg-nbd.ts';
import {
  fitGammaGamma,
  gammaGammaConditionalExpectedSpend,
  gammaGammaPopulationMeanSpend,
  type GammaGammaParams,
} from './gamma-gamma.ts';
import { ltv, ratePerUnit, type LtvOptions } from './ltv.ts';
import { groupOrders, type LineItem } from '../orders.ts';
import { meanAge, summariseTransactions, toRfmData, type CustomerSummary } from './summary.ts';

const DAY_MS = 86_400_000;

/**
 * The buyers' summaries as of `asOf`, exactly as `rekindle btyd` builds them from a file: purchase
 * and refund rows grouped into orders with refunds booked against them (`groupOrders`, shared
 * with `churn evaluate`), each order a purchase on its UTC day, same-day orders merged
 * (`summariseTransactions`), in days, calibration ending on the run's UTC day. Rows must be up
 * to `asOf`; customers come out in the order of the rows.
 */
export const valueModelCustomers = (lines: Iterable<LineItem>, asOf: number): CustomerSummary[] => {
  const book = groupOrders(lines);
  return summariseTransactions(
    book.orders.map((o) => ({ customerId: o.userId, day: Math.floor(o.ts / DAY_MS), amount: o.amount })),
    { calibrationEnd: Math.floor(asOf / DAY_MS), timeUnit: 'day' },
  );
};

export interface ValueModelOptions {
  /** Days ahead for expected purchases and expected spend. */
  readonly horizonDays: number;
  readonly ltvHorizonDays: number;
  readonly annualDiscountRate: number;
  readonly margin: number;
}

export const VALUE_WARNING_CODES = [
  'fit_failed',
  'too_few_repeat_buyers',
  'not_converged',
  'parameter_at_bound',
  'p_alive_degenerate',
  'infinite_mean_spend',
] as const;
export type ValueWarningCode = (typeof VALUE_WARNING_CODES)[number];

/** Why the run's per-user values were not written; `values` carries the numbers the message cites. */
export interface ValueWarning {
  readonly code: ValueWarningCode;
  readonly model: 'bgnbd' | 'gamma_gamma';
  readonly message: string;
  readonly values: Readonly<Record<string, number>>;
}

export interface ValueScore {
  readonly userId: string;
  readonly pAlive: number;
  /** Purchases expected in the next `horizonDays`. */
  readonly expectedPurchases: number;
  /** Expected value of each future purchase (Gamma-Gamma). */
  readonly expectedSpend: number;
  /** Discounted margin over `ltvHorizonDays`: BG/NBD × Gamma-Gamma. */
  readonly ltv: number;
}

type Fit<P> = {
  readonly params: P;
  readonly logLikelihood: number;
  readonly converged: boolean;
  readonly evaluations: number;
};

export interface ValueModelSummary {
  readonly meanPAlive: number;
  /** Users with P(alive) < 0.5. */
  readonly likelyGone: number;
  readonly expectedPurchases: number;
  readonly meanLtv: number;
  readonly totalLtv: number;
}

export interface ValueModelResult {
  readonly customers: number;
  readonly repeatCustomers: number;
  readonly bgnbd: Fit<BgNbdParams> | null;
  readonly gammaGamma:
    | (Fit<GammaGammaParams> & { readonly customers: number; readonly populationMeanSpend: number | null })
    | null;
  readonly warnings: readonly ValueWarning[];
  /** Null when any warning stands: the values must not be used. */
  readonly scores: readonly ValueScore[] | null;
  readonly summary: ValueModelSummary | null;
}

/** Fewer repeat buyers than this give parameters that swing with a handful of customers. */
export const MIN_REPEAT_BUYERS = 20;
/** "P(alive) ≈ 1 for nearly everyone": at least this share of repeat buyers at P(alive) ≥ 0.99… */
const DEGENERATE_SHARE = 0.95;
const ALIVE_CERTAIN = 0.99;
/** …while some have been silent for more than this many of their own average intervals. */
const LAPSED_INTERVALS = 3;
/** LTV steps: four weeks each, as `rekindle btyd` does. */
const DAYS_PER_LTV_STEP = 28;

const fmt = (v: number): string =>
  Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? v.toExponential(3) : v.toPrecision(4);

const MODEL_NAME = { bgnbd: 'BG/NBD', gamma_gamma: 'Gamma-Gamma' } as const;

/**
 * The fits search each parameter within e^±10 of its start (`minimizePositive`); one that ends
 * within e^1 of that edge ran off towards 0 or ∞ — the likelihood has no maximum inside, the data
 * do not pin it down.
 */
const SEARCH_BOX = 10;

const fitWarnings = (
  model: ValueWarning['model'],
  fit: { readonly converged: boolean; readonly evaluations: number },
  params: Readonly<Record<string, number>>,
  start: Readonly<Record<string, number>>,
): ValueWarning[] => {
  const name = MODEL_NAME[model];
  const atEdge = Object.entries(params).filter(
    ([k, v]) => !(Math.abs(Math.log(v / (start[k] ?? 1))) <= SEARCH_BOX - 1),
  );
  const out: ValueWarning[] = [];
  if (!fit.converged)
    out.push({
      code: 'not_converged',
      model,
      message:
        atEdge.length > 0
          ? `${name} did not converge: the search stopped at the edge of its range after ${fit.evaluations} evaluations`
          : `${name} did not converge within ${fit.evaluations} likelihood evaluations`,
      values: { evaluations: fit.evaluations },
    });
  for (const [k, v] of atEdge)
    out.push({
      code: 'parameter_at_bound',
      model,
      message: `${name} parameter ${k} = ${fmt(v)} ran ${v < (start[k] ?? 1) ? 'towards 0' : 'towards infinity'} (to the edge of e^±${SEARCH_BOX} around its start ${fmt(start[k] ?? 1)}): the data do not pin it down`,
      values: { [k]: v, start: start[k] ?? 1 },
    });
  return out;
};

/**
 * The degenerate case the BG/NBD falls into when dropping out is not identified (a → 0 or
 * b → ∞): every repeat buyer is alive for sure, even those silent for many of their own
 * intervals. Buyers without a repeat purchase are left out: the model holds them alive by
 * construction.
 */
export const pAliveWarning = (
  bg: BgNbdParams,
  customers: readonly CustomerSummary[],
): ValueWarning | undefined => {
  let repeat = 0;
  let certain = 0;
  let lapsedCertain = 0;
  for (const c of customers) {
    if (c.x === 0) continue;
    repeat++;
    if (bgNbdPAlive(bg, c.x, c.tx, c.T) < ALIVE_CERTAIN) continue;
    certain++;
    if (c.tx > 0 && c.T - c.tx > (LAPSED_INTERVALS * c.tx) / c.x) lapsedCertain++;
  }
  if (repeat === 0 || certain / repeat < DEGENERATE_SHARE || lapsedCertain === 0) return undefined;
  return {
    code: 'p_alive_degenerate',
    model: 'bgnbd',
    message:
      `P(alive) ≥ ${ALIVE_CERTAIN} for ${certain} of ${repeat} repeat buyers (${fmt((100 * certain) / repeat)} %), ` +
      `${lapsedCertain} of them silent for more than ${LAPSED_INTERVALS} of their own purchase intervals: ` +
      `the model cannot tell who has left (a = ${fmt(bg.a)}, b = ${fmt(bg.b)})`,
    values: { certain, repeat, lapsed: lapsedCertain, a: bg.a, b: bg.b },
  };
};

/**
 * Fits both models on the buyers' summaries (x, t_x, T in days) and, when no check fails,
 * scores every buyer. The checks, each a warning with its numbers: the fit fails or fewer than
 * MIN_REPEAT_BUYERS bought again; a search did not converge; a parameter ran off to 0 or ∞;
 * P(alive) ≈ 1 for nearly every repeat buyer although some have lapsed; Gamma-Gamma's q ≤ 1
 * (the mean spend is infinite).
 */
export const fitValueModel = (
  customers: readonly CustomerSummary[],
  opts: ValueModelOptions,
): ValueModelResult => {
  const repeatCustomers = customers.filter((c) => c.x > 0).length;
  const warnings: ValueWarning[] = [];
  const base = { customers: customers.length, repeatCustomers };
  if (repeatCustomers < MIN_REPEAT_BUYERS)
    warnings.push({
      code: 'too_few_repeat_buyers',
      model: 'bgnbd',
      message: `only ${repeatCustomers} of ${customers.length} buyers bought more than once; the model needs at least ${MIN_REPEAT_BUYERS}`,
      values: { repeat: repeatCustomers, customers: customers.length, minimum: MIN_REPEAT_BUYERS },
    });
  if (customers.length === 0 || repeatCustomers === 0)
    return { ...base, bgnbd: null, gammaGamma: null, warnings, scores: null, summary: null };

  const data = toRfmData(customers);
  const bgFit = fitBgNbd(data);
  if (!bgFit.ok) {
    warnings.push({
      code: 'fit_failed',
      model: 'bgnbd',
      message: `BG/NBD: ${bgFit.error.reason}`,
      values: {},
    });
    return { ...base, bgnbd: null, gammaGamma: null, warnings, scores: null, summary: null };
  }
  const bg = bgFit.value;
  warnings.push(...fitWarnings('bgnbd', bg, { ...bg.params }, { r: 1, alpha: meanAge(data), a: 1, b: 1 }));
  const degenerate = pAliveWarning(bg.params, customers);
  if (degenerate) warnings.push(degenerate);

  const ggFit = fitGammaGamma(customers.map((c) => ({ x: c.x, m: c.monetary })));
  let gammaGamma: ValueModelResult['gammaGamma'] = null;
  if (!ggFit.ok)
    warnings.push({
      code: 'fit_failed',
      model: 'gamma_gamma',
      message: `Gamma-Gamma: ${ggFit.error.reason}`,
      values: { repeatWithSpend: customers.filter((c) => c.x > 0 && c.monetary > 0).length },
    });
  else {
    const gg = ggFit.value;
    gammaGamma = {
      params: gg.params,
      logLikelihood: gg.logLikelihood,
      converged: gg.converged,
      evaluations: gg.evaluations,
      customers: gg.used,
      populationMeanSpend: gg.params.q > 1 ? gammaGammaPopulationMeanSpend(gg.params) : null,
    };
    const used = customers.filter((c) => c.x > 0 && c.monetary > 0);
    const meanSpend = used.reduce((t, c) => t + c.monetary, 0) / used.length;
    warnings.push(...fitWarnings('gamma_gamma', gg, { ...gg.params }, { p: 1, q: 1, v: meanSpend }));
    if (!(gg.params.q > 1))
      warnings.push({
        code: 'infinite_mean_spend',
        model: 'gamma_gamma',
        message: `Gamma-Gamma q = ${fmt(gg.params.q)} ≤ 1: the mean spend per purchase is infinite (spend too heavy-tailed for the model)`,
        values: { q: gg.params.q },
      });
  }
  const bgnbd = {
    params: bg.params,
    logLikelihood: bg.logLikelihood,
    converged: bg.converged,
    evaluations: bg.evaluations,
  };
  if (warnings.length > 0 || gammaGamma === null)
    return { ...base, bgnbd, gammaGamma, warnings, scores: null, summary: null };

  const scores = scoreBuyers(bg.params, gammaGamma.params, customers, opts);
  return { ...base, bgnbd, gammaGamma, warnings, scores, summary: summarise(scores) };
};

/** The per-buyer figures; buyers with the same (x, t_x, T, m) share one computation. */
export const scoreBuyers = (
  bg: BgNbdParams,
  gg: GammaGammaParams,
  customers: readonly CustomerSummary[],
  opts: ValueModelOptions,
): ValueScore[] => {
  const ltvOpts: LtvOptions = {
    horizon: opts.ltvHorizonDays,
    steps: Math.max(1, Math.round(opts.ltvHorizonDays / DAYS_PER_LTV_STEP)),
    discountRate: ratePerUnit(opts.annualDiscountRate, 'day'),
    margin: opts.margin,
  };
  const memo = new Map<string, Omit<ValueScore, 'userId'>>();
  return customers.map((c) => {
    const key = `${c.x}|${c.tx}|${c.T}|${c.monetary}`;
    let v = memo.get(key);
    if (v === undefined) {
      const purchases = (t: number) => bgNbdConditionalExpectedPurchases(bg, t, c.x, c.tx, c.T);
      const spend = gammaGammaConditionalExpectedSpend(gg, c.x, c.monetary);
      v = {
        pAlive: bgNbdPAlive(bg, c.x, c.tx, c.T),
        expectedPurchases: purchases(opts.horizonDays),
        expectedSpend: spend,
        ltv: ltv(purchases, spend, ltvOpts),
      };
      memo.set(key, v);
    }
    return { userId: c.id, ...v };
  });
};

const summarise = (scores: readonly ValueScore[]): ValueModelSummary => {
  const n = scores.length;
  const sum = (f: (s: ValueScore) => number) => scores.reduce((s, v) => s + f(v), 0);
  const totalLtv = sum((s) => s.ltv);
  return {
    meanPAlive: n === 0 ? 0 : sum((s) => s.pAlive) / n,
    likelyGone: scores.filter((s) => s.pAlive < 0.5).length,
    expectedPurchases: sum((s) => s.expectedPurchases),
    meanLtv: n === 0 ? 0 : totalLtv / n,
    totalLtv,
  };
};
