import type { WarehouseSql } from '../warehouse-sql.ts';

/**
 * Per campaign, the messages a provider took and the distinct users who converted, from the same
 * facts as the campaign stats (message-outcomes.ts): a message counts once however many sent
 * facts it has. For the campaign list (issue 18), one pass for every campaign; the caller keeps
 * the workspace's own campaigns.
 */
export interface CampaignTotalsRow {
  campaign_id: string;
  sent: unknown;
  converted: unknown;
}

export const campaignTotals = (w: WarehouseSql): Promise<CampaignTotalsRow[]> =>
  w.query<CampaignTotalsRow>(w.dialect.name === 'duckdb' ? DUCK_TOTALS : CH_TOTALS, []);

const DUCK_TOTALS = `WITH m AS (SELECT campaign_id, message_id, bool_or(status = 'sent') AS sent FROM message_facts
                WHERE campaign_id IS NOT NULL GROUP BY 1, 2),
     s AS (SELECT campaign_id, count(*) FILTER (WHERE sent) AS sent FROM m GROUP BY 1),
     c AS (SELECT campaign_id, count(DISTINCT user_id) AS converted FROM conversions GROUP BY 1)
     SELECT coalesce(s.campaign_id, c.campaign_id) AS campaign_id, coalesce(s.sent, 0) AS sent,
            coalesce(c.converted, 0) AS converted
     FROM s FULL OUTER JOIN c ON c.campaign_id = s.campaign_id`;

// join_use_nulls: a campaign on one side only joins NULLs on the other (not ''), so the coalesce
// picks its id as on DuckDB. The facts are filtered in a subquery: ClickHouse would read
// `campaign_id` in WHERE as the SELECT alias of that name.
const CH_TOTALS = `WITH m AS (SELECT assumeNotNull(campaign_id) AS campaign_id, message_id, max(status = 'sent') AS sent
                FROM (SELECT * FROM message_facts WHERE campaign_id IS NOT NULL) GROUP BY campaign_id, message_id),
     s AS (SELECT campaign_id, countIf(sent) AS sent FROM m GROUP BY campaign_id),
     c AS (SELECT campaign_id, uniqExact(user_id) AS converted FROM conversions GROUP BY campaign_id)
     SELECT coalesce(s.campaign_id, c.campaign_id) AS campaign_id, coalesce(s.sent, 0) AS sent,
            coalesce(c.converted, 0) AS converted
     FROM s FULL OUTER JOIN c ON c.campaign_id = s.campaign_id
     SETTINGS join_use_nulls = 1`;
