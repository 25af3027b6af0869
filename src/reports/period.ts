import type { Actor } from '../core/auth/roles.ts';
import { err, ok } from '../core/result.ts';
import type { Outcome } from '../core/service-failure.ts';
import { refused } from '../campaigns/campaigns.ts';
import type { ReportsContext } from './context.ts';
import { campaignNames } from '../storage/control/campaign-names.ts';
import { periodPerCampaign, periodTotals, unsubscribesBy } from '../storage/warehouse/period-messages.ts';
import { num, ratio, yuan } from './sql.ts';

/**
 * The period view (features.md G2): every campaign of the workspace with messages sent in [from, to),
 * and the totals with users de-duplicated across campaigns (a user reached by three campaigns
 * is one reached user), next to the plain sums so the overlap shows. Conversions count when the
 * goal event is in the period. Unsubscribe rate per UTC day and ISO week: unsubscribes of
 * messages sent that day / messages sent that day.
 */

export interface PeriodCampaign {
  campaignId: string;
  name: string;
  sent: number;
  reachedUsers: number;
  convertedUsers: number;
  revenue: number;
  messageCost: number;
}

export interface TrendPoint {
  period: string;
  sent: number;
  unsubscribed: number;
  rate: number | null;
}

export interface PeriodReport {
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
  messageCost: number;
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
  const rows: PeriodCampaign[] = per.map((r) => ({
    campaignId: String(r['campaign_id']),
    name: names.get(String(r['campaign_id'])) ?? '',
    sent: num(r['sent']),
    reachedUsers: num(r['users']),
    convertedUsers: num(r['converted']),
    revenue: yuan(num(r['revenue'])),
    messageCost: yuan(num(r['cost'])),
  }));
  const sum = (f: (r: PeriodCampaign) => number) => rows.reduce((a, r) => a + f(r), 0);
  return ok({
    from,
    to,
    campaigns: rows,
    sent: sum((r) => r.sent),
    reachedUsers: num(tot?.['reached']),
    reachedUsersSumOverCampaigns: sum((r) => r.reachedUsers),
    convertedUsers: num(tot?.['converted']),
    convertedUsersSumOverCampaigns: sum((r) => r.convertedUsers),
    revenue: yuan(sum((r) => r.revenue)),
    messageCost: yuan(sum((r) => r.messageCost)),
    unsubscribeTrend: { day: await trend('day'), week: await trend('week') },
  });
};
