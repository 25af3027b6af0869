import type { Warehouse } from './warehouse.ts';
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

// Whitelisted grouping expressions (never spliced from input; the zone's offsets are numbers).
const warehouseKey = (by: StatsBy, days: ZoneDays): string =>
  by === 'variant'
    ? "coalesce(m.variant, '')"
    : by === 'channel'
      ? 'm.channel'
      : `strftime(epoch_ms(${SENT_MS} + ${offsetSql(SENT_MS, days)}), '%Y-%m-%d')`;

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

/** The campaign's message counts, converted users and revenue per group, by group key. */
export const messageFactsBy = (
  w: Warehouse,
  campaignId: string,
  by: StatsBy,
  days: ZoneDays,
): Promise<FactGroup[]> =>
  w.query<FactGroup>(
    `WITH m AS (SELECT * FROM (${MESSAGES_CTE('campaign_id = $1')}) m WHERE ${windowSql(SENT_MS, days)}),
     cv AS (SELECT idempotency_key, any_value(user_id) AS user_id, sum(coalesce(revenue, 0)) AS revenue
            FROM conversions WHERE campaign_id = $1 GROUP BY idempotency_key)
     SELECT ${warehouseKey(by, days)} AS k,
       count(*) FILTER (WHERE m.sent) AS sent, count(*) FILTER (WHERE m.delivered) AS delivered,
       count(*) FILTER (WHERE m.failed) AS failed, count(*) FILTER (WHERE m.clicked) AS clicked,
       count(*) FILTER (WHERE m.unknown) AS unknown,
       count(*) FILTER (WHERE m.unsubscribed) AS unsubscribed,
       count(DISTINCT m.user_id) FILTER (WHERE m.sent) AS users,
       count(DISTINCT cv.user_id) AS converted, sum(coalesce(cv.revenue, 0)) AS revenue,
       sum(m.cost) AS cost
     FROM m LEFT JOIN cv ON cv.idempotency_key = m.message_id GROUP BY 1 ORDER BY 1`,
    [campaignId],
  );

/**
 * The campaign's distinct users sent a message and distinct converted users (the other counts read
 * 0). With a window: users sent a message inside it, and users converted by one of those messages.
 */
export const messageTotals = async (
  w: Warehouse,
  campaignId: string,
  days: ZoneDays,
): Promise<FactGroup | undefined> =>
  (
    await w.query<FactGroup>(
      `WITH m AS (SELECT * FROM (${MESSAGES_CTE('campaign_id = $1')}) m
                  WHERE ${windowSql(SENT_MS, days)})
     SELECT 'total' AS k, 0 AS sent, 0 AS delivered, 0 AS failed, 0 AS unknown, 0 AS clicked, 0 AS unsubscribed,
       count(DISTINCT m.user_id) FILTER (WHERE m.sent) AS users,
       ${
         days.window === null
           ? '(SELECT count(DISTINCT user_id) FROM conversions WHERE campaign_id = $1)'
           : '(SELECT count(DISTINCT c.user_id) FROM conversions c WHERE c.campaign_id = $1 AND c.idempotency_key IN (SELECT message_id FROM m))'
       } AS converted,
       0 AS revenue, 0 AS cost FROM m`,
      [campaignId],
    )
  )[0];
