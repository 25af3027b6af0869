import type { Actor } from '../core/auth/roles.ts';
import { offerChoices } from '../core/campaigns/variant-offer.ts';
import type { CostRecognition, Offer } from '../core/offers/index.ts';
import { ok } from '../core/result.ts';
import type { Outcome } from '../core/service-failure.ts';
import { inboxCampaignCounts, type InboxCampaignCounts } from '../storage/control/inbox-campaign-counts.ts';
import { plannedMessagesBy, type PlannedGroup } from '../storage/control/planned-messages-by.ts';
import {
  messageFactsBy,
  messageTotals,
  type FactGroup,
  type StatsBy,
} from '../storage/warehouse/message-outcomes.ts';
import { zoneDays } from '../storage/zone-days.ts';
import { readableCampaign, type ReportsContext } from './context.ts';
import { DEFAULT_REPORT_TIME_ZONE, type DayRange } from './day-range.ts';
import { num, ratio, yuan } from './sql.ts';

/**
 * Campaign stats (features.md G1): per variant, channel or day (of the message's send, a calendar
 * day in the operator's zone, Beijing by default; given a range, only messages sent in it), every
 * figure of the campaign's messages. Message figures come from the warehouse's message_facts
 * (one row per thing that happened to a message; a message counts once per status), conversions
 * from `conversions`, planned messages and offer costs from the control plane's outbox and
 * offers_issued. Money in yuan, and in cents in the `…Cents` fields. Cost is what was spent, never
 * what the planner reserved: messages a provider took, at their price; offers booked at issue once
 * their message went out, offers booked at redemption once redeemed, bonuses once granted. See
 * docs/reports.md "Cost".
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
  /** Yuan: messagesCostCents / 100. */
  messageCost: number;
  /** Yuan: the three offer parts together / 100. */
  offerCost: number;
  /** Yuan: messageCost + offerCost. */
  cost: number;
  /** Messages a provider took, at the price it charged. */
  messagesCostCents: number;
  /** Offers booked at issue (`costRecognition: issue`) whose message a provider took, at their issued value. */
  offersIssuedCostCents: number;
  /** Offers booked at redemption (`costRecognition: redemption`) that were redeemed, at their redeemed value. */
  offersRedeemedCostCents: number;
  /** Conditional bonuses granted (points at their value). */
  offersBonusCostCents: number;
  costCents: number;
  revenue: number;
  /** (revenue − cost) / cost; null without cost. */
  roi: number | null;
  /** In-app messages put in the inbox and, of them, read: in-app's figures in place of `delivered`. */
  inAppStored: number;
  inAppRead: number;
}

/** Which days a day breakdown reads: a range of the operator's, or every day, in a zone. */
export interface StatsDays {
  timeZone: string;
  range: DayRange | null;
}

/** How the campaign's offer books its cost: at issue, at redemption, or null without an offer. */
export type CostRecognitionLabel = CostRecognition | null;

/**
 * In-app messages have no delivery receipt (`delivered` never counts them): what the inbox
 * records instead — put in the inbox, and read. Null when the campaign has none.
 */
export type InAppFigures = InboxCampaignCounts | null;

export const campaignStats = async (
  ctx: ReportsContext,
  actor: Actor,
  campaignId: string,
  by: StatsBy,
  statsDays: StatsDays = { timeZone: DEFAULT_REPORT_TIME_ZONE, range: null },
): Outcome<{
  campaignId: string;
  by: StatsBy;
  /** The days counted, when a range was asked for (every figure then covers only them). */
  range: { from: string; to: string; timeZone: string } | null;
  costRecognition: CostRecognitionLabel;
  rows: StatsRow[];
  total: StatsRow;
  inApp: InAppFigures;
}> => {
  const c = await readableCampaign(ctx, actor, campaignId);
  if (!c.ok) return c;
  const { range } = statsDays;
  const days = zoneDays(
    statsDays.timeZone,
    range ? { fromMs: range.fromMs, toMs: range.toMs } : null,
    ctx.clock(),
  );
  const facts = await messageFactsBy(ctx.warehouse, campaignId, by, days);
  const t = await messageTotals(ctx.warehouse, campaignId, days);
  const planned = await plannedMessagesBy(ctx.control, actor.workspaceId, campaignId, by, days);
  const keys = [...new Set([...facts.map((f) => f.k), ...planned.map((p) => p.k)])].sort();
  const rows = keys.map((k) => {
    const f = facts.find((x) => x.k === k);
    const p = planned.find((x) => x.k === k);
    return rowOf(k, f, p);
  });
  const total = sumRows(rows);
  // Users and converted users are distinct over the campaign, not the sum of the groups.
  total.users = num(t?.users);
  total.convertedUsers = num(t?.converted);
  total.conversionRate = ratio(total.convertedUsers, total.users);
  // The campaign's offer; in an A/B offer test without one, the first variant's own (their rows,
  // split by variant, carry each variant's own offer cost).
  const offer: Offer | undefined = offerChoices(c.value.definition).find((o) => o.offer)?.offer;
  // A range counts the inbox's messages of its days (the rows' own); otherwise the whole inbox.
  const inbox = range
    ? { stored: total.inAppStored, read: total.inAppRead }
    : await inboxCampaignCounts(ctx.control, actor.workspaceId, campaignId);
  const inApp = inbox.stored > 0 ? inbox : null;
  return ok({
    campaignId,
    by,
    range: range ? { from: range.from, to: range.to, timeZone: range.timeZone } : null,
    costRecognition: offer ? offer.costRecognition : null,
    rows,
    total,
    inApp,
  });
};

const rowOf = (key: string, f: FactGroup | undefined, p: PlannedGroup | undefined): StatsRow => {
  const sent = num(f?.sent);
  const clicked = num(f?.clicked);
  const users = num(f?.users);
  const converted = num(f?.converted);
  // The warehouse holds message cost in yuan (a double): back to whole cents.
  const messagesCostCents = Math.round(num(f?.cost) * 100);
  const offersIssuedCostCents = num(p?.issued_cents);
  const offersRedeemedCostCents = num(p?.redeemed_cents);
  const offersBonusCostCents = num(p?.bonus_cents);
  const offerCents = offersIssuedCostCents + offersRedeemedCostCents + offersBonusCostCents;
  const costCents = messagesCostCents + offerCents;
  const cost = costCents / 100;
  const revenue = yuan(num(f?.revenue));
  return {
    key,
    planned: num(p?.planned),
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
    messageCost: messagesCostCents / 100,
    offerCost: offerCents / 100,
    cost,
    messagesCostCents,
    offersIssuedCostCents,
    offersRedeemedCostCents,
    offersBonusCostCents,
    costCents,
    revenue,
    roi: cost > 0 ? (revenue - cost) / cost : null,
    inAppStored: num(p?.in_app_stored),
    inAppRead: num(p?.in_app_read),
  };
};

const sumRows = (rows: readonly StatsRow[]): StatsRow => {
  const s = rowOf('total', undefined, undefined);
  for (const r of rows) {
    s.planned += r.planned;
    s.sent += r.sent;
    s.delivered += r.delivered;
    s.failed += r.failed;
    s.unknown += r.unknown;
    s.clicked += r.clicked;
    s.unsubscribes += r.unsubscribes;
    s.messagesCostCents += r.messagesCostCents;
    s.offersIssuedCostCents += r.offersIssuedCostCents;
    s.offersRedeemedCostCents += r.offersRedeemedCostCents;
    s.offersBonusCostCents += r.offersBonusCostCents;
    s.revenue += r.revenue;
    s.inAppStored += r.inAppStored;
    s.inAppRead += r.inAppRead;
  }
  const offerCents = s.offersIssuedCostCents + s.offersRedeemedCostCents + s.offersBonusCostCents;
  s.costCents = s.messagesCostCents + offerCents;
  s.messageCost = s.messagesCostCents / 100;
  s.offerCost = offerCents / 100;
  s.cost = s.costCents / 100;
  s.revenue = yuan(s.revenue);
  s.ctr = ratio(s.clicked, s.sent);
  s.roi = s.cost > 0 ? (s.revenue - s.cost) / s.cost : null;
  return s;
};
