import type { Actor } from '../core/auth/roles.ts';
import { ok } from '../core/result.ts';
import type { Outcome } from '../core/service-failure.ts';
import { plannedMessagesBy } from '../storage/control/planned-messages-by.ts';
import {
  messageFactsBy,
  messageTotals,
  type FactGroup,
  type StatsBy,
} from '../storage/warehouse/message-outcomes.ts';
import { readableCampaign, type ReportsContext } from './context.ts';
import { num, ratio, yuan } from './sql.ts';

/**
 * Campaign stats (features.md G1): per variant, channel or day (UTC, of the message's send), every
 * figure of the campaign's messages. Message figures come from the warehouse's message_facts
 * (one row per thing that happened to a message; a message counts once per status), conversions
 * from `conversions`, planned messages and offer costs from the control plane's outbox and
 * offers_issued. Money in yuan. See docs/reports.md.
 */

export type { StatsBy };

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

export const campaignStats = async (
  ctx: ReportsContext,
  actor: Actor,
  campaignId: string,
  by: StatsBy,
): Outcome<{ campaignId: string; by: StatsBy; rows: StatsRow[]; total: StatsRow }> => {
  const c = await readableCampaign(ctx, actor, campaignId);
  if (!c.ok) return c;
  const facts = await messageFactsBy(ctx.warehouse, campaignId, by);
  const t = await messageTotals(ctx.warehouse, campaignId);
  const planned = await plannedMessagesBy(ctx.control, actor.workspaceId, campaignId, by);
  const keys = [...new Set([...facts.map((f) => f.k), ...planned.map((p) => p.k)])].sort();
  const rows = keys.map((k) => {
    const f = facts.find((x) => x.k === k);
    const p = planned.find((x) => x.k === k);
    return rowOf(k, f, num(p?.planned), num(p?.offer_cents) / 100);
  });
  const total = sumRows(rows);
  // Users and converted users are distinct over the campaign, not the sum of the groups.
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
