import type { Actor } from '../core/auth/roles.ts';
import { err, ok } from '../core/result.ts';
import type { Outcome } from '../core/service-failure.ts';
import { refused } from '../campaigns/campaigns.ts';
import type { ReportsContext } from './context.ts';
import { campaignNames } from '../storage/control/campaign-names.ts';
import { offerCostsBetween } from '../storage/control/offer-costs.ts';
import { periodPerCampaign, periodTotals, unsubscribesBy } from '../storage/warehouse/period-messages.ts';
import { num, ratio, yuan } from './sql.ts';
import { centsOfYuan, roiOf, spentCost, sumSpent, type SpentCost } from './spent-cost.ts';

/**
 * The period view (features.md G2): every campaign of the workspace with messages sent in [from, to),
 * and the totals with users de-duplicated across campaigns (a user reached by three campaigns
 * is one reached user), next to the plain sums so the overlap shows. Conversions count when the
 * goal event is in the period. Unsubscribe rate per UTC day and ISO week: unsubscribes of
 * messages sent that day / messages sent that day. Cost is what was spent in the period, each
 * part when it is booked (spent-cost.ts, offer-costs.ts): messages sent in it, offers booked at
 * issue whose message went out in it, redemptions and bonuses in it; a campaign that only booked
 * offer cost in the period is listed with no messages.
 */

export interface PeriodCampaign extends SpentCost {
  campaignId: string;
  name: string;
  sent: number;
  reachedUsers: number;
  convertedUsers: number;
  revenue: number;
  roi: number | null;
}

export interface TrendPoint {
  period: string;
  sent: number;
  unsubscribed: number;
  rate: number | null;
}

export interface PeriodReport extends SpentCost {
  from: string;
  to: string;
  campaigns: PeriodCampaign[];
  sent: number;
  /** Distinct users sent a message by any campaign. */
  reachedUsers: number;
  reachedUsersSumOverCampaigns: number;
  convertedUsers: number;
  convertedUsersSumOverCampaigns: number;
  revenue: number;
  roi: number | null;
  unsubscribeTrend: { day: TrendPoint[]; week: TrendPoint[] };
}

export const periodReport = async (
  ctx: ReportsContext,
  actor: Actor,
  fromMs: number,
  toMs: number,
): Outcome<PeriodReport> => {
  const no = refused(actor, 'campaign.read');
  if (no) return err(no);
  if (!(toMs > fromMs))
    return err({
      type: 'invalid',
      message: 'to must be after from',
      errors: [{ path: 'to', message: 'must be after from' }],
    });
  const campaigns = await campaignNames(ctx.control, actor.workspaceId);
  const from = new Date(fromMs).toISOString();
  const to = new Date(toMs).toISOString();
  // Messages sent in the period; conversions of those campaigns whose goal event is in it.
  const scope = { campaignIds: campaigns.map((c) => c.id), fromMs, toMs };
  const per = await periodPerCampaign(ctx.warehouse, scope);
  const tot = await periodTotals(ctx.warehouse, scope);
  const trend = async (unit: 'day' | 'week') =>
    (await unsubscribesBy(ctx.warehouse, scope, unit)).map((r) => ({
      period: r.p,
      sent: num(r.sent),
      unsubscribed: num(r.unsub),
      rate: ratio(num(r.unsub), num(r.sent)),
    }));
  const names = new Map(campaigns.map((c) => [c.id, c.name]));
  const offers = new Map(
    (await offerCostsBetween(ctx.control, actor.workspaceId, fromMs, toMs)).map((o) => [o.campaignId, o]),
  );
  const rowOf = (id: string, r: Record<string, unknown> | undefined): PeriodCampaign => {
    const revenue = yuan(num(r?.['revenue']));
    const cost = spentCost(centsOfYuan(num(r?.['cost'])), offers.get(id));
    return {
      campaignId: id,
      name: names.get(id) ?? '',
      sent: num(r?.['sent']),
      reachedUsers: num(r?.['users']),
      convertedUsers: num(r?.['converted']),
      revenue,
      ...cost,
      roi: roiOf(revenue, cost),
    };
  };
  const rows: PeriodCampaign[] = per.map((r) => rowOf(String(r['campaign_id']), r));
  const listed = new Set(rows.map((r) => r.campaignId));
  for (const id of offers.keys()) if (!listed.has(id) && names.has(id)) rows.push(rowOf(id, undefined));
  rows.sort((a, b) => (a.campaignId < b.campaignId ? -1 : a.campaignId > b.campaignId ? 1 : 0));
  const sum = (f: (r: PeriodCampaign) => number) => rows.reduce((a, r) => a + f(r), 0);
  const revenue = yuan(sum((r) => r.revenue));
  const cost = sumSpent(rows);
  return ok({
    from,
    to,
    campaigns: rows,
    sent: sum((r) => r.sent),
    reachedUsers: num(tot?.['reached']),
    reachedUsersSumOverCampaigns: sum((r) => r.reachedUsers),
    convertedUsers: num(tot?.['converted']),
    convertedUsersSumOverCampaigns: sum((r) => r.convertedUsers),
    revenue,
    ...cost,
    roi: roiOf(revenue, cost),
    unsubscribeTrend: { day: await trend('day'), week: await trend('week') },
  });
};
