import type { SqlClient } from './sql-client.ts';

/**
 * What the in-app inbox knows of one campaign's messages. In-app has no provider and so no
 * delivery receipt: a message is `stored` in the user's inbox when sent, and `read` when the app
 * marks it read (POST /v1/inbox/:id/read). Showing is not recorded.
 */
export interface InboxCampaignCounts {
  stored: number;
  read: number;
}

export const inboxCampaignCounts = async (
  db: SqlClient,
  workspaceId: string,
  campaignId: string,
): Promise<InboxCampaignCounts> => {
  const rows = await db.query<{ stored: string | number; read: string | number }>(
    `SELECT count(*) AS stored, count(read_at) AS read FROM inbox_messages
     WHERE workspace_id = $1 AND campaign_id = $2`,
    [workspaceId, campaignId],
  );
  return { stored: Number(rows[0]?.stored ?? 0), read: Number(rows[0]?.read ?? 0) };
};
