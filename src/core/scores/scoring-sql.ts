import { eventField } from '../audience/fields.ts';
import { Params, safeJson, type CompiledQuery } from '../sql/params.ts';

import type { Bins, ScoreConfig, TierRule } from './config.ts';
import { DAY_MS } from '../time/units.ts';

/**
 * Scoring rules → one parameterised DuckDB query (pure; no I/O). Every value from the
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
  return ref.value.kind === 'column'
    ? `${alias}.${ref.value.column}`
    : `TRY_CAST(${safeJson('json_extract_string', `${alias}.properties`, p.add(ref.value.path))} AS DOUBLE)`;
};

/**
 * The per-user facts the lifecycle needs, as a subquery over `profiles` (alias-free columns
 * `user_id, reg, last_churn, last_active, orders`).
 */
export const lifecycleFactsSql = (p: Params, config: ScoreConfig, now: number): string => {
  const { churn, lifecycle } = config;
  const all = [...new Set([...churn.events, ...lifecycle.activityEvents, lifecycle.mature.orderEvent])];
  return (
    `SELECT p.user_id, coalesce(p.register_time, p.first_seen) AS reg, a.last_churn, a.last_active, ` +
    `coalesce(a.orders, 0) AS orders FROM profiles p LEFT JOIN (SELECT user_id, ` +
    `max(ts) FILTER (WHERE ${eventIn(p, 'event', churn.events)}) AS last_churn, ` +
    `max(ts) FILTER (WHERE ${eventIn(p, 'event', lifecycle.activityEvents)}) AS last_active, ` +
    `count(*) FILTER (WHERE event = ${p.add(lifecycle.mature.orderEvent)}) AS orders ` +
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
  const tenureMs = `(epoch_ms(${at}) - epoch_ms(${reg}))`;
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
    return `(1 + ${[1, 2, 3, 4].map((i) => `(${v} > ${quantiles}[${i}])::INTEGER`).join(' + ')})`;
  }
  const above = bins.edges.map((e) => `(${value} > ${p.add(e)})::INTEGER`).join(' + ');
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
  return parts.length === 0 ? 'TRUE' : parts.join(' AND ');
};

/** The RFM scores of the buyers in the window: `user_id, r, f, m` (plus the raw values). */
export const rfmSql = (p: Params, config: ScoreConfig, now: number): string => {
  const { rfm } = config;
  const nowSql = p.time(now);
  const amount = eventNumber(p, 'e', rfm.amount);
  return (
    `WITH buys AS (SELECT e.user_id, (epoch_ms(${nowSql}) - epoch_ms(max(e.ts))) / ${DAY_MS}.0 AS recency_days, ` +
    `count(*) AS frequency, coalesce(sum(${amount}), 0) AS monetary FROM events e ` +
    `WHERE e.event = ${p.add(rfm.event)} AND e.ts <= ${nowSql} AND e.ts >= ${p.time(now - rfm.windowDays * DAY_MS)} ` +
    `GROUP BY e.user_id), ` +
    `q AS (SELECT quantile_cont(-recency_days, ${QUINTILES}) AS r, quantile_cont(frequency, ${QUINTILES}) AS f, ` +
    `quantile_cont(monetary, ${QUINTILES}) AS m FROM buys) ` +
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
export const scoresQuery = (config: ScoreConfig, now: number): CompiledQuery => {
  if (!Number.isFinite(now)) throw new Error('scoresQuery: now must be epoch milliseconds');
  const p = new Params();
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
      `FROM (${facts}) f LEFT JOIN (${rfm}) b ON b.user_id = f.user_id`,
    params: p.values,
  };
};
