import { inList, jsonList } from './id-list.ts';
import { MESSAGES_CTE } from './message-outcomes.ts';
import type { Warehouse } from './warehouse.ts';

/**
 * The messages of some campaigns sent in a period [from, to) and the conversions of those
 * campaigns whose goal event is in it, for the period report (figures as the warehouse returns
 * them: decode them).
 */

export interface PeriodScope {
  campaignIds: readonly string[];
  fromMs: number;
  toMs: number;
}

// $1 campaign ids (JSON), $2 from, $3 to (UTC timestamps without the zone).
const SCOPE = `WITH m AS (${MESSAGES_CTE(`campaign_id IN (${inList('$1')})`)}),
    s AS (SELECT * FROM m WHERE m.sent AND m.sent_at >= CAST($2 AS TIMESTAMP) AND m.sent_at < CAST($3 AS TIMESTAMP)),
    cv AS (SELECT * FROM conversions WHERE campaign_id IN (${inList('$1')})
           AND ts >= CAST($2 AS TIMESTAMP) AND ts < CAST($3 AS TIMESTAMP))`;

const params = (p: PeriodScope): string[] => [
  jsonList(p.campaignIds),
  new Date(p.fromMs).toISOString().replace('Z', ''),
  new Date(p.toMs).toISOString().replace('Z', ''),
];

/** Per campaign with messages sent in the period: sent, users reached, converted users, revenue, cost. */
export const periodPerCampaign = (w: Warehouse, p: PeriodScope): Promise<Record<string, unknown>[]> =>
  w.query<Record<string, unknown>>(
    `${SCOPE}
     SELECT c.campaign_id, c.sent, c.users, coalesce(v.converted, 0) AS converted,
       coalesce(v.revenue, 0) AS revenue, c.cost
     FROM (SELECT campaign_id, count(*) AS sent, count(DISTINCT user_id) AS users, sum(cost) AS cost
           FROM s GROUP BY campaign_id) c
     LEFT JOIN (SELECT campaign_id, count(DISTINCT user_id) AS converted, sum(coalesce(revenue, 0)) AS revenue
                FROM cv GROUP BY campaign_id) v ON v.campaign_id = c.campaign_id
     ORDER BY c.campaign_id`,
    params(p),
  );

/** Distinct users reached and converted over all the campaigns (`reached`, `converted`). */
export const periodTotals = async (
  w: Warehouse,
  p: PeriodScope,
): Promise<Record<string, unknown> | undefined> =>
  (
    await w.query<Record<string, unknown>>(
      `${SCOPE} SELECT (SELECT count(DISTINCT user_id) FROM s) AS reached,
       (SELECT count(DISTINCT user_id) FROM cv) AS converted`,
      params(p),
    )
  )[0];

/** Messages sent and unsubscribed per day or ISO week (UTC) of the send. */
export const unsubscribesBy = (
  w: Warehouse,
  p: PeriodScope,
  unit: 'day' | 'week',
): Promise<{ p: string; sent: unknown; unsub: unknown }[]> =>
  w.query<{ p: string; sent: unknown; unsub: unknown }>(
    `${SCOPE} SELECT strftime(sent_at, '${unit === 'day' ? '%Y-%m-%d' : '%G-W%V'}') AS p, count(*) AS sent,
           count(*) FILTER (WHERE unsubscribed) AS unsub FROM s GROUP BY 1 ORDER BY 1`,
    params(p),
  );
