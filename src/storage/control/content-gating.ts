import type { SqlClient } from './sql-client.ts';

/** Storage of the content gate (migration 018): a workspace's blocked words, admins' overrides. */

export interface BlockedWordRecord {
  word: string;
  addedBy: { id: number; name: string } | null;
  addedAt: number;
}

const time = (v: unknown): number => new Date(v as string).getTime();

export const listBlockedWords = async (db: SqlClient, workspaceId: string): Promise<BlockedWordRecord[]> =>
  (
    await db.query(
      `SELECT b.word, b.added_by, u.name AS added_by_name, b.added_at
         FROM blocked_words b LEFT JOIN users u ON u.id = b.added_by
        WHERE b.workspace_id = $1 ORDER BY b.word`,
      [workspaceId],
    )
  ).map((r) => ({
    word: String(r['word']),
    addedBy:
      r['added_by'] === null ? null : { id: Number(r['added_by']), name: String(r['added_by_name'] ?? '') },
    addedAt: time(r['added_at']),
  }));

/** Adds a word; false when the workspace has it already. */
export const insertBlockedWord = async (
  db: SqlClient,
  w: { workspaceId: string; word: string; actorId: number; at: number },
): Promise<boolean> =>
  (
    await db.query(
      `INSERT INTO blocked_words (workspace_id, word, added_by, added_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING RETURNING word`,
      [w.workspaceId, w.word, w.actorId, new Date(w.at)],
    )
  ).length > 0;

/** Removes a word; false when the workspace did not have it. */
export const deleteBlockedWord = async (db: SqlClient, workspaceId: string, word: string): Promise<boolean> =>
  (
    await db.query('DELETE FROM blocked_words WHERE workspace_id = $1 AND word = $2 RETURNING word', [
      workspaceId,
      word,
    ])
  ).length > 0;

export interface ContentOverrideRecord {
  campaignId: string;
  version: number;
  reason: string;
  by: { id: number; name: string };
  at: number;
  /** The messages of the issues the override covers. */
  issues: string[];
}

export const insertContentOverride = async (
  db: SqlClient,
  o: { campaignId: string; version: number; reason: string; actorId: number; at: number; issues: string[] },
): Promise<void> => {
  await db.query(
    `INSERT INTO campaign_content_overrides (campaign_id, version, reason, actor_id, at, issues)
     VALUES ($1, $2, $3, $4, $5, $6::text::jsonb)
     ON CONFLICT (campaign_id, version)
     DO UPDATE SET reason = EXCLUDED.reason, actor_id = EXCLUDED.actor_id, at = EXCLUDED.at,
                   issues = EXCLUDED.issues`,
    [o.campaignId, o.version, o.reason, o.actorId, new Date(o.at), JSON.stringify(o.issues)],
  );
};

/** The override of one version of a campaign, if an admin gave one. */
export const getContentOverride = async (
  db: SqlClient,
  campaignId: string,
  version: number,
): Promise<ContentOverrideRecord | null> => {
  const [r] = await db.query(
    `SELECT o.campaign_id, o.version, o.reason, o.actor_id, u.name, o.at, o.issues
       FROM campaign_content_overrides o JOIN users u ON u.id = o.actor_id
      WHERE o.campaign_id = $1 AND o.version = $2`,
    [campaignId, version],
  );
  if (!r) return null;
  const issues: unknown = typeof r['issues'] === 'string' ? JSON.parse(r['issues']) : r['issues'];
  return {
    campaignId: String(r['campaign_id']),
    version: Number(r['version']),
    reason: String(r['reason']),
    by: { id: Number(r['actor_id']), name: String(r['name']) },
    at: time(r['at']),
    issues: Array.isArray(issues) ? issues.map(String) : [],
  };
};
