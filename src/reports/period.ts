import type { Actor } from '../core/auth/roles.ts';
import { err, ok } from '../core/result.ts';
import type { Outcome } from '../core/service-failure.ts';
import { refused } from '../campaigns/campaigns.ts';
import type { ReportsContext } from './context.ts';
import { MESSAGES_CTE } from '../storage/warehouse/message-outcomes.ts';
import { inList, jsonList, num, ratio, yuan } from './sql.ts';

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
  const campaigns = await ctx.control.query<{ id: string; name: string }>(
    'SELECT id, name FROM campaigns WHERE workspace_id = $1 ORDER BY id',
    [actor.workspaceId],
  );
  const ids = jsonList(campaigns.map((c) => c.id));
  const from = new Date(fromMs).toISOString();
  const to = new Date(toMs).toISOString();
  // Messages sent in the period; conversions of those campaigns whose goal event is in it.
  const scope = `WITH m AS (${MESSAGES_CTE(`campaign_id IN (${inList('$1')})`)}),
    s AS (SELECT * FROM m WHERE m.sent AND m.sent_at >= CAST($2 AS TIMESTAMP) AND m.sent_at < CAST($3 AS TIMESTAMP)),
    cv AS (SELECT * FROM conversions WHERE campaign_id IN (${inList('$1')})
           AND ts >= CAST($2 AS TIMESTAMP) AND ts < CAST($3 AS TIMESTAMP))`;
  const params = [ids, from.replace('Z', ''), to.replace('Z', '')];
  const per = await ctx.warehouse.query<Record<string, unknown>>(
    `${scope}
     SELECT c.campaign_id, c.sent, c.users, coalesce(v.converted, 0) AS converted,
       coalesce(v.revenue, 0) AS revenue, c.cost
     FROM (SELECT campaign_id, count(*) AS sent, count(DISTINCT user_id) AS users, sum(cost) AS cost
           FROM s GROUP BY campaign_id) c
     LEFT JOIN (SELECT campaign_id, count(DISTINCT user_id) AS converted, sum(coalesce(revenue, 0)) AS revenue
                FROM cv GROUP BY campaign_id) v ON v.campaign_id = c.campaign_id
     ORDER BY c.campaign_id`,
    params,
  );
  const [tot] = await ctx.warehouse.query<Record<string, unknown>>(
    `${scope} SELECT (SELECT count(DISTINCT user_id) FROM s) AS reached,
       (SELECT count(DISTINCT user_id) FROM cv) AS converted`,
    params,
  );
  const trend = async (fmt: string) =>
    (
      await ctx.warehouse.query<{ p: string; sent: unknown; unsub: unknown }>(
        `${scope} SELECT strftime(sent_at, '${fmt}') AS p, count(*) AS sent,
           count(*) FILTER (WHERE unsubscribed) AS unsub FROM s GROUP BY 1 ORDER BY 1`,
        params,
      )
    ).map((r) => ({
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
    unsubscribeTrend: { day: await trend('%Y-%m-%d'), week: await trend('%G-W%V') },
  });
};
