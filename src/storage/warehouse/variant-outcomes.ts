import type { Warehouse } from './warehouse.ts';

/** Per variant of the campaign, as the warehouse returns the counts (decode them). */
export interface VariantCounts {
  variant: string;
  /** Distinct users sent a message of the variant. */
  users: unknown;
  sent: unknown;
  clicked: unknown;
  /** Distinct users whose conversion the variant is credited with. */
  converted: unknown;
}

/** The A/B figures of each variant that has messages (features.md G4). */
export const variantCounts = (w: Warehouse, campaignId: string): Promise<VariantCounts[]> =>
  w.query<VariantCounts>(
    `WITH m AS (SELECT message_id, any_value(variant) AS variant, any_value(user_id) AS user_id,
                  bool_or(status = 'sent') AS sent, bool_or(status = 'clicked') AS clicked
                FROM message_facts WHERE campaign_id = $1 AND variant IS NOT NULL GROUP BY message_id)
     SELECT m.variant, count(DISTINCT m.user_id) FILTER (WHERE m.sent) AS users,
       count(*) FILTER (WHERE m.sent) AS sent, count(*) FILTER (WHERE m.clicked) AS clicked,
       (SELECT count(DISTINCT user_id) FROM conversions cv WHERE cv.campaign_id = $1 AND cv.variant = m.variant) AS converted
     FROM m GROUP BY m.variant`,
    [campaignId],
  );

/** Per campaign compared as an arm of an audience test: distinct users sent a message and distinct converted users. */
export const campaignArmCounts = (
  w: Warehouse,
  campaignIds: readonly string[],
): Promise<{ campaign_id: string; users: unknown; converted: unknown }[]> =>
  w.query<{ campaign_id: string; users: unknown; converted: unknown }>(
    `WITH ids AS (SELECT unnest(from_json($1, '["VARCHAR"]')) AS campaign_id)
     SELECT ids.campaign_id,
       (SELECT count(DISTINCT user_id) FROM message_facts f WHERE f.campaign_id = ids.campaign_id AND f.status = 'sent') AS users,
       (SELECT count(DISTINCT user_id) FROM conversions cv WHERE cv.campaign_id = ids.campaign_id) AS converted
     FROM ids`,
    [JSON.stringify(campaignIds)],
  );
