import type { SqlClient } from './sql-client.ts';

export interface AuditEntry {
  workspaceId: string;
  at: number;
  actorId: number | null;
  action: string;
  objectType: string;
  objectId: string;
  details?: Record<string, unknown>;
}

export interface AuditRecord extends Required<AuditEntry> {
  id: number;
}

/** Appends one entry; call it inside the transaction that makes the change, so both or neither land. */
export const appendAudit = async (db: SqlClient, e: AuditEntry): Promise<void> => {
  await db.query(
    `INSERT INTO audit_log (workspace_id, at, actor_id, action, object_type, object_id, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7::text::jsonb)`,
    [
      e.workspaceId,
      new Date(e.at),
      e.actorId,
      e.action,
      e.objectType,
      e.objectId,
      JSON.stringify(e.details ?? {}),
    ],
  );
};

export const auditFor = async (
  db: SqlClient,
  workspaceId: string,
  objectType: string,
  objectId: string,
): Promise<AuditRecord[]> =>
  (
    await db.query(
      `SELECT * FROM audit_log WHERE workspace_id = $1 AND object_type = $2 AND object_id = $3 ORDER BY id`,
      [workspaceId, objectType, objectId],
    )
  ).map((r) => ({
    id: Number(r['id']),
    workspaceId: String(r['workspace_id']),
    at: new Date(r['at'] as string).getTime(),
    actorId: r['actor_id'] === null ? null : Number(r['actor_id']),
    action: String(r['action']),
    objectType: String(r['object_type']),
    objectId: String(r['object_id']),
    details: (typeof r['details'] === 'string' ? JSON.parse(r['details']) : r['details']) as Record<
      string,
      unknown
    >,
  }));
