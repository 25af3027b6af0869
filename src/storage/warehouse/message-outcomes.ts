import type { SqlDialect } from '../../core/sql/dialect.ts';
import type { WarehouseSql } from '../warehouse-sql.ts';
import { offsetSql, windowSql, type ZoneDays } from '../zone-days.ts';

/**
 * What happened to a campaign's messages, folded per message from message_facts (one row per
 * thing that happened to a message; a message counts once per status), and grouped by variant,
 * channel or day (of the message's send, in the operator's zone: see zone-days.ts) for the campaign
 * stats (features.md G1). Given a window, only messages sent inside it count.
 */

export type StatsBy = 'variant' | 'channel' | 'day';

// When a message counts as sent, in epoch ms (its send; a message never sent: its first fact).
const SENT_MS = 'epoch_ms(coalesce(m.sent_at, m.first_at))';
const CH_SENT_MS = 'toUnixTimestamp64Milli(coalesce(m.sent_at, m.first_at))';

// Whitelisted grouping expressions (never spliced from input; the zone's offsets are numbers).
const warehouseKey = (by: StatsBy, days: ZoneDays, d: SqlDialect): string =>
  by === 'variant'
    ? "coalesce(m.variant, '')"
    : by === 'channel'
      ? 'm.channel'
      : d.name === 'duckdb'
        ? `strftime(epoch_ms(${SENT_MS} + ${offsetSql(SENT_MS, days)}), '%Y-%m-%d')`
        : `formatDateTime(${d.timeFromMs(`toInt64(${CH_SENT_MS} + ${offsetSql(CH_SENT_MS, days)})`)}, '%Y-%m-%d')`;

/** One group's counts as the warehouse returns them (bigints, decimals or null: decode them). */
export interface FactGroup {
  k: string;
  sent: unknown;
  delivered: unknown;
  failed: unknown;
  unknown: unknown;
  clicked: unknown;
  unsubscribed: unknown;
  users: unknown;
  converted: unknown;
  revenue: unknown;
  cost: unknown;
}

/** The per-message fold of message_facts for some campaigns (a CTE body; `campaignFilter` is SQL over its columns). */
export const MESSAGES_CTE = (campaignFilter: string): string => `
  SELECT message_id, any_value(campaign_id) AS campaign_id, any_value(variant) AS variant,
    any_value(channel) AS channel, any_value(user_id) AS user_id,
    min(ts) FILTER (WHERE status = 'sent') AS sent_at, min(ts) AS first_at,
    bool_or(status = 'sent') AS sent, bool_or(status = 'delivered') AS delivered,
    bool_or(status IN ('failed', 'dead')) AS failed, bool_or(status = 'clicked') AS clicked,
    bool_or(status = 'unknown') AS unknown, bool_or(status = 'unsubscribed') AS unsubscribed,
    min(ts) FILTER (WHERE status = 'unsubscribed') AS unsubscribed_at,
    sum(coalesce(cost, 0)) AS cost
  FROM message_facts WHERE ${campaignFilter} GROUP BY message_id`;

/**
 * MESSAGES_CTE on ClickHouse: `any` skips NULLs as DuckDB's any_value does; the flags are 0/1
 * (usable as conditions); a first time over no matching fact is NULL (toNullable: `minIf` of a
 * plain DateTime64 would answer 1970). The filter runs in a subquery: ClickHouse resolves a
 * column in WHERE to a SELECT alias of the same name (here an aggregate) first.
 */
const CH_MESSAGES_CTE = (campaignFilter: string): string => `
  SELECT message_id, any(campaign_id) AS campaign_id, any(variant) AS variant,
    any(channel) AS channel, any(user_id) AS user_id,
    minIf(toNullable(ts), status = 'sent') AS sent_at, min(ts) AS first_at,
    max(status = 'sent') AS sent, max(status = 'delivered') AS delivered,
    max(status IN ('failed', 'dead')) AS failed, max(status = 'clicked') AS clicked,
    max(status = 'unknown') AS unknown, max(status = 'unsubscribed') AS unsubscribed,
    minIf(toNullable(ts), status = 'unsubscribed') AS unsubscribed_at,
    sum(coalesce(cost, 0)) AS cost
  FROM (SELECT * FROM message_facts WHERE ${campaignFilter}) GROUP BY message_id`;

/** The per-message fold of message_facts in the warehouse's dialect (same columns on both engines). */
export const messagesCte = (d: SqlDialect, campaignFilter: string): string =>
  d.name === 'duckdb' ? MESSAGES_CTE(campaignFilter) : CH_MESSAGES_CTE(campaignFilter);

/** The campaign's message counts, converted users and revenue per group, by group key. */
export const messageFactsBy = (
  w: WarehouseSql,
  campaignId: string,
  by: StatsBy,
  days: ZoneDays,
): Promise<FactGroup[]> =>
  w.dialect.name === 'duckdb'
    ? w.query<FactGroup>(
        `WITH m AS (SELECT * FROM (${MESSAGES_CTE('campaign_id = $1')}) m WHERE ${windowSql(SENT_MS, days)}),
     cv AS (SELECT idempotency_key, any_value(user_id) AS user_id, sum(coalesce(revenue, 0)) AS revenue
            FROM conversions WHERE campaign_id = $1 GROUP BY idempotency_key)
     SELECT ${warehouseKey(by, days, w.dialect)} AS k,
       count(*) FILTER (WHERE m.sent) AS sent, count(*) FILTER (WHERE m.delivered) AS delivered,
       count(*) FILTER (WHERE m.failed) AS failed, count(*) FILTER (WHERE m.clicked) AS clicked,
       count(*) FILTER (WHERE m.unknown) AS unknown,
       count(*) FILTER (WHERE m.unsubscribed) AS unsubscribed,
       count(DISTINCT m.user_id) FILTER (WHERE m.sent) AS users,
       count(DISTINCT cv.user_id) AS converted, sum(coalesce(cv.revenue, 0)) AS revenue,
       sum(m.cost) AS cost
     FROM m LEFT JOIN cv ON cv.idempotency_key = m.message_id GROUP BY 1 ORDER BY 1`,
        [campaignId],
      )
    : // join_use_nulls: a message without a conversion joins NULLs (not '' and 0), which
      // uniqExact skips as DuckDB's count(DISTINCT) does.
      w.query<FactGroup>(
        `WITH m AS (SELECT * FROM (${CH_MESSAGES_CTE('campaign_id = $1')}) m WHERE ${windowSql(CH_SENT_MS, days)}),
     cv AS (SELECT idempotency_key, any(user_id) AS user_id, sum(coalesce(revenue, 0)) AS revenue
            FROM conversions WHERE campaign_id = $1 GROUP BY idempotency_key)
     SELECT ${warehouseKey(by, days, w.dialect)} AS k,
       countIf(m.sent) AS sent, countIf(m.delivered) AS delivered,
       countIf(m.failed) AS failed, countIf(m.clicked) AS clicked,
       countIf(m.unknown) AS unknown, countIf(m.unsubscribed) AS unsubscribed,
       uniqExactIf(m.user_id, m.sent = 1) AS users,
       uniqExact(cv.user_id) AS converted, sum(coalesce(cv.revenue, 0)) AS revenue,
       sum(m.cost) AS cost
     FROM m LEFT JOIN cv ON cv.idempotency_key = m.message_id GROUP BY k ORDER BY k
     SETTINGS join_use_nulls = 1`,
        [campaignId],
      );

/**
 * The campaign's distinct users sent a message and distinct converted users (the other counts read
 * 0). With a window: users sent a message inside it, and users converted by one of those messages.
 */
export const messageTotals = async (
  w: WarehouseSql,
  campaignId: string,
  days: ZoneDays,
): Promise<FactGroup | undefined> =>
  (
    await w.query<FactGroup>(
      w.dialect.name === 'duckdb'
        ? `WITH m AS (SELECT * FROM (${MESSAGES_CTE('campaign_id = $1')}) m
                  WHERE ${windowSql(SENT_MS, days)})
     SELECT 'total' AS k, 0 AS sent, 0 AS delivered, 0 AS failed, 0 AS unknown, 0 AS clicked, 0 AS unsubscribed,
       count(DISTINCT m.user_id) FILTER (WHERE m.sent) AS users,
       ${
         days.window === null
           ? '(SELECT count(DISTINCT user_id) FROM conversions WHERE campaign_id = $1)'
           : '(SELECT count(DISTINCT c.user_id) FROM conversions c WHERE c.campaign_id = $1 AND c.idempotency_key IN (SELECT message_id FROM m))'
       } AS converted,
       0 AS revenue, 0 AS cost FROM m`
        : `WITH m AS (SELECT * FROM (${CH_MESSAGES_CTE('campaign_id = $1')}) m
                  WHERE ${windowSql(CH_SENT_MS, days)})
     SELECT 'total' AS k, 0 AS sent, 0 AS delivered, 0 AS failed, 0 AS unknown, 0 AS clicked, 0 AS unsubscribed,
       uniqExactIf(m.user_id, m.sent = 1) AS users,
       ${
         days.window === null
           ? '(SELECT uniqExact(user_id) FROM conversions WHERE campaign_id = $1)'
           : '(SELECT uniqExact(c.user_id) FROM conversions c WHERE c.campaign_id = $1 AND c.idempotency_key IN (SELECT message_id FROM m))'
       } AS converted,
       0 AS revenue, 0 AS cost FROM m`,
      [campaignId],
    )
  )[0];
