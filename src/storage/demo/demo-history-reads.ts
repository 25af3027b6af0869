import type { SqlClient } from '../control/sql-client.ts';
import type { WarehouseSql } from '../warehouse-sql.ts';

/**
 * What the demo's history seeding reads to play the users' side (src/cli/demo-history.ts): the
 * campaigns it made before, the in-app messages a campaign delivered, the coupons it issued and
 * the users its planner held out.
 */

export const countCampaignsNamed = async (
  db: SqlClient,
  workspaceId: string,
  names: readonly string[],
): Promise<number> => {
  const rows = await db.query<{ n: string | number }>(
    'SELECT count(*) AS n FROM campaigns WHERE workspace_id = $1 AND name = ANY($2)',
    [workspaceId, [...names]],
  );
  return Number(rows[0]?.n ?? 0);
};

export const deliveredInbox = (
  db: SqlClient,
  workspaceId: string,
  campaignId: string,
): Promise<{ user_id: string; landing_url: string | null; at: Date }[]> =>
  db.query(
    `SELECT user_id, landing_url, created_at AS at FROM inbox_messages
     WHERE workspace_id = $1 AND campaign_id = $2 ORDER BY user_id`,
    [workspaceId, campaignId],
  );

export const issuedCodes = async (
  db: SqlClient,
  workspaceId: string,
  campaignId: string,
): Promise<Map<string, string>> =>
  new Map(
    (
      await db.query<{ user_id: string; code: string }>(
        'SELECT user_id, code FROM offers_issued WHERE workspace_id = $1 AND campaign_id = $2',
        [workspaceId, campaignId],
      )
    ).map((r) => [r.user_id, r.code]),
  );

/** The campaign's holdout (not the global control group), in id order. */
export const heldOutUsers = async (warehouse: WarehouseSql, campaignId: string): Promise<string[]> =>
  (
    await warehouse.query<{ user_id: string }>(
      `SELECT DISTINCT user_id FROM decided_members
       WHERE campaign_id = $1 AND decision = 'holdout' AND reason IS NULL ORDER BY user_id`,
      [campaignId],
    )
  ).map((r) => r.user_id);
