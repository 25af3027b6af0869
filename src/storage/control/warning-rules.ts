import { randomBytes } from 'node:crypto';
import { jsonValue, ownerOfRow, versionedRow } from '../row-values.ts';
import type { AuditEntry } from './audit-log.ts';
import { updateAtVersion, writeAudited, type WriteResult } from './audited-write.ts';
import type { SqlClient } from './sql-client.ts';
import type { WarningLevel } from '../../core/scores/warning-levels.ts';

/** A stored early-warning rule; `definition` is an audience tree, validated when written. */
export interface WarningRule {
  id: string;
  workspaceId: string;
  name: string;
  description: string;
  level: WarningLevel;
  definition: unknown;
  enabled: boolean;
  ownerId: number;
  ownerName: string;
  version: number;
  createdAt: number;
  updatedAt: number;
}

export const newWarningRuleId = (): string => `wrn_${randomBytes(8).toString('hex')}`;

const toRule = (r: Record<string, unknown>): WarningRule => ({
  ...versionedRow(r),
  ...ownerOfRow(r),
  name: String(r['name']),
  description: String(r['description']),
  level: r['level'] as WarningLevel,
  definition: jsonValue(r['definition']),
  enabled: Boolean(r['enabled']),
});

const SELECT = `SELECT w.*, u.name AS owner_name FROM warning_rules w JOIN users u ON u.id = w.owner_id`;

export const getWarningRule = async (
  db: SqlClient,
  workspaceId: string,
  id: string,
): Promise<WarningRule | null> => {
  const rows = await db.query(`${SELECT} WHERE w.workspace_id = $1 AND w.id = $2 AND w.deleted_at IS NULL`, [
    workspaceId,
    id,
  ]);
  return rows[0] ? toRule(rows[0]) : null;
};

export const listWarningRules = async (db: SqlClient, workspaceId: string): Promise<WarningRule[]> =>
  (
    await db.query(
      `${SELECT} WHERE w.workspace_id = $1 AND w.deleted_at IS NULL ORDER BY w.created_at, w.id`,
      [workspaceId],
    )
  ).map(toRule);

export const warningRuleNameTaken = async (
  db: SqlClient,
  workspaceId: string,
  name: string,
  exceptId: string | null = null,
): Promise<boolean> =>
  (
    await db.query(
      `SELECT 1 FROM warning_rules WHERE workspace_id = $1 AND lower(name) = lower($2) AND deleted_at IS NULL
         AND ($3::text IS NULL OR id <> $3::text)`,
      [workspaceId, name, exceptId],
    )
  ).length > 0;

export interface WarningRuleFields {
  name: string;
  description: string;
  level: WarningLevel;
  definition: unknown;
  enabled: boolean;
}

export const insertWarningRule = async (
  db: SqlClient,
  r: WarningRuleFields & { id: string; workspaceId: string; ownerId: number; at: number },
): Promise<void> => {
  await db.query(
    `INSERT INTO warning_rules (id, workspace_id, name, description, level, definition, enabled, owner_id, version, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6::text::jsonb, $7, $8, 1, $9, $9)`,
    [
      r.id,
      r.workspaceId,
      r.name,
      r.description,
      r.level,
      JSON.stringify(r.definition),
      r.enabled,
      r.ownerId,
      new Date(r.at),
    ],
  );
};

/** Writes a new version if the stored one is still `expectedVersion`; false if someone else wrote first. */
export const updateWarningRuleRow = async (
  db: SqlClient,
  r: WarningRuleFields & { id: string; workspaceId: string; expectedVersion: number; at: number },
): Promise<boolean> =>
  updateAtVersion(
    db,
    'warning_rules',
    { workspace_id: r.workspaceId, id: r.id },
    [
      ['name', r.name],
      ['description', r.description],
      ['level', r.level],
      ['definition', JSON.stringify(r.definition), '::text::jsonb'],
      ['enabled', r.enabled],
      ['updated_at', new Date(r.at)],
    ],
    r.expectedVersion,
    { liveOnly: true },
  );

/** Creates the rule with its audit entry, unless a live rule of the workspace has the name. */
export const createWarningRule = (
  db: SqlClient,
  r: Parameters<typeof insertWarningRule>[1],
  audit: AuditEntry,
): Promise<WriteResult<'name_taken'>> =>
  writeAudited(
    db,
    async (tx) => {
      if (await warningRuleNameTaken(tx, r.workspaceId, r.name)) return 'name_taken';
      await insertWarningRule(tx, r);
      return 'written';
    },
    audit,
  );

/** Writes the edit with its audit entry, unless another rule has the name or the version moved on. */
export const editWarningRule = (
  db: SqlClient,
  r: Parameters<typeof updateWarningRuleRow>[1],
  audit: AuditEntry,
): Promise<WriteResult<'name_taken' | 'stale'>> =>
  writeAudited(
    db,
    async (tx) => {
      if (await warningRuleNameTaken(tx, r.workspaceId, r.name, r.id)) return 'name_taken';
      return (await updateWarningRuleRow(tx, r)) ? 'written' : 'stale';
    },
    audit,
  );

export const softDeleteWarningRule = async (
  db: SqlClient,
  workspaceId: string,
  id: string,
  at: number,
): Promise<boolean> =>
  (
    await db.query(
      'UPDATE warning_rules SET deleted_at = $3 WHERE workspace_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING id',
      [workspaceId, id, new Date(at)],
    )
  ).length > 0;
