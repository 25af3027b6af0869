import type { Actor } from '../core/auth/roles.ts';
import { ok } from '../core/result.ts';
import type { Outcome } from '../core/service-failure.ts';
import { readableCampaign, type ReportsContext } from './context.ts';
import { num, ratio, yuan } from './sql.ts';

/**
 * Campaign stats (features.md G1): per variant, channel or day (UTC, of the message's send), every
 * figure of the campaign's messages. Message figures come from the warehouse's message_facts
 * (one row per thing that happened to a message; a message counts once per status), conversions
 * from `conversions`, planned messages and offer costs from the control plane's outbox and
 * offers_issued. Money in yuan. See docs/reports.md.
 */

export type StatsBy = 'variant' | 'channel' | 'day';

export interface StatsRow {
  key: string;
  planned: number;
  sent: number;
  delivered: number;
  /** Failed receipts and messages given up (dead). */
  failed: number;
  /**
   * Messages whose send a crash interrupted at a provider that does not de-duplicate: not sent
   * again, so they may or may not have reached the user.
   */
  unknown: number;
  clicked: number;
  /** clicked / sent. */
  ctr: number | null;
  /** Distinct users sent a message. */
  users: number;
  convertedUsers: number;
  /** convertedUsers / users. */
  conversionRate: number | null;
  unsubscribes: number;
  messageCost: number;
  offerCost: number;
  cost: number;
  revenue: number;
  /** (revenue − cost) / cost; null without cost. */
  roi: number | null;
}

// Whitelisted grouping expressions (never spliced from input).
const WAREHOUSE_KEY: Record<StatsBy, string> = {
  variant: "coalesce(m.variant, '')",
  channel: 'm.channel',
  day: "strftime(coalesce(m.sent_at, m.first_at), '%Y-%m-%d')",
};
const CONTROL_KEY: Record<StatsBy, string> = {
  variant: "coalesce(b.variant, '')",
  channel: 'b.channel',
  day: "to_char(b.send_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
};

interface FactGroup {
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

/** The per-message fold of message_facts for some campaigns (a CTE body, campaign list in `$1`). */
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

export const campaignStats = async (
  ctx: ReportsContext,
  actor: Actor,
  campaignId: string,
  by: StatsBy,
): Outcome<{ campaignId: string; by: StatsBy; rows: StatsRow[]; total: StatsRow }> => {
  const c = await readableCampaign(ctx, actor, campaignId);
  if (!c.ok) return c;
  const facts = await ctx.warehouse.query<FactGroup>(
    `WITH m AS (${MESSAGES_CTE('campaign_id = $1')}),
     cv AS (SELECT idempotency_key, any_value(user_id) AS user_id, sum(coalesce(revenue, 0)) AS revenue
            FROM conversions WHERE campaign_id = $1 GROUP BY idempotency_key)
     SELECT ${WAREHOUSE_KEY[by]} AS k,
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
  const totals = await ctx.warehouse.query<FactGroup>(
    `WITH m AS (${MESSAGES_CTE('campaign_id = $1')})
     SELECT 'total' AS k, 0 AS sent, 0 AS delivered, 0 AS failed, 0 AS unknown, 0 AS clicked, 0 AS unsubscribed,
       count(DISTINCT m.user_id) FILTER (WHERE m.sent) AS users,
       (SELECT count(DISTINCT user_id) FROM conversions WHERE campaign_id = $1) AS converted,
       0 AS revenue, 0 AS cost FROM m`,
    [campaignId],
  );
  const planned = await ctx.control.query<{ k: string; planned: string; offer_cents: string | null }>(
    `SELECT ${CONTROL_KEY[by]} AS k, count(*) AS planned, sum(o.cost) AS offer_cents
     FROM planned_messages b LEFT JOIN (
       SELECT idempotency_key, sum(cost_at_issue + cost_at_redemption) AS cost FROM offers_issued
       WHERE campaign_id = $1 AND workspace_id = $2 GROUP BY idempotency_key
     ) o ON o.idempotency_key = b.idempotency_key
     WHERE b.campaign_id = $1 AND b.workspace_id = $2 GROUP BY 1 ORDER BY 1`,
    [campaignId, actor.workspaceId],
  );
  const keys = [...new Set([...facts.map((f) => f.k), ...planned.map((p) => p.k)])].sort();
  const rows = keys.map((k) => {
    const f = facts.find((x) => x.k === k);
    const p = planned.find((x) => x.k === k);
    return rowOf(k, f, num(p?.planned), num(p?.offer_cents) / 100);
  });
  const total = sumRows(rows);
  // Users and converted users are distinct over the campaign, not the sum of the groups.
  const t = totals[0];
  total.users = num(t?.users);
  total.convertedUsers = num(t?.converted);
  total.conversionRate = ratio(total.convertedUsers, total.users);
  return ok({ campaignId, by, rows, total });
};

const rowOf = (key: string, f: FactGroup | undefined, planned: number, offerCost: number): StatsRow => {
  const sent = num(f?.sent);
  const clicked = num(f?.clicked);
  const users = num(f?.users);
  const converted = num(f?.converted);
  const messageCost = yuan(num(f?.cost));
  const cost = yuan(messageCost + offerCost);
  const revenue = yuan(num(f?.revenue));
  return {
    key,
    planned,
    sent,
    delivered: num(f?.delivered),
    failed: num(f?.failed),
    unknown: num(f?.unknown),
    clicked,
    ctr: ratio(clicked, sent),
    users,
    convertedUsers: converted,
    conversionRate: ratio(converted, users),
    unsubscribes: num(f?.unsubscribed),
    messageCost,
    offerCost: yuan(offerCost),
    cost,
    revenue,
    roi: cost > 0 ? (revenue - cost) / cost : null,
  };
};

const sumRows = (rows: readonly StatsRow[]): StatsRow => {
  const s = rowOf('total', undefined, 0, 0);
  for (const r of rows) {
    s.planned += r.planned;
    s.sent += r.sent;
    s.delivered += r.delivered;
    s.failed += r.failed;
    s.clicked += r.clicked;
    s.unsubscribes += r.unsubscribes;
    s.messageCost += r.messageCost;
    s.offerCost += r.offerCost;
    s.revenue += r.revenue;
  }
  s.messageCost = yuan(s.messageCost);
  s.offerCost = yuan(s.offerCost);
  s.cost = yuan(s.messageCost + s.offerCost);
  s.revenue = yuan(s.revenue);
  s.ctr = ratio(s.clicked, s.sent);
  s.roi = s.cost > 0 ? (s.revenue - s.cost) / s.cost : null;
  return s;
};
