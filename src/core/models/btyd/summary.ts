/**
 * Transactions → the per-customer summary the BTYD models are fitted on: frequency x (repeat
 * purchases), recency t_x (time of the last purchase), age T (time since the first purchase),
 * all measured from the customer's first purchase, plus the average value of the repeat
 * purchases for the Gamma-Gamma model.
 */

/** One purchase. `day` counts whole days since 1970-01-01 (UTC); amounts are in the shop's currency. */
export interface Transaction {
  readonly customerId: string;
  readonly day: number;
  readonly amount: number;
}

export type TimeUnit = 'week' | 'day';

export const DAYS_PER_UNIT: Readonly<Record<TimeUnit, number>> = { week: 7, day: 1 };

export interface CustomerSummary {
  readonly id: string;
  /** Repeat purchases in the calibration period: purchase days after the first one. */
  readonly x: number;
  /** Time from the first to the last purchase day in the calibration period (0 when x = 0). */
  readonly tx: number;
  /** Time from the first purchase day to the end of the calibration period. */
  readonly T: number;
  /** Mean value of the repeat purchase days (the first purchase excluded); 0 when x = 0. */
  readonly monetary: number;
  /** Purchase days in the holdout period (after the calibration end, up to the holdout end). */
  readonly holdoutPurchases: number;
  readonly holdoutAmount: number;
}

export interface SummaryOptions {
  /** Last day (inclusive) of the calibration period, as a day number. */
  readonly calibrationEnd: number;
  /** Last day (inclusive) of the holdout period; later purchases are ignored. Default: no limit. */
  readonly holdoutEnd?: number;
  readonly timeUnit: TimeUnit;
}

interface Days {
  readonly days: number[];
  readonly amounts: number[];
}

/**
 * Builds the calibration summary. Purchases on the same day are merged into one (their
 * amounts added): the models count purchase occasions, and an order split into several lines
 * would otherwise look like a burst of repeat buying — this is how the published CDNOW
 * analyses count. Customers whose first purchase falls after the calibration end are not part
 * of the calibration cohort and are left out. Customers come out in order of first appearance.
 */
export const summariseTransactions = (
  transactions: Iterable<Transaction>,
  opts: SummaryOptions,
): CustomerSummary[] => {
  const unit = DAYS_PER_UNIT[opts.timeUnit];
  const holdoutEnd = opts.holdoutEnd ?? Infinity;
  const byCustomer = new Map<string, Days>();
  for (const t of transactions) {
    let d = byCustomer.get(t.customerId);
    if (!d) byCustomer.set(t.customerId, (d = { days: [], amounts: [] }));
    d.days.push(t.day);
    d.amounts.push(t.amount);
  }
  const out: CustomerSummary[] = [];
  for (const [id, { days, amounts }] of byCustomer) {
    const merged = new Map<number, number>();
    for (let i = 0; i < days.length; i++) merged.set(days[i]!, (merged.get(days[i]!) ?? 0) + amounts[i]!);
    const sorted = [...merged.keys()].sort((p, q) => p - q);
    const first = sorted[0]!;
    if (first > opts.calibrationEnd) continue;
    let x = 0;
    let last = first;
    let repeatSpend = 0;
    let holdoutPurchases = 0;
    let holdoutAmount = 0;
    for (const day of sorted.slice(1)) {
      if (day <= opts.calibrationEnd) {
        x++;
        last = day;
        repeatSpend += merged.get(day)!;
      } else if (day <= holdoutEnd) {
        holdoutPurchases++;
        holdoutAmount += merged.get(day)!;
      }
    }
    out.push({
      id,
      x,
      tx: (last - first) / unit,
      T: (opts.calibrationEnd - first) / unit,
      monetary: x > 0 ? repeatSpend / x : 0,
      holdoutPurchases,
      holdoutAmount,
    });
  }
  return out;
};

/** Distinct (x, t) pairs of a summary, and for every row the index of its pair. */
export interface DistinctPairs {
  readonly x: Float64Array;
  readonly t: Float64Array;
  readonly slot: Int32Array;
}

/**
 * The summary as columns, identical (x, t_x, T) customers merged with a weight. Likelihood terms
 * depend on x alone (gamma functions), on (x, T) or on (x, t_x), and those take far fewer
 * distinct values than there are rows (CDNOW's 23,570 customers: 8,685 rows, 37 values of x,
 * 979 of (x, T), 1,726 of (x, t_x)), so fits compute each term once per distinct value.
 */
export interface RfmData {
  readonly x: Float64Array;
  readonly tx: Float64Array;
  readonly T: Float64Array;
  readonly weight: Float64Array;
  /** Customers represented (the sum of the weights). */
  readonly customers: number;
  readonly distinctX: Float64Array;
  readonly xSlot: Int32Array;
  readonly atT: DistinctPairs;
  readonly atTx: DistinctPairs;
}

const distinctPairs = (x: readonly number[], t: readonly number[]): DistinctPairs => {
  const index = new Map<string, number>();
  const px: number[] = [];
  const pt: number[] = [];
  const slot = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const key = `${x[i]}|${t[i]}`;
    let k = index.get(key);
    if (k === undefined) {
      index.set(key, (k = px.length));
      px.push(x[i]!);
      pt.push(t[i]!);
    }
    slot[i] = k;
  }
  return { x: Float64Array.from(px), t: Float64Array.from(pt), slot };
};

export const toRfmData = (rows: Iterable<{ x: number; tx: number; T: number }>): RfmData => {
  const index = new Map<string, number>();
  const x: number[] = [];
  const tx: number[] = [];
  const T: number[] = [];
  const weight: number[] = [];
  let customers = 0;
  for (const r of rows) {
    customers++;
    const key = `${r.x}|${r.tx}|${r.T}`;
    const i = index.get(key);
    if (i !== undefined) weight[i] = weight[i]! + 1;
    else {
      index.set(key, x.length);
      x.push(r.x);
      tx.push(r.tx);
      T.push(r.T);
      weight.push(1);
    }
  }
  const distinctX = [...new Set(x)].sort((p, q) => p - q);
  const slotOf = new Map(distinctX.map((v, i) => [v, i]));
  return {
    x: Float64Array.from(x),
    tx: Float64Array.from(tx),
    T: Float64Array.from(T),
    weight: Float64Array.from(weight),
    customers,
    distinctX: Float64Array.from(distinctX),
    xSlot: Int32Array.from(x, (v) => slotOf.get(v)!),
    atT: distinctPairs(x, T),
    atTx: distinctPairs(x, tx),
  };
};

/**
 * What makes a summary unusable for the frequency models, or undefined: x must be a whole
 * number ≥ 0, 0 ≤ t_x ≤ T, t_x = 0 when x = 0, and someone must have bought again (with no
 * repeat purchase at all the likelihood has no maximum).
 */
export const rfmProblem = (data: RfmData): string | undefined => {
  if (data.customers === 0) return 'there are no customers in the calibration period';
  let repeat = 0;
  for (let i = 0; i < data.x.length; i++) {
    const x = data.x[i]!;
    const tx = data.tx[i]!;
    const T = data.T[i]!;
    if (!(Number.isInteger(x) && x >= 0)) return `frequency ${x} is not a whole number ≥ 0`;
    if (!(tx >= 0 && tx <= T && Number.isFinite(T))) return `recency ${tx} is not within [0, T = ${T}]`;
    if (x === 0 && tx !== 0) return `recency ${tx} of a customer without repeat purchases is not 0`;
    if (x > 0) repeat += data.weight[i]!;
  }
  if (repeat === 0) return 'no customer bought more than once in the calibration period';
  return undefined;
};

/** The mean age T of a cohort: a scale-free starting value for the fits' α and β (weeks or days alike). */
export const meanAge = (data: RfmData): number => {
  let sum = 0;
  for (let i = 0; i < data.T.length; i++) sum += data.weight[i]! * data.T[i]!;
  return Math.max(sum / data.customers, 1e-3);
};
