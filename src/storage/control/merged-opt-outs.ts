import type { SqlClient } from './sql-client.ts';

/**
 * Opt-outs across identity stitching (features.md A1): the warehouse merges an alias into its
 * canonical user, but `unsubscribes` lives in the control plane, keyed by the id the opt-out
 * came from. A copy under the canonical id (source `identity_merge`) makes it hold for the
 * merged user; the row under the old id stays.
 */

/** Every user id that has an opt-out, in any workspace. */
export const optedOutUserIds = async (db: SqlClient): Promise<string[]> =>
  (await db.query<{ user_id: string }>('SELECT DISTINCT user_id FROM unsubscribes')).map((r) => r.user_id);

/** Copies the opt-outs of each `from` id to its `to` id (kept when there already); returns rows added. */
export const copyOptOuts = async (
  db: SqlClient,
  pairs: readonly { from: string; to: string }[],
): Promise<number> => {
  if (pairs.length === 0) return 0;
  const rows = await db.query<{ user_id: string }>(
    `INSERT INTO unsubscribes (workspace_id, user_id, channel, at, source)
     SELECT u.workspace_id, p.to_id, u.channel, u.at, 'identity_merge'
     FROM unsubscribes u JOIN unnest($1::text[], $2::text[]) AS p(from_id, to_id) ON u.user_id = p.from_id
     ON CONFLICT DO NOTHING
     RETURNING user_id`,
    [pairs.map((p) => p.from), pairs.map((p) => p.to)],
  );
  return rows.length;
};
