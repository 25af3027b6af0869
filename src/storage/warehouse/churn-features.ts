import { ownEventSql } from '../../core/events/system-events.ts';
import type { DuckDBValue } from '@duckdb/node-api';
import type { ChurnDefinition } from '../../core/models/churn/churn-definition.ts';
import { featureMatrix, type FeatureMatrix } from '../../core/models/churn/matrix.ts';
import { timestampValue, Warehouse } from './warehouse.ts';
import { DAY_MS } from '../../core/time/units.ts';
import { duckdbDialect, type SqlDialect } from '../../core/sql/dialect.ts';
import type { SqlParam, WarehouseSql } from '../warehouse-sql.ts';

/**
 * The churn model's features (docs/churn-model.md): a DuckDB feature compiler (each feature an
 * aggregate written as SQL over a user's events, the snapshot query built with bound values) and
 * the warehouse reads that plan and extract them. It lives with the warehouse's statements, not
 * in src/core/ like the audience compiler, because the compiled query binds DuckDB values
 * (`timestampValue`) and is read through the driver's chunk API; src/models/churn/ keeps the
 * training and evaluation that use it.
 */

/**
 * SQL pieces a feature expression is written with. Every value — the cutoff, window starts,
 * event names, channel names — is a bound parameter; expressions only hold SQL text.
 */
export interface FeatureSql {
  /** The cutoff instant (TIMESTAMP): only events strictly before it are seen. */
  readonly cutoff: string;
  /** The instant `days` before the cutoff. */
  since(days: number): string;
  /** A bound value. */
  value(v: string | number): string;
  /** Predicate: event `e` is an order (one of the plan's order events). */
  readonly isOrder: string;
  /**
   * The engine the SQL is written for. The helpers below spell the aggregates for it: ClickHouse
   * answers an aggregate over no rows with the type's default (1970 for a time) where DuckDB
   * answers NULL, so its filtered min/max/avg/sum are the `-IfOrNull` forms.
   */
  readonly engine: SqlDialect['name'];
}

/**
 * One feature: a name and an aggregate over one user's events `e` (columns `event`, `ts`,
 * `amount`) before the cutoff, or, when `perUser`, an expression over the user's profile row
 * `pr` and order statistics row `os` (NULL columns when there is none). NULL results become NaN
 * (missing). Adding a feature is one line here.
 */
export interface FeatureDef {
  readonly name: string;
  readonly description: string;
  readonly sql: (q: FeatureSql) => string;
  /**
   * Read from `pr` and `os` after the events are aggregated: joining them to every event row
   * and picking one value per user cost a hash probe and an aggregate per event (issue 20).
   */
  readonly perUser?: true;
}

/** Epoch milliseconds of a time. */
const msOf = (engine: SqlDialect['name'], t: string): string =>
  engine === 'duckdb' ? `epoch_ms(${t})` : `toUnixTimestamp64Milli(${t})`;
const daysBetween = (q: Pick<FeatureSql, 'engine'>, later: string, earlier: string): string =>
  `(${msOf(q.engine, later)} - ${msOf(q.engine, earlier)}) / ${DAY_MS}.0`;
const countIf = (q: FeatureSql, where: string): string =>
  q.engine === 'duckdb' ? `count(*) FILTER (WHERE ${where})` : `countIf(${where})`;
/** `fn(x)` over the rows where `where` holds; NULL when there is none (as DuckDB answers). */
const aggIf = (q: FeatureSql, fn: 'min' | 'max' | 'sum' | 'avg', x: string, where: string): string =>
  q.engine === 'duckdb' ? `${fn}(${x}) FILTER (WHERE ${where})` : `${fn}IfOrNull(${x}, ${where})`;
const countSince = (q: FeatureSql, days: number, where = 'true'): string =>
  countIf(q, `e.ts >= ${q.since(days)} AND ${where}`);
const countBetween = (q: FeatureSql, from: number, to: number, where = 'true'): string =>
  countIf(q, `e.ts >= ${q.since(from)} AND e.ts < ${q.since(to)} AND ${where}`);
/** log((recent + 1) / (previous + 1)): > 0 when activity grows, < 0 when it fades. */
const trend = (q: FeatureSql, where = 'true'): string =>
  `ln((1 + ${countSince(q, 30, where)}) / (1 + ${countBetween(q, 60, 30, where)}))`;
const activeDays = (q: FeatureSql, days: number): string =>
  q.engine === 'duckdb'
    ? `count(DISTINCT CAST(e.ts AS DATE)) FILTER (WHERE e.ts >= ${q.since(days)})`
    : `uniqExactIf(toDate(e.ts), e.ts >= ${q.since(days)})`;
const amount = (q: FeatureSql, fn: 'sum' | 'avg' | 'max', days: number): string => {
  const agg = aggIf(q, fn, 'e.amount', `${q.isOrder} AND e.ts >= ${q.since(days)}`);
  return fn === 'sum' ? `coalesce(${agg}, 0)` : agg;
};
const lastOrder = (q: FeatureSql) => aggIf(q, 'max', 'e.ts', q.isOrder);
const firstOrder = (q: FeatureSql) => aggIf(q, 'min', 'e.ts', q.isOrder);
const orderCount = (q: FeatureSql) => countIf(q, q.isOrder);
const orderInterval = (q: FeatureSql) =>
  `${daysBetween(q, lastOrder(q), firstOrder(q))} / nullif(${orderCount(q)} - 1, 0)`;

/** Activity of any kind. */
export const ACTIVITY_FEATURES: readonly FeatureDef[] = [
  { name: 'events_7d', description: 'events in the 7 days before the cutoff', sql: (q) => countSince(q, 7) },
  {
    name: 'events_30d',
    description: 'events in the 30 days before the cutoff',
    sql: (q) => countSince(q, 30),
  },
  {
    name: 'events_90d',
    description: 'events in the 90 days before the cutoff',
    sql: (q) => countSince(q, 90),
  },
  { name: 'events_total', description: 'events ever before the cutoff', sql: () => 'count(*)' },
  {
    name: 'events_trend_30d',
    description: 'log((events in the last 30 days + 1) / (events in the 30 days before those + 1))',
    sql: (q) => trend(q),
  },
  {
    name: 'active_days_30d',
    description: 'days with an event among the last 30',
    sql: (q) => activeDays(q, 30),
  },
  {
    name: 'active_days_90d',
    description: 'days with an event among the last 90',
    sql: (q) => activeDays(q, 90),
  },
  {
    name: 'days_since_last_event',
    description: 'days from the last event to the cutoff (recency)',
    sql: (q) => daysBetween(q, q.cutoff, 'max(e.ts)'),
  },
  {
    name: 'tenure_days',
    description: 'days from the first event to the cutoff',
    sql: (q) => daysBetween(q, q.cutoff, 'min(e.ts)'),
  },
];

/** Orders and money (features.md B3/B6: order history, monetary value). */
export const ORDER_FEATURES: readonly FeatureDef[] = [
  { name: 'orders_total', description: 'orders ever before the cutoff', sql: (q) => orderCount(q) },
  {
    name: 'orders_90d',
    description: 'orders in the 90 days before the cutoff',
    sql: (q) => countSince(q, 90, q.isOrder),
  },
  {
    name: 'days_since_last_order',
    description: 'days from the last order to the cutoff (missing: never ordered)',
    sql: (q) => daysBetween(q, q.cutoff, lastOrder(q)),
  },
  {
    name: 'order_interval_days',
    description: 'mean days between orders (missing: fewer than two orders)',
    sql: (q) => orderInterval(q),
  },
  {
    name: 'order_recency_ratio',
    description: 'days since the last order divided by the mean interval between orders',
    sql: (q) => `${daysBetween(q, q.cutoff, lastOrder(q))} / nullif(${orderInterval(q)}, 0)`,
  },
  { name: 'amount_sum_90d', description: 'order amount in 90 days', sql: (q) => amount(q, 'sum', 90) },
  { name: 'amount_avg_90d', description: 'mean order amount in 90 days', sql: (q) => amount(q, 'avg', 90) },
  {
    name: 'amount_max_90d',
    description: 'largest order amount in 90 days',
    sql: (q) => amount(q, 'max', 90),
  },
  { name: 'amount_sum_365d', description: 'order amount in 365 days', sql: (q) => amount(q, 'sum', 365) },
  {
    name: 'amount_avg_365d',
    description: 'mean order amount in 365 days',
    sql: (q) => amount(q, 'avg', 365),
  },
  {
    name: 'amount_max_365d',
    description: 'largest order amount in 365 days',
    sql: (q) => amount(q, 'max', 365),
  },
];

/**
 * Order-level statistics per user (the `os` row of the snapshot query, NULL without orders):
 * order events are grouped into orders by `order_id`, or by user and UTC day when there is none,
 * so a line-item log counts one order per basket, not one per line.
 */
const os = (_q: FeatureSql, column: string) => `os.${column}`;
const signedLog = (x: string) => `sign(${x}) * ln(1 + abs(${x}))`;
/**
 * `greatest(x, 0)` of a possibly NULL x: DuckDB skips the NULL (0); older ClickHouse servers
 * answer NULL, so ClickHouse replaces it first.
 */
const atLeastZero = (q: FeatureSql, x: string) =>
  q.engine === 'duckdb' ? `greatest(${x}, 0)` : `greatest(coalesce(${x}, 0), 0)`;
/** Days from the last order to the cutoff. */
const orderRecency = (q: FeatureSql) => daysBetween(q, q.cutoff, os(q, 'last_ts'));

/**
 * Features relative to each customer's own buying cadence (docs/churn-model.md): how overdue the
 * next order is against the customer's usual interval, and whether intervals and basket values
 * are growing. Plans with `cadence` (every plan chosen since format 2) carry them.
 */
export const CADENCE_FEATURES: readonly FeatureDef[] = [
  {
    perUser: true,
    name: 'order_count',
    description: 'orders (grouped by order id, else by day) before the cutoff',
    sql: (q) => `coalesce(${os(q, 'n')}, 0)`,
  },
  {
    perUser: true,
    name: 'order_count_log',
    description: 'ln(1 + orders)',
    sql: (q) => `ln(1 + coalesce(${os(q, 'n')}, 0))`,
  },
  {
    // The interval features are missing for one-order customers; the regression reads a missing
    // value as the mean, so it needs this to tell "no interval yet" apart.
    perUser: true,
    name: 'repeat_buyer',
    description: '1 when the customer has two orders or more',
    sql: (q) => `CAST(coalesce(${os(q, 'n')}, 0) >= 2 AS DOUBLE)`,
  },
  {
    perUser: true,
    name: 'order_recency_log',
    description: 'ln(1 + days since the last order)',
    sql: (q) => `ln(1 + ${orderRecency(q)})`,
  },
  {
    perUser: true,
    name: 'order_age_log',
    description: 'ln(1 + days from the first order to the cutoff)',
    sql: (q) => `ln(1 + ${daysBetween(q, q.cutoff, os(q, 'first_ts'))})`,
  },
  {
    perUser: true,
    name: 'orders_per_30d',
    description: 'orders per 30 days since the first order',
    sql: (q) => `${os(q, 'n')} * 30.0 / (30.0 + ${daysBetween(q, q.cutoff, os(q, 'first_ts'))})`,
  },
  // Intervals and values in logs: heavy-tailed in days and money, and the regression is linear in
  // what it is given (the trees do not care).
  ...(['mean', 'median', 'last', 'max'] as const).map((stat): FeatureDef => ({
    perUser: true,
    name: `order_gap_${stat}_log`,
    description: `ln(1 + ${stat} days between consecutive orders) (missing: one order)`,
    sql: (q) => `ln(1 + ${os(q, `gap_${stat}`)})`,
  })),
  {
    perUser: true,
    name: 'order_gap_cv',
    description:
      'standard deviation ÷ mean of the intervals: how regular the customer is (missing: < 3 orders)',
    sql: (q) => `${os(q, 'gap_std')} / nullif(${os(q, 'gap_mean')}, 0)`,
  },
  {
    perUser: true,
    name: 'order_gap_trend',
    description: 'ln((1 + last interval) / (1 + mean interval)): > 0 when the customer slows down',
    sql: (q) => `ln((1 + ${os(q, 'gap_last')}) / (1 + ${os(q, 'gap_mean')}))`,
  },
  {
    perUser: true,
    name: 'order_gap_slope',
    description: 'slope of the intervals over the order number (days per order), as sign · ln(1 + |slope|)',
    sql: (q) => signedLog(os(q, 'gap_slope')),
  },
  {
    perUser: true,
    name: 'overdue_vs_median_log',
    description: 'ln((1 + days since the last order) / (1 + median interval)): > 0 when later than usual',
    sql: (q) => `ln((1 + ${orderRecency(q)}) / (1 + ${os(q, 'gap_median')}))`,
  },
  {
    perUser: true,
    name: 'overdue_vs_mean_log',
    description: 'ln((1 + days since the last order) / (1 + mean interval))',
    sql: (q) => `ln((1 + ${orderRecency(q)}) / (1 + ${os(q, 'gap_mean')}))`,
  },
  {
    perUser: true,
    name: 'overdue_vs_longest_log',
    description: 'ln((1 + days since the last order) / (1 + longest interval)): > 0 when longer than ever',
    sql: (q) => `ln((1 + ${orderRecency(q)}) / (1 + ${os(q, 'gap_max')}))`,
  },
  {
    perUser: true,
    name: 'overdue_share',
    description:
      "share of the customer's own intervals shorter than the current wait, (k + ½) / (n + 1): an empirical probability of being overdue",
    sql: (q) => `(${os(q, 'gap_below')} + 0.5) / (1.0 + ${os(q, 'gap_n')})`,
  },
  {
    perUser: true,
    name: 'overdue_poisson',
    description:
      '1 − exp(−days since the last order ÷ mean interval): chance of an order by now at the usual rate',
    sql: (q) => `1 - exp(-${orderRecency(q)} / nullif(${os(q, 'gap_mean')}, 0))`,
  },
  {
    perUser: true,
    name: 'order_value_mean_log',
    description: 'ln(1 + mean order value)',
    sql: (q) => `ln(1 + ${atLeastZero(q, os(q, 'value_mean'))})`,
  },
  {
    perUser: true,
    name: 'order_value_trend',
    description: 'ln((1 + last order value) / (1 + mean order value))',
    sql: (q) =>
      `ln((1 + ${atLeastZero(q, os(q, 'value_last'))}) / (1 + ${atLeastZero(q, os(q, 'value_mean'))}))`,
  },
  {
    perUser: true,
    name: 'order_value_slope',
    description: 'slope of order value over the order number, as sign · ln(1 + |slope|)',
    sql: (q) => signedLog(os(q, 'value_slope')),
  },
];

/**
 * The ordinary RFM / tenure / inter-purchase features (activity and order features, without
 * the cadence ones): what the benchmark's peers are trained on.
 */
export const ORDINARY_FEATURE_NAMES: readonly string[] = [...ACTIVITY_FEATURES, ...ORDER_FEATURES].map(
  (f) => f.name,
);

/** Counts of one event type in 7/30/90 days and its 30-day trend. */
export const eventTypeFeatures = (event: string, slug: string): FeatureDef[] => {
  const is = (q: FeatureSql) => `e.event = ${q.value(event)}`;
  return [
    ...[7, 30, 90].map((days): FeatureDef => ({
      name: `${slug}_${days}d`,
      description: `'${event}' events in the ${days} days before the cutoff`,
      sql: (q) => countSince(q, days, is(q)),
    })),
    {
      name: `${slug}_trend_30d`,
      description: `log((last 30 days' '${event}' events + 1) / (previous 30 days' + 1))`,
      sql: (q) => trend(q, is(q)),
    },
  ];
};

/** Profile features: static attributes only (current balances would leak what happened after a past cutoff). */
export const channelFeature = (channel: string, slug: string): FeatureDef => ({
  name: `channel_${slug}`,
  description: `1 when the acquisition channel is '${channel}'`,
  sql: (q) => `coalesce(pr.acquisition_channel = ${q.value(channel)}, false)`,
  perUser: true,
});

export const REGISTER_FEATURE: FeatureDef = {
  name: 'days_since_register',
  description: 'days from register_time to the cutoff (missing: unknown)',
  sql: (q) => daysBetween(q, q.cutoff, 'pr.register_time'),
  perUser: true,
};

/** The features of one model: fixed before training so training and scoring see the same columns. */
export interface FeaturePlan {
  readonly features: readonly FeatureDef[];
  readonly orderEvents: readonly string[];
  readonly usesProfiles: boolean;
  /** Whether a feature reads the order-level statistics (`os`). */
  readonly usesOrderStats: boolean;
}

const NAME = /^[a-z][a-z0-9_]{0,62}$/;
const RESERVED = new Set(['user_id', 'churned']);

/** A lower-case identifier for a free-text name, unique among `taken`. */
export const slugFor = (text: string, taken: Set<string>): string => {
  const base =
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 40) || 'x';
  const start = /^[a-z]/.test(base) ? base : `e_${base}`;
  let slug = start;
  for (let k = 2; taken.has(slug); k++) slug = `${start}_${k}`;
  taken.add(slug);
  return slug;
};

export const makePlan = (features: readonly FeatureDef[], orderEvents: readonly string[]): FeaturePlan => {
  const seen = new Set<string>();
  for (const f of features) {
    if (!NAME.test(f.name) || RESERVED.has(f.name)) throw new Error(`invalid feature name '${f.name}'`);
    if (seen.has(f.name)) throw new Error(`feature '${f.name}' is defined twice`);
    seen.add(f.name);
  }
  if (orderEvents.length === 0) throw new Error('at least one order event is needed');
  return {
    features,
    orderEvents,
    usesProfiles: features.some((f) => /\bpr\./.test(f.sql(probeSql))),
    usesOrderStats: features.some((f) => /\bos\./.test(f.sql(probeSql))),
  };
};

const probeSql: FeatureSql = {
  cutoff: '$0',
  since: () => '$0',
  value: () => '$0',
  isOrder: 'true',
  engine: 'duckdb',
};

export interface PlanOptions {
  /** Event names are read from events before this instant (the latest cutoff the plan will be used at). */
  cutoff: number;
  orderEvents?: readonly string[];
  /** Event types with their own counts (the most frequent ones). */
  maxEventTypes?: number;
  maxChannels?: number;
}

/**
 * What a plan was chosen from, as data: a stored model keeps it and rebuilds exactly the same
 * features (names, order, SQL) when it scores later (`planFromSpec`).
 */
export interface FeaturePlanSpec {
  orderEvents: string[];
  /** Event types with their own counts, and the slug their feature names start with. */
  eventTypes: { event: string; slug: string }[];
  /** Acquisition channels with a one-hot feature (`channel_<slug>`). */
  channels: { channel: string; slug: string }[];
  /** Whether `days_since_register` is a feature. */
  register: boolean;
  /**
   * Whether the cadence features (CADENCE_FEATURES) follow the order features. Absent in specs
   * stored before them, whose models keep exactly the features they were trained on.
   */
  cadence?: boolean;
}

/** The plan of a spec: the same features, in the same order, as `planFeatures` chose them. */
export const planFromSpec = (spec: FeaturePlanSpec): FeaturePlan => {
  const features: FeatureDef[] = [
    ...ACTIVITY_FEATURES,
    ...ORDER_FEATURES,
    ...(spec.cadence === true ? CADENCE_FEATURES : []),
  ];
  const taken = new Set(features.map((f) => f.name));
  for (const { event, slug } of spec.eventTypes) {
    taken.add(slug);
    for (const f of eventTypeFeatures(event, slug)) {
      if (taken.has(f.name)) continue;
      taken.add(f.name);
      features.push(f);
    }
  }
  for (const { channel, slug } of spec.channels) {
    const f = channelFeature(channel, slug);
    taken.add(f.name);
    features.push(f);
  }
  if (spec.register) features.push(REGISTER_FEATURE);
  return makePlan(features, spec.orderEvents);
};

/**
 * Chooses the features for a warehouse: activity and order features always, per-type counts
 * for its most frequent event types (when there is more than one type), and acquisition
 * channel one-hots and time since registration when profiles carry them.
 */
export const planFeatureSpec = async (wh: WarehouseSql, options: PlanOptions): Promise<FeaturePlanSpec> => {
  const orderEvents = [...(options.orderEvents ?? ['order'])];
  const taken = new Set([...ACTIVITY_FEATURES, ...ORDER_FEATURES, ...CADENCE_FEATURES].map((f) => f.name));
  const duck = wh.dialect.name === 'duckdb';
  // DuckDB reads the ISO text as a TIMESTAMP; ClickHouse compares times with times.
  const types = await wh.query<{ event: string }>(
    `SELECT event FROM events ev WHERE ts < ${duck ? '$1' : wh.dialect.timeFromMs('$1')} AND ${ownEventSql('ev')} GROUP BY event ORDER BY count(*) DESC, event LIMIT $2`,
    [
      duck ? new Date(options.cutoff).toISOString() : options.cutoff,
      Math.max(0, Math.floor(options.maxEventTypes ?? 12)),
    ],
  );
  const eventTypes: FeaturePlanSpec['eventTypes'] = [];
  if (types.length > 1) {
    for (const { event } of types) {
      const slug = slugFor(event, taken);
      eventTypes.push({ event, slug });
      for (const f of eventTypeFeatures(event, slug)) taken.add(f.name);
    }
  }
  const rows = await wh.query<{ c: string }>(
    `SELECT acquisition_channel AS c FROM profiles WHERE acquisition_channel IS NOT NULL
     GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT $1`,
    [Math.max(0, Math.floor(options.maxChannels ?? 12))],
  );
  const channels = rows.map(({ c }) => {
    const slug = slugFor(c, taken);
    taken.add(`channel_${slug}`);
    return { channel: c, slug };
  });
  const registered = Number(await wh.scalar('SELECT count(register_time) FROM profiles'));
  return { orderEvents, eventTypes, channels, register: registered > 0, cadence: true };
};

export const planFeatures = async (wh: WarehouseSql, options: PlanOptions): Promise<FeaturePlan> =>
  planFromSpec(await planFeatureSpec(wh, options));

/** Bound parameters in order; `$n` refers to the n-th. */
class Binder<V> {
  readonly values: V[] = [];
  private readonly memo = new Map<string, string>();

  bind(key: string, v: V): string {
    const known = this.memo.get(key);
    if (known) return known;
    this.values.push(v);
    const ref = `$${this.values.length}`;
    this.memo.set(key, ref);
    return ref;
  }
}

const inList = <V>(b: Binder<V | string>, column: string, events: readonly string[]): string =>
  `${column} IN (${events.map((e) => b.bind(`s:${e}`, e)).join(', ')})`;

/**
 * The CTEs of the order-level statistics on ClickHouse, with DuckDB's meaning: ClickHouse has no
 * `lag` (lagInFrame of a Nullable gives NULL before the first row), no exact `median`
 * (quantileExactInclusive interpolates as DuckDB's does) and no `regr_slope` (cov_pop / var_pop
 * over the pairs with a value, NULL when x does not vary, as DuckDB's). Its aggregates answer
 * NaN where DuckDB's answer NULL (a sample deviation of one value): written out as NULL. Its
 * aliases shadow columns inside the same SELECT, so `ord` names its aggregates apart first.
 */
const clickHouseOrderStats = (orderIn: string, cut: string): string[] => {
  const day = `${DAY_MS}.0`;
  const ms = (t: string) => `toUnixTimestamp64Milli(${t})`;
  const slope = (y: string) =>
    `if(varPopStableIf(k, ${y} IS NOT NULL) = 0, NULL, covarPopStable(k, ${y}) / varPopStableIf(k, ${y} IS NOT NULL))`;
  return [
    `ord AS (SELECT user_id, ord_ts AS ts, ord_amount AS amount FROM (
              SELECT user_id, min(ts) AS ord_ts, sum(coalesce(amount, 0)) AS ord_amount FROM hist
              WHERE ${orderIn}
              GROUP BY user_id, coalesce(order_id, formatDateTime(ts, '%Y-%m-%d'))))`,
    `ordseq AS (SELECT user_id, ts, amount,
              (${ms('ts')} - ${ms('lagInFrame(toNullable(ts)) OVER (PARTITION BY user_id ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)')}) / ${day} AS gap,
              row_number() OVER (PARTITION BY user_id ORDER BY ts) AS k,
              row_number() OVER (PARTITION BY user_id ORDER BY ts DESC) AS back,
              (${ms(cut)} - ${ms('max(ts) OVER (PARTITION BY user_id)')}) / ${day} AS wait
              FROM ord)`,
    `os AS (SELECT user_id, count(*) AS n, min(ts) AS first_ts, max(ts) AS last_ts,
              avg(gap) AS gap_mean, quantileExactInclusive(0.5)(gap) AS gap_median,
              if(count(gap) < 2, NULL, stddevSampStable(gap)) AS gap_std,
              max(gap) AS gap_max, count(gap) AS gap_n,
              countIf(gap IS NOT NULL AND gap < wait) AS gap_below,
              maxIf(gap, back = 1) AS gap_last,
              ${slope('gap')} AS gap_slope,
              avg(amount) AS value_mean,
              maxIf(amount, back = 1) AS value_last,
              ${slope('amount')} AS value_slope
              FROM ordseq GROUP BY user_id)`,
  ];
};

/**
 * The feature snapshot's SQL for either engine. DuckDB binds times as TIMESTAMP values (its text
 * is unchanged by the ClickHouse port); ClickHouse binds epoch milliseconds and converts them.
 */
const buildFeatureQuery = <V>(
  dialect: SqlDialect,
  time: (ms: number) => V,
  plan: FeaturePlan,
  cutoff: number,
  population: Pick<ChurnDefinition, 'activeDays' | 'activityEvents'>,
  label?: Pick<ChurnDefinition, 'horizonDays' | 'retentionEvents'>,
): { sql: string; values: (V | string | number)[] } => {
  const engine = dialect.name;
  const b = new Binder<V | string | number>();
  const bindTime = (key: string, ms: number) =>
    engine === 'duckdb' ? b.bind(key, time(ms)) : dialect.timeFromMs(b.bind(key, ms));
  const cut = bindTime('cutoff', cutoff);
  const since = (days: number) => bindTime(`since:${days}`, cutoff - days * DAY_MS);
  const q: FeatureSql = {
    cutoff: cut,
    since,
    value: (v) => b.bind(`${typeof v}:${v}`, v),
    isOrder: `(${inList(b, 'e.event', plan.orderEvents)})`,
    engine,
  };
  // ClickHouse's CAST to a non-Nullable type fails on NULL; toFloat64 keeps it. DuckDB answers
  // a missing value as NaN, which is what the matrix holds for it anyway: a column without NULLs
  // has no validity mask, so the driver reads each cell without a BigInt bit test (about 4 times
  // as fast, and `churn train` reads tens of millions of cells; issue 20).
  const column = (f: FeatureDef) =>
    engine === 'duckdb'
      ? `coalesce(CAST((${f.sql(q)}) AS DOUBLE), 'NaN'::DOUBLE) AS "${f.name}"`
      : `toFloat64(${f.sql(q)}) AS "${f.name}"`;
  const perEvent = plan.features.filter((f) => f.perUser !== true);
  // The plan's order: event aggregates from `a`, the rest over the user's joined rows.
  const columns = plan.features.map((f) => (f.perUser === true ? column(f) : `a."${f.name}" AS "${f.name}"`));
  const active = [
    `ts < ${cut}`,
    ...(population.activeDays > 0 ? [`ts >= ${since(population.activeDays)}`] : []),
    ...(population.activityEvents ? [inList(b, 'event', population.activityEvents)] : []),
  ];
  const ctes = [
    `pop AS (SELECT DISTINCT user_id FROM events ev WHERE ${active.join(' AND ')} AND ${ownEventSql('ev')})`,
    `hist AS (SELECT user_id, event, ts, amount, order_id FROM events ev
              WHERE ts < ${cut} AND ${ownEventSql('ev')} AND user_id IN (SELECT user_id FROM pop))`,
  ];
  if (plan.usesOrderStats && engine === 'clickhouse') {
    ctes.push(...clickHouseOrderStats(inList(b, 'event', plan.orderEvents), cut));
  } else if (plan.usesOrderStats) {
    const day = `${DAY_MS}.0`;
    ctes.push(
      // One row per order: the order id when the event has one, else the user's UTC day.
      `ord AS (SELECT user_id, min(ts) AS ts, sum(coalesce(amount, 0)) AS amount FROM hist
              WHERE ${inList(b, 'event', plan.orderEvents)}
              GROUP BY user_id, coalesce(order_id, strftime(ts, '%Y-%m-%d')))`,
      `ordseq AS (SELECT user_id, ts, amount,
              (epoch_ms(ts) - epoch_ms(lag(ts) OVER (PARTITION BY user_id ORDER BY ts))) / ${day} AS gap,
              row_number() OVER (PARTITION BY user_id ORDER BY ts) AS k,
              row_number() OVER (PARTITION BY user_id ORDER BY ts DESC) AS back,
              (epoch_ms(${cut}) - epoch_ms(max(ts) OVER (PARTITION BY user_id))) / ${day} AS wait
              FROM ord)`,
      `os AS (SELECT user_id, count(*) AS n, min(ts) AS first_ts, max(ts) AS last_ts,
              avg(gap) AS gap_mean, median(gap) AS gap_median, stddev_samp(gap) AS gap_std,
              max(gap) AS gap_max, count(gap) AS gap_n,
              count(gap) FILTER (WHERE gap < wait) AS gap_below,
              max(gap) FILTER (WHERE back = 1) AS gap_last,
              regr_slope(gap, k) AS gap_slope,
              avg(amount) AS value_mean,
              max(amount) FILTER (WHERE back = 1) AS value_last,
              regr_slope(amount, k) AS value_slope
              FROM ordseq GROUP BY user_id)`,
    );
  }
  if (label) {
    const end = bindTime('labels-until', cutoff + label.horizonDays * DAY_MS);
    const kept = [
      `ts >= ${cut}`,
      `ts < ${end}`,
      ...(label.retentionEvents ? [inList(b, 'event', label.retentionEvents)] : []),
    ];
    ctes.push(
      `fut AS (SELECT DISTINCT user_id FROM events ev WHERE ${kept.join(' AND ')} AND ${ownEventSql('ev')})`,
    );
  }
  const profileJoin = [
    plan.usesProfiles ? 'LEFT JOIN profiles pr ON pr.user_id = a.user_id' : '',
    plan.usesOrderStats ? 'LEFT JOIN os ON os.user_id = a.user_id' : '',
  ].join(' ');
  // ClickHouse names an unaliased `e.user_id` column so, not `user_id`.
  const aggregated = `SELECT e.user_id AS user_id${perEvent.map((f) => `, ${column(f)}`).join('')}
  FROM hist e
  GROUP BY e.user_id`;
  const inner = `SELECT a.user_id AS user_id, ${columns.join(',\n       ')}
  FROM (${aggregated}) a ${profileJoin}`;
  // ClickHouse fills a missing right row of a LEFT JOIN with defaults ('' and 0) unless told to
  // use NULLs: no profile, no orders and no future event must read as NULL, as in DuckDB.
  const tail = engine === 'duckdb' ? '' : '\nSETTINGS join_use_nulls = 1';
  const sql = label
    ? `WITH ${ctes.join(',\n')}
SELECT f.*, fut.user_id IS NULL AS churned FROM (${inner}) f LEFT JOIN fut ON fut.user_id = f.user_id
ORDER BY f.user_id${tail}`
    : `WITH ${ctes.join(',\n')}
SELECT f.* FROM (${inner}) f ORDER BY f.user_id${tail}`;
  return { sql, values: b.values };
};

/** The SQL of a feature snapshot at `cutoff` and its parameters (exported for inspection and tests). */
export const featureQuery = (
  plan: FeaturePlan,
  cutoff: number,
  population: Pick<ChurnDefinition, 'activeDays' | 'activityEvents'>,
  label?: Pick<ChurnDefinition, 'horizonDays' | 'retentionEvents'>,
): { sql: string; values: DuckDBValue[] } =>
  buildFeatureQuery<DuckDBValue>(duckdbDialect, timestampValue, plan, cutoff, population, label);

/** `featureQuery` in a dialect's SQL, with plain values (times as epoch ms on ClickHouse). */
export const featureQueryFor = (
  dialect: SqlDialect,
  plan: FeaturePlan,
  cutoff: number,
  population: Pick<ChurnDefinition, 'activeDays' | 'activityEvents'>,
  label?: Pick<ChurnDefinition, 'horizonDays' | 'retentionEvents'>,
): { sql: string; values: SqlParam[] } =>
  buildFeatureQuery<SqlParam>(dialect, (ms) => new Date(ms).toISOString(), plan, cutoff, population, label);

/** Features (and labels, when asked) of the eligible users at one cutoff, ordered by user id. */
export interface FeatureSnapshot {
  cutoff: number;
  userIds: string[];
  names: string[];
  x: FeatureMatrix;
  /** 1 = churned (no retention event in the horizon after the cutoff). */
  y?: Uint8Array;
}

interface SnapshotOptions {
  cutoff: number;
  population: Pick<ChurnDefinition, 'activeDays' | 'activityEvents'>;
  label?: Pick<ChurnDefinition, 'horizonDays' | 'retentionEvents'>;
}

/**
 * Runs the feature query at `cutoff` into a row-major Float64Array (NULL → NaN). On DuckDB it
 * reads chunk by chunk through the driver (no object per row: `churn train` reads every user at
 * every cutoff); on ClickHouse it reads the rows the seam answers.
 */
export const extractFeatures = async (
  wh: WarehouseSql,
  plan: FeaturePlan,
  options: SnapshotOptions,
): Promise<FeatureSnapshot> => {
  if (wh instanceof Warehouse) return extractDuckDbFeatures(wh, plan, options);
  const { sql, values } = featureQueryFor(
    wh.dialect,
    plan,
    options.cutoff,
    options.population,
    options.label,
  );
  const names = plan.features.map((f) => f.name);
  const d = names.length;
  const rows = await wh.query(sql, values);
  const userIds: string[] = [];
  const values64 = new Float64Array(rows.length * d);
  const labels = new Uint8Array(rows.length);
  rows.forEach((row, r) => {
    userIds.push(String(row['user_id']));
    for (let j = 0; j < d; j++) {
      const item = row[names[j] as string];
      values64[r * d + j] = typeof item === 'number' ? item : NaN;
    }
    // ClickHouse answers a predicate as 1/0.
    const churned = row['churned'];
    labels[r] = churned === true || churned === 1 ? 1 : 0;
  });
  return {
    cutoff: options.cutoff,
    userIds,
    names,
    x: featureMatrix(userIds.length, d, values64),
    ...(options.label ? { y: labels } : {}),
  };
};

const extractDuckDbFeatures = async (
  wh: Warehouse,
  plan: FeaturePlan,
  options: SnapshotOptions,
): Promise<FeatureSnapshot> => {
  const { sql, values } = featureQuery(plan, options.cutoff, options.population, options.label);
  const d = plan.features.length;
  const conn = await wh.connect();
  const userIds: string[] = [];
  const pieces: Float64Array[] = [];
  const labels: number[] = [];
  try {
    const result = await conn.stream(sql, values);
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const rc = chunk.rowCount;
      const piece = new Float64Array(rc * d);
      const ids = chunk.getColumnVector(0);
      for (let r = 0; r < rc; r++) userIds.push(String(ids.getItem(r)));
      for (let j = 0; j < d; j++) {
        const v = chunk.getColumnVector(j + 1);
        for (let r = 0; r < rc; r++) {
          const item = v.getItem(r);
          piece[r * d + j] = typeof item === 'number' ? item : NaN;
        }
      }
      if (options.label) {
        const v = chunk.getColumnVector(d + 1);
        for (let r = 0; r < rc; r++) labels.push(v.getItem(r) === true ? 1 : 0);
      }
      pieces.push(piece);
    }
  } finally {
    conn.closeSync();
  }
  const values64 = new Float64Array(userIds.length * d);
  let at = 0;
  for (const p of pieces) {
    values64.set(p, at);
    at += p.length;
  }
  return {
    cutoff: options.cutoff,
    userIds,
    names: plan.features.map((f) => f.name),
    x: featureMatrix(userIds.length, d, values64),
    ...(options.label ? { y: Uint8Array.from(labels) } : {}),
  };
};
