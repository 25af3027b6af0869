import { dateOrNull, jsonValue, numberOrZero, textOrNull } from '../row-values.ts';
import type { SqlClient } from './sql-client.ts';

export interface AuditPageRow {
  id: number;
  at: Date | null;
  /** The actor's name; null for the system or a user since removed. */
  actor: string | null;
  action: string;
  objectType: string;
  objectId: string;
  details: unknown;
}

/** The workspace's audit log, newest first, with the actor's name: `limit` entries before id `beforeId`. */
export const auditLogPage = async (
  db: SqlClient,
  p: { workspaceId: string; beforeId: number | null; limit: number; objectType: string | null },
): Promise<AuditPageRow[]> =>
  (
    await db.query(
      `SELECT a.id, a.at, u.name AS actor, a.action, a.object_type, a.object_id, a.details
     FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
     WHERE a.workspace_id = $1 AND ($2::bigint IS NULL OR a.id < $2) AND ($3::text IS NULL OR a.object_type = $3)
     ORDER BY a.id DESC LIMIT $4`,
      [p.workspaceId, p.beforeId, p.objectType, p.limit],
    )
  ).map((r) => ({
    id: numberOrZero(r['id']),
    at: dateOrNull(r['at']),
    actor: textOrNull(r['actor']),
    action: String(r['action']),
    objectType: String(r['object_type']),
    objectId: String(r['object_id']),
    details: jsonValue(r['details']),
  }));
