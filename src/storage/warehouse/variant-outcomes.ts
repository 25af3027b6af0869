import type { WarehouseSql } from '../warehouse-sql.ts';
import { inList, jsonList } from './id-list.ts';

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
export const variantCounts = (w: WarehouseSql, campaignId: string): Promise<VariantCounts[]> =>
  w.query<VariantCounts>(w.dialect.name === 'duckdb' ? DUCK_VARIANTS : CH_VARIANTS, [campaignId]);

const DUCK_VARIANTS = `WITH m AS (SELECT message_id, any_value(variant) AS variant, any_value(user_id) AS user_id,
                  bool_or(status = 'sent') AS sent, bool_or(status = 'clicked') AS clicked
                FROM message_facts WHERE campaign_id = $1 AND variant IS NOT NULL GROUP BY message_id)
     SELECT m.variant, count(DISTINCT m.user_id) FILTER (WHERE m.sent) AS users,
       count(*) FILTER (WHERE m.sent) AS sent, count(*) FILTER (WHERE m.clicked) AS clicked,
       (SELECT count(DISTINCT user_id) FROM conversions cv WHERE cv.campaign_id = $1 AND cv.variant = m.variant) AS converted
     FROM m GROUP BY m.variant`;

// ClickHouse has no correlated subquery: the converted users per variant are joined (a variant
// without conversions joins the default 0, as DuckDB's count over no row). The facts are filtered
// in a subquery: a column in WHERE would resolve to the aggregate alias of the same name.
const CH_VARIANTS = `WITH m AS (SELECT message_id, any(variant) AS variant, any(user_id) AS user_id,
                  max(status = 'sent') AS sent, max(status = 'clicked') AS clicked
                FROM (SELECT * FROM message_facts WHERE campaign_id = $1 AND variant IS NOT NULL) GROUP BY message_id),
     cv AS (SELECT assumeNotNull(variant) AS variant, uniqExact(user_id) AS converted
            FROM (SELECT * FROM conversions WHERE campaign_id = $1 AND variant IS NOT NULL) GROUP BY variant)
     SELECT g.variant AS variant, g.users AS users, g.sent AS sent, g.clicked AS clicked, cv.converted AS converted
     FROM (SELECT assumeNotNull(m.variant) AS variant, uniqExactIf(m.user_id, m.sent = 1) AS users,
             countIf(m.sent) AS sent, countIf(m.clicked) AS clicked
           FROM m GROUP BY m.variant) g
     LEFT JOIN cv ON cv.variant = g.variant`;

/** Per campaign compared as an arm of an audience test: distinct users sent a message and distinct converted users. */
export const campaignArmCounts = (
  w: WarehouseSql,
  campaignIds: readonly string[],
): Promise<{ campaign_id: string; users: unknown; converted: unknown }[]> =>
  w.query<{ campaign_id: string; users: unknown; converted: unknown }>(
    w.dialect.name === 'duckdb'
      ? `WITH ids AS (SELECT unnest(from_json($1, '["VARCHAR"]')) AS campaign_id)
     SELECT ids.campaign_id,
       (SELECT count(DISTINCT user_id) FROM message_facts f WHERE f.campaign_id = ids.campaign_id AND f.status = 'sent') AS users,
       (SELECT count(DISTINCT user_id) FROM conversions cv WHERE cv.campaign_id = ids.campaign_id) AS converted
     FROM ids`
      : // The per-campaign counts joined (no correlated subquery); a campaign without rows joins 0.
        `WITH ids AS (${inList('$1', w.dialect)} AS campaign_id)
     SELECT ids.campaign_id AS campaign_id, f.users AS users, cv.converted AS converted FROM ids
     LEFT JOIN (SELECT assumeNotNull(campaign_id) AS campaign_id, uniqExact(user_id) AS users
                FROM (SELECT * FROM message_facts WHERE campaign_id IN (${inList('$1', w.dialect)}) AND status = 'sent')
                GROUP BY campaign_id) f
       ON f.campaign_id = ids.campaign_id
     LEFT JOIN (SELECT campaign_id, uniqExact(user_id) AS converted FROM conversions
                WHERE campaign_id IN (${inList('$1', w.dialect)}) GROUP BY campaign_id) cv
       ON cv.campaign_id = ids.campaign_id`,
    [jsonList(campaignIds)],
  );
