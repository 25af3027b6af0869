/**
 * One cohort through all three models: fit BG/NBD, Pareto/NBD and Gamma-Gamma on the
 * calibration summary, score every customer (probability alive, expected purchases, expected
 * spend, LTV) and, when a holdout period was observed, set the models' predictions against
 * what happened. This is what `rekindle btyd` prints.
 */
import { err, ok, type Result } from '../../result.ts';
import {
  bgNbdConditionalExpectedPurchases,
  bgNbdExpectedPurchases,
  bgNbdPAlive,
  fitBgNbd,
  type BgNbdParams,
} from './bg-nbd.ts';
import {
  fitGammaGamma,
  gammaGammaConditionalExpectedSpend,
  gammaGammaPopulationMeanSpend,
  type GammaGammaParams,
} from './gamma-gamma.ts';
import { bgNbdGammaGammaLtv, type LtvOptions } from './ltv.ts';
import type { FitError, ModelFit } from './optimize.ts';
import {
  fitParetoNbd,
  paretoNbdConditionalExpectedPurchases,
  paretoNbdExpectedPurchases,
  paretoNbdPAlive,
  type ParetoNbdParams,
} from './pareto-nbd.ts';
import { toRfmData, type CustomerSummary } from './summary.ts';

export interface Distribution {
  readonly mean: number;
  /** Sample standard deviation (n − 1). */
  readonly std: number;
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

export const describe = (values: readonly number[]): Distribution => {
  if (values.length === 0) return { mean: NaN, std: NaN, min: NaN, median: NaN, max: NaN };
  const sorted = [...values].sort((p, q) => p - q);
  const n = sorted.length;
  const mean = sorted.reduce((s, v) => s + v, 0) / n;
  const variance = n > 1 ? sorted.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1) : 0;
  const mid = Math.floor(n / 2);
  return {
    mean,
    std: Math.sqrt(variance),
    min: sorted[0]!,
    median: n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2,
    max: sorted[n - 1]!,
  };
};

export interface CustomerScore {
  readonly id: string;
  readonly x: number;
  readonly tx: number;
  readonly T: number;
  readonly monetary: number;
  readonly pAliveBgNbd: number;
  readonly pAliveParetoNbd: number;
  /** Purchases expected over the LTV horizon. */
  readonly expectedPurchasesBgNbd: number;
  readonly expectedPurchasesParetoNbd: number;
  /** Expected value of each future purchase (Gamma-Gamma). */
  readonly expectedSpend: number;
  /** BG/NBD × Gamma-Gamma, discounted (see `ltv`). */
  readonly ltv: number;
}

export interface HoldoutCheck {
  /** Length of the holdout period in time units. */
  readonly length: number;
  readonly actualPurchases: number;
  readonly customersBuying: number;
  readonly predictedBgNbd: number;
  readonly predictedParetoNbd: number;
}

type Fitted<P> = P & {
  readonly logLikelihood: number;
  readonly converged: boolean;
  readonly evaluations: number;
};

export interface CohortAnalysis {
  readonly cohort: {
    readonly customers: number;
    readonly repeatCustomers: number;
    readonly repeatPurchases: number;
    /** Average value of the repeat purchases, over repeat customers (what Gamma-Gamma is fitted on). */
    readonly repeatSpend: Distribution;
  };
  readonly bgnbd: Fitted<BgNbdParams> & { readonly expectedPurchasesNewCustomer: number };
  readonly paretoNbd: Fitted<ParetoNbdParams> & { readonly expectedPurchasesNewCustomer: number };
  readonly gammaGamma: Fitted<GammaGammaParams> & {
    readonly customers: number;
    readonly populationMeanSpend: number;
  };
  readonly holdout?: HoldoutCheck;
  readonly ltv: LtvOptions;
  readonly scores: readonly CustomerScore[];
}

export interface AnalysisOptions {
  readonly ltv: LtvOptions;
  /** Length of the observed holdout period in time units; leave out when there is none. */
  readonly holdoutLength?: number;
}

const flatten = <P>(fit: ModelFit<P>): Fitted<P> => ({
  ...fit.params,
  logLikelihood: fit.logLikelihood,
  converged: fit.converged,
  evaluations: fit.evaluations,
});

export const analyseCohort = (
  customers: readonly CustomerSummary[],
  opts: AnalysisOptions,
): Result<CohortAnalysis, FitError> => {
  const data = toRfmData(customers);
  const bg = fitBgNbd(data);
  if (!bg.ok) return bg;
  const pn = fitParetoNbd(data);
  if (!pn.ok) return pn;
  const gg = fitGammaGamma(customers.map((c) => ({ x: c.x, m: c.monetary })));
  if (!gg.ok) return err({ reason: `Gamma-Gamma: ${gg.error.reason}` });
  const bgp = bg.value.params;
  const pnp = pn.value.params;
  const ggp = gg.value.params;
  if (!(ggp.q > 1)) return err({ reason: `Gamma-Gamma: q = ${ggp.q} ≤ 1, so mean spend is unbounded` });

  const horizon = opts.ltv.horizon;
  const scores = customers.map((c): CustomerScore => ({
    id: c.id,
    x: c.x,
    tx: c.tx,
    T: c.T,
    monetary: c.monetary,
    pAliveBgNbd: bgNbdPAlive(bgp, c.x, c.tx, c.T),
    pAliveParetoNbd: paretoNbdPAlive(pnp, c.x, c.tx, c.T),
    expectedPurchasesBgNbd: bgNbdConditionalExpectedPurchases(bgp, horizon, c.x, c.tx, c.T),
    expectedPurchasesParetoNbd: paretoNbdConditionalExpectedPurchases(pnp, horizon, c.x, c.tx, c.T),
    expectedSpend: gammaGammaConditionalExpectedSpend(ggp, c.x, c.monetary),
    ltv: bgNbdGammaGammaLtv(bgp, ggp, c, opts.ltv),
  }));

  const repeaters = customers.filter((c) => c.x > 0);
  const L = opts.holdoutLength;
  const holdout =
    L === undefined
      ? undefined
      : {
          length: L,
          actualPurchases: customers.reduce((s, c) => s + c.holdoutPurchases, 0),
          customersBuying: customers.filter((c) => c.holdoutPurchases > 0).length,
          predictedBgNbd: customers.reduce(
            (s, c) => s + bgNbdConditionalExpectedPurchases(bgp, L, c.x, c.tx, c.T),
            0,
          ),
          predictedParetoNbd: customers.reduce(
            (s, c) => s + paretoNbdConditionalExpectedPurchases(pnp, L, c.x, c.tx, c.T),
            0,
          ),
        };

  return ok({
    cohort: {
      customers: customers.length,
      repeatCustomers: repeaters.length,
      repeatPurchases: repeaters.reduce((s, c) => s + c.x, 0),
      repeatSpend: describe(repeaters.map((c) => c.monetary)),
    },
    bgnbd: { ...flatten(bg.value), expectedPurchasesNewCustomer: bgNbdExpectedPurchases(bgp, horizon) },
    paretoNbd: {
      ...flatten(pn.value),
      expectedPurchasesNewCustomer: paretoNbdExpectedPurchases(pnp, horizon),
    },
    gammaGamma: {
      ...flatten(gg.value),
      customers: gg.value.used,
      populationMeanSpend: gammaGammaPopulationMeanSpend(ggp),
    },
    ...(holdout ? { holdout } : {}),
    ltv: opts.ltv,
    scores,
  });
};
