import { randomBytes } from 'node:crypto';
import type { SqlClient } from './sql-client.ts';

export interface AudienceSnapshot {
  id: string;
  workspaceId: string;
  audienceId: string;
  audienceVersion: number;
  definition: unknown;
  /** The instant the audience was evaluated at (windows such as "last 30 days" end here). */
  asOf: number;
  /** When the member list was written. */
  takenAt: number;
  memberCount: number;
  takenBy: number | null;
  purpose: string;
  /** When retention deleted the member list (docs/retention.md); null while it is kept. */
  membersPurgedAt: number | null;
}

export const newSnapshotId = (): string => `snap_${randomBytes(8).toString('hex')}`;

const toSnapshot = (r: Record<string, unknown>): AudienceSnapshot => ({
  id: String(r['id']),
  workspaceId: String(r['workspace_id']),
  audienceId: String(r['audience_id']),
  audienceVersion: Number(r['audience_version']),
  definition: typeof r['definition'] === 'string' ? JSON.parse(r['definition']) : r['definition'],
  asOf: new Date(r['as_of'] as string).getTime(),
  takenAt: new Date(r['taken_at'] as string).getTime(),
  memberCount: Number(r['member_count']),
  takenBy: r['taken_by'] === null ? null : Number(r['taken_by']),
  purpose: String(r['purpose']),
  membersPurgedAt:
    r['members_purged_at'] === null || r['members_purged_at'] === undefined
      ? null
      : new Date(r['members_purged_at'] as string).getTime(),
});

export const insertSnapshot = async (db: SqlClient, s: AudienceSnapshot): Promise<void> => {
  await db.query(
    `INSERT INTO audience_snapshots
       (id, workspace_id, audience_id, audience_version, definition, as_of, taken_at, member_count, taken_by, purpose)
     VALUES ($1, $2, $3, $4, $5::text::jsonb, $6, $7, $8, $9, $10)`,
    [
      s.id,
      s.workspaceId,
      s.audienceId,
      s.audienceVersion,
      JSON.stringify(s.definition),
      new Date(s.asOf),
      new Date(s.takenAt),
      s.memberCount,
      s.takenBy,
      s.purpose,
    ],
  );
};

export const getSnapshot = async (
  db: SqlClient,
  workspaceId: string,
  id: string,
): Promise<AudienceSnapshot | null> => {
  const rows = await db.query('SELECT * FROM audience_snapshots WHERE workspace_id = $1 AND id = $2', [
    workspaceId,
    id,
  ]);
  return rows[0] ? toSnapshot(rows[0]) : null;
};

export const listSnapshots = async (
  db: SqlClient,
  workspaceId: string,
  audienceId: string,
): Promise<AudienceSnapshot[]> =>
  (
    await db.query(
      'SELECT * FROM audience_snapshots WHERE workspace_id = $1 AND audience_id = $2 ORDER BY taken_at DESC, id',
      [workspaceId, audienceId],
    )
  ).map(toSnapshot);
