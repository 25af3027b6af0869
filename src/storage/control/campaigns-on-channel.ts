import type { SqlClient } from './sql-client.ts';

/** Ids of the workspace's campaigns that use the channel, by id. */
export const campaignIdsOnChannel = async (
  db: SqlClient,
  workspaceId: string,
  channel: string,
): Promise<string[]> =>
  (
    await db.query<{ id: string }>(
      `SELECT id FROM campaigns WHERE workspace_id = $1 AND definition->'channels' ? $2 ORDER BY id`,
      [workspaceId, channel],
    )
  ).map((r) => r.id);
