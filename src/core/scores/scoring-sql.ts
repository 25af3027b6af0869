import { eventField } from '../audience/fields.ts';
import { Params, safeJson, type CompiledQuery } from '../sql/params.ts';
import { duckdbDialect, type SqlDialect } from '../sql/dialect.ts';

import type { Bins, ScoreConfig, TierRule } from './config.ts';
import { DAY_MS } from '../time/units.ts';

/**
 * Scoring rules → one parameterised query in the warehouse's dialect (pure; no I/O). The DuckDB
 * text is the reference; on ClickHouse the spellings that differ are chosen in this file (`p.dialect`)
 * so that every row gets the same values (see the comments where they differ). Every value from the
 * configuration (event names, days, edges, tier names) is a bound parameter; the SQL text holds
 * only identifiers and constants of this file. The query returns one row per profile:
 * `user_id, lifecycle_stage, rfm_r, rfm_f, rfm_m, rfm_tier`, evaluated as of `now`
 * (events after `now` are ignored, so "as of T" is the same query with another `now`).
 *
 * Lifecycle (first match wins), with `reg` = register_time, else first_seen (the user's earliest
 * event or identify: every event commit keeps it, so tenure never restarts at a late identify):
 *   churned  no churn event in the last `churn.days` days and registered before that
 *   silent   no activity event in the last `silentDays` days and registered before that
 *   new      registered less than `newDays` days ago
 *   mature   at least `minOrders` order events and registered `minTenureDays` ago
 *   growing  everyone else
 *
 * RFM over purchases (`rfm.event`) in the last `windowDays` days: recency = days since the last
 * one, frequency = how many, monetary = the sum of `rfm.amount`. Each becomes a score 1–5 by
 * four edges, quintiles of the buyers (`quantile_cont`) or fixed: a value above k edges scores
 * 1 + k (recency: fewer days is better, so quantile edges are taken over −recency and fixed edges
 * score 5 − k). Equal values always get equal scores, so recomputing on the same data gives the
 * same scores. Tiers: the first rule whose ranges hold; buyers no rule matches get `otherwise`,
 * users with no purchase in the window get `noPurchase` and no scores.
 */

const QUINTILES = '[0.2, 0.4, 0.6, 0.8]';

/** `event IN ($a, $b, …)` over a column. */
export const eventIn = (p: Params, column: string, events: readonly string[]): string =>
  `${column} IN (${events.map((e) => p.add(e)).join(', ')})`;

/** A numeric event property as SQL over the `events` row `alias` (validated by the config check). */
export const eventNumber = (p: Params, alias: string, property: string): string => {
  const ref = eventField(property);
  if (!ref.ok) throw new Error(`invalid event property '${property}': ${ref.error}`);
  if (ref.value.kind === 'column') return `${alias}.${ref.value.column}`;
  const d = p.dialect;
  if (d.name === 'duckdb')
    return `TRY_CAST(${safeJson('json_extract_string', `${alias}.properties`, p.add(ref.value.path))} AS DOUBLE)`;
  // DuckDB's TRY_CAST of the JSON text: a number (or a numeric text) is read, anything else is NULL.
  const path = d.jsonPath(ref.value.segments, ref.value.path, (v) => p.add(v));
  return `toFloat64OrNull(${d.jsonText(`${alias}.properties`, path)})`;
};

/**
 * `max(ts)` / `count(*)` of the rows where `cond` holds. ClickHouse's -If aggregates answer the
 * type's default (1970-01-01) over no row; a Nullable argument makes that NULL as in DuckDB.
 */
const maxTsWhere = (d: SqlDialect, cond: string): string =>
  d.name === 'duckdb' ? `max(ts) FILTER (WHERE ${cond})` : `maxIf(toNullable(ts), ${cond})`;
const countWhere = (d: SqlDialect, cond: string): string =>
  d.name === 'duckdb' ? `count(*) FILTER (WHERE ${cond})` : `countIf(${cond})`;

/** A boolean as 0/1. */
const asInt = (d: SqlDialect, predicate: string): string =>
  d.name === 'duckdb' ? `(${predicate})::INTEGER` : `toInt32(${predicate})`;

/**
 * What ends a query whose LEFT JOINs test the right side for NULL: ClickHouse fills a missing
 * right row with default values (0, '', 1970) unless told to use NULLs.
 */
export const leftJoinNullsTail = (d: SqlDialect): string =>
  d.name === 'duckdb' ? '' : ' SETTINGS join_use_nulls = 1';

/**
 * The per-user facts the lifecycle needs, as a subquery over `profiles` (alias-free columns
 * `user_id, reg, last_churn, last_active, orders`).
 */
export const lifecycleFactsSql = (p: Params, config: ScoreConfig, now: number): string => {
  const { churn, lifecycle } = config;
  const all = [...new Set([...churn.events, ...lifecycle.activityEvents, lifecycle.mature.orderEvent])];
  const d = p.dialect;
  return (
    `SELECT p.user_id, coalesce(p.register_time, p.first_seen) AS reg, a.last_churn, a.last_active, ` +
    `coalesce(a.orders, 0) AS orders FROM profiles p LEFT JOIN (SELECT user_id, ` +
    `${maxTsWhere(d, eventIn(p, 'event', churn.events))} AS last_churn, ` +
    `${maxTsWhere(d, eventIn(p, 'event', lifecycle.activityEvents))} AS last_active, ` +
    `${countWhere(d, `event = ${p.add(lifecycle.mature.orderEvent)}`)} AS orders ` +
    `FROM events WHERE ts <= ${p.time(now)} AND ${eventIn(p, 'event', all)} GROUP BY user_id) a ` +
    `ON a.user_id = p.user_id`
  );
};

/** Churned as of `now`, over a row with `reg` and `last_churn`. */
export const churnedSql = (p: Params, config: ScoreConfig, now: number, row = ''): string =>
  `greatest(${row}reg, coalesce(${row}last_churn, ${row}reg)) < ${p.time(now - config.churn.days * DAY_MS)}`;

/**
 * The stage a user is in while active (new, growing or mature), judged at the instant `at`
 * (SQL) with `orders` orders by then.
 */
export const baseStageSql = (
  p: Params,
  config: ScoreConfig,
  at: string,
  reg: string,
  orders: string,
): string => {
  const { newDays, mature } = config.lifecycle;
  const tenureMs = `(${p.dialect.msFromTime(at)} - ${p.dialect.msFromTime(reg)})`;
  return (
    `CASE WHEN ${tenureMs} < ${p.add(newDays * DAY_MS)} THEN 'new' ` +
    `WHEN ${orders} >= ${p.add(mature.minOrders)} AND ${tenureMs} >= ${p.add(mature.minTenureDays * DAY_MS)} ` +
    `THEN 'mature' ELSE 'growing' END`
  );
};

/** The lifecycle stage as of `now` over a facts row (see `lifecycleFactsSql`). */
export const stageSql = (p: Params, config: ScoreConfig, now: number, row = ''): string => {
  const silentCut = p.time(now - config.lifecycle.silentDays * DAY_MS);
  return (
    `CASE WHEN ${churnedSql(p, config, now, row)} THEN 'churned' ` +
    `WHEN greatest(${row}reg, coalesce(${row}last_active, ${row}reg)) < ${silentCut} THEN 'silent' ` +
    `ELSE ${baseStageSql(p, config, p.time(now), `${row}reg`, `${row}orders`)} END`
  );
};

/** A score 1–5 of `value` by the bins; `edges` names the quantile list of a one-row CTE. */
const scoreSql = (
  p: Params,
  bins: Bins,
  value: string,
  quantiles: string,
  lowerIsBetter: boolean,
): string => {
  if (bins.type === 'quantile') {
    const v = lowerIsBetter ? `(-${value})` : value;
    return `(1 + ${[1, 2, 3, 4].map((i) => asInt(p.dialect, `${v} > ${quantiles}[${i}]`)).join(' + ')})`;
  }
  const above = bins.edges.map((e) => asInt(p.dialect, `${value} > ${p.add(e)}`)).join(' + ');
  return lowerIsBetter ? `(5 - (${above}))` : `(1 + ${above})`;
};

const rangeSql = (p: Params, value: string, r: { min?: number; max?: number } | undefined): string[] => {
  if (r === undefined) return [];
  const out: string[] = [];
  if (r.min !== undefined) out.push(`${value} >= ${p.add(r.min)}`);
  if (r.max !== undefined) out.push(`${value} <= ${p.add(r.max)}`);
  return out;
};

const tierCondition = (p: Params, t: TierRule): string => {
  const parts = [
    ...rangeSql(p, 'b.r', t.r),
    ...rangeSql(p, 'b.f', t.f),
    ...rangeSql(p, 'b.m', t.m),
    ...rangeSql(p, '(b.r + b.f + b.m)', t.total),
  ];
  return parts.length === 0 ? (p.dialect.name === 'duckdb' ? 'TRUE' : 'true') : parts.join(' AND ');
};

/** The RFM scores of the buyers in the window: `user_id, r, f, m` (plus the raw values). */
export const rfmSql = (p: Params, config: ScoreConfig, now: number): string => {
  const { rfm } = config;
  const nowSql = p.time(now);
  const amount = eventNumber(p, 'e', rfm.amount);
  const d = p.dialect;
  // quantile_cont interpolates linearly between the closest ranks (type R7), as ClickHouse's
  // quantilesExactInclusive does; both answer the four edges as an array indexed from 1.
  const quintiles = (v: string) =>
    d.name === 'duckdb'
      ? `quantile_cont(${v}, ${QUINTILES})`
      : `quantilesExactInclusive(${QUINTILES.slice(1, -1)})(${v})`;
  return (
    `WITH buys AS (SELECT e.user_id${d.name === 'duckdb' ? '' : ' AS user_id'}, ` +
    `(${d.msFromTime(nowSql)} - ${d.msFromTime('max(e.ts)')}) / ${DAY_MS}.0 AS recency_days, ` +
    `count(*) AS frequency, coalesce(sum(${amount}), 0) AS monetary FROM events e ` +
    `WHERE e.event = ${p.add(rfm.event)} AND e.ts <= ${nowSql} AND e.ts >= ${p.time(now - rfm.windowDays * DAY_MS)} ` +
    `GROUP BY e.user_id), ` +
    `q AS (SELECT ${quintiles('-recency_days')} AS r, ${quintiles('frequency')} AS f, ` +
    `${quintiles('monetary')} AS m FROM buys) ` +
    `SELECT buys.user_id, buys.recency_days, buys.frequency, buys.monetary, ` +
    `${scoreSql(p, rfm.bins.recency, 'buys.recency_days', 'q.r', true)} AS r, ` +
    `${scoreSql(p, rfm.bins.frequency, 'buys.frequency', 'q.f', false)} AS f, ` +
    `${scoreSql(p, rfm.bins.monetary, 'buys.monetary', 'q.m', false)} AS m FROM buys CROSS JOIN q`
  );
};

/**
 * Stage, RFM scores and tier of every profile as of `now`:
 * `user_id, lifecycle_stage, rfm_r, rfm_f, rfm_m, rfm_tier`.
 */
export const scoresQuery = (
  config: ScoreConfig,
  now: number,
  dialect: SqlDialect = duckdbDialect,
): CompiledQuery => {
  if (!Number.isFinite(now)) throw new Error('scoresQuery: now must be epoch milliseconds');
  const p = new Params(0, dialect);
  const facts = lifecycleFactsSql(p, config, now);
  const rfm = rfmSql(p, config, now);
  const stage = stageSql(p, config, now, 'f.');
  const tiers = config.rfm.tiers.map((t) => `WHEN ${tierCondition(p, t)} THEN ${p.add(t.name)}`).join(' ');
  const tier =
    `CASE WHEN b.user_id IS NULL THEN ${p.add(config.rfm.noPurchase)} ${tiers} ` +
    `ELSE ${p.add(config.rfm.otherwise)} END`;
  return {
    sql:
      `SELECT f.user_id, ${stage} AS lifecycle_stage, b.r AS rfm_r, b.f AS rfm_f, b.m AS rfm_m, ${tier} AS rfm_tier ` +
      `FROM (${facts}) f LEFT JOIN (${rfm}) b ON b.user_id = f.user_id${leftJoinNullsTail(dialect)}`,
    params: p.values,
  };
};
