import type { SqlClient } from './sql-client.ts';

/**
 * Reads of the opt-outs (`unsubscribes`: one row per workspace, user and channel, `all` for every
 * channel) that delivery and the notification API check.
 */

/** The opt-outs of any of these users in any of these workspaces. */
export const unsubscribesOf = (
  db: SqlClient,
  workspaceIds: readonly string[],
  userIds: readonly string[],
): Promise<{ workspace_id: string; user_id: string; channel: string }[]> =>
  db.query<{ workspace_id: string; user_id: string; channel: string }>(
    `SELECT workspace_id, user_id, channel FROM unsubscribes
       WHERE workspace_id = ANY($1::text[]) AND user_id = ANY($2::text[])`,
    [workspaceIds, userIds],
  );

/** The channels one user opted out of (`all` among them for every channel). */
export const unsubscribedChannels = async (
  db: SqlClient,
  workspaceId: string,
  userId: string,
): Promise<string[]> =>
  (
    await db.query<{ channel: string }>(
      'SELECT channel FROM unsubscribes WHERE workspace_id = $1 AND user_id = $2',
      [workspaceId, userId],
    )
  ).map((r) => r.channel);
