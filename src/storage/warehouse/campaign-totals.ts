import type { Warehouse } from './warehouse.ts';

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

export const campaignTotals = (w: Warehouse): Promise<CampaignTotalsRow[]> =>
  w.query<CampaignTotalsRow>(
    `WITH m AS (SELECT campaign_id, message_id, bool_or(status = 'sent') AS sent FROM message_facts
                WHERE campaign_id IS NOT NULL GROUP BY 1, 2),
     s AS (SELECT campaign_id, count(*) FILTER (WHERE sent) AS sent FROM m GROUP BY 1),
     c AS (SELECT campaign_id, count(DISTINCT user_id) AS converted FROM conversions GROUP BY 1)
     SELECT coalesce(s.campaign_id, c.campaign_id) AS campaign_id, coalesce(s.sent, 0) AS sent,
            coalesce(c.converted, 0) AS converted
     FROM s FULL OUTER JOIN c ON c.campaign_id = s.campaign_id`,
    [],
  );
