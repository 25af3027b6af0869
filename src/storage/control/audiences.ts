import { randomBytes } from 'node:crypto';
import { jsonValue, ownerOfRow, versionedRow } from '../row-values.ts';
import type { AuditEntry } from './audit-log.ts';
import { updateAtVersion, writeAudited, type WriteResult } from './audited-write.ts';
import type { SqlClient } from './sql-client.ts';

/** A saved audience as stored. `definition` was validated when it was written. */
export interface SavedAudience {
  id: string;
  workspaceId: string;
  name: string;
  description: string;
  definition: unknown;
  ownerId: number;
  ownerName: string;
  version: number;
  createdAt: number;
  updatedAt: number;
}

export const newAudienceId = (): string => `aud_${randomBytes(8).toString('hex')}`;

const toAudience = (r: Record<string, unknown>): SavedAudience => ({
  ...versionedRow(r),
  ...ownerOfRow(r),
  name: String(r['name']),
  description: String(r['description']),
  definition: jsonValue(r['definition']),
});

const SELECT = `SELECT a.*, u.name AS owner_name FROM audiences a JOIN users u ON u.id = a.owner_id`;

export const getAudience = async (
  db: SqlClient,
  workspaceId: string,
  id: string,
): Promise<SavedAudience | null> => {
  const rows = await db.query(`${SELECT} WHERE a.workspace_id = $1 AND a.id = $2 AND a.deleted_at IS NULL`, [
    workspaceId,
    id,
  ]);
  return rows[0] ? toAudience(rows[0]) : null;
};

export const listAudiences = async (
  db: SqlClient,
  workspaceId: string,
  filter: { ownerId?: number | undefined; search?: string | undefined } = {},
): Promise<SavedAudience[]> => {
  const rows = await db.query(
    `${SELECT} WHERE a.workspace_id = $1 AND a.deleted_at IS NULL
       AND ($2::bigint IS NULL OR a.owner_id = $2::bigint)
       AND ($3::text IS NULL OR strpos(lower(a.name), lower($3::text)) > 0)
     ORDER BY a.updated_at DESC, a.id`,
    [workspaceId, filter.ownerId ?? null, filter.search ?? null],
  );
  return rows.map(toAudience);
};

/** Every live definition of the workspace, for resolving `audience` references while compiling. */
export const audienceDefinitions = async (
  db: SqlClient,
  workspaceId: string,
): Promise<Map<string, unknown>> => {
  const rows = await db.query<{ id: string; definition: unknown }>(
    'SELECT id, definition FROM audiences WHERE workspace_id = $1 AND deleted_at IS NULL',
    [workspaceId],
  );
  return new Map(rows.map((r) => [r.id, jsonValue(r.definition)]));
};

/** Is the name used by another live audience of the workspace (names are case-insensitive)? */
export const audienceNameTaken = async (
  db: SqlClient,
  workspaceId: string,
  name: string,
  exceptId: string | null = null,
): Promise<boolean> =>
  (
    await db.query(
      `SELECT 1 FROM audiences WHERE workspace_id = $1 AND lower(name) = lower($2) AND deleted_at IS NULL
         AND ($3::text IS NULL OR id <> $3::text)`,
      [workspaceId, name, exceptId],
    )
  ).length > 0;

export const insertAudience = async (
  db: SqlClient,
  a: {
    id: string;
    workspaceId: string;
    name: string;
    description: string;
    definition: unknown;
    ownerId: number;
    at: number;
  },
): Promise<void> => {
  await db.query(
    `INSERT INTO audiences (id, workspace_id, name, description, definition, owner_id, version, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5::text::jsonb, $6, 1, $7, $7)`,
    [a.id, a.workspaceId, a.name, a.description, JSON.stringify(a.definition), a.ownerId, new Date(a.at)],
  );
};

/** Writes a new version if the stored one is still `expectedVersion`; false if someone else wrote first. */
export const updateAudienceRow = async (
  db: SqlClient,
  a: {
    id: string;
    workspaceId: string;
    name: string;
    description: string;
    definition: unknown;
    expectedVersion: number;
    at: number;
  },
): Promise<boolean> =>
  updateAtVersion(
    db,
    'audiences',
    { workspace_id: a.workspaceId, id: a.id },
    [
      ['name', a.name],
      ['description', a.description],
      ['definition', JSON.stringify(a.definition), '::text::jsonb'],
      ['updated_at', new Date(a.at)],
    ],
    a.expectedVersion,
    { liveOnly: true },
  );

type NewAudience = Parameters<typeof insertAudience>[1];
type AudienceEdit = Parameters<typeof updateAudienceRow>[1];

/** Creates the audience with its audit entry, unless a live audience of the workspace has the name. */
export const createAudience = (
  db: SqlClient,
  a: NewAudience,
  audit: AuditEntry,
): Promise<WriteResult<'name_taken'>> =>
  writeAudited(
    db,
    async (tx) => {
      if (await audienceNameTaken(tx, a.workspaceId, a.name)) return 'name_taken';
      await insertAudience(tx, a);
      return 'written';
    },
    audit,
  );

/** Writes the edit with its audit entry, unless another audience has the name or the version moved on. */
export const editAudience = (
  db: SqlClient,
  a: AudienceEdit,
  audit: AuditEntry,
): Promise<WriteResult<'name_taken' | 'stale'>> =>
  writeAudited(
    db,
    async (tx) => {
      if (await audienceNameTaken(tx, a.workspaceId, a.name, a.id)) return 'name_taken';
      return (await updateAudienceRow(tx, a)) ? 'written' : 'stale';
    },
    audit,
  );

export const softDeleteAudience = async (
  db: SqlClient,
  workspaceId: string,
  id: string,
  at: number,
): Promise<boolean> =>
  (
    await db.query(
      'UPDATE audiences SET deleted_at = $3 WHERE workspace_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING id',
      [workspaceId, id, new Date(at)],
    )
  ).length > 0;
