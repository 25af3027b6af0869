import { jsonValue, versionedRow } from '../row-values.ts';
import type { AuditEntry } from './audit-log.ts';
import { updateAtVersion, writeAudited, type WriteResult } from './audited-write.ts';
import type { SqlClient } from './sql-client.ts';

/** A configured provider as stored: secrets stay sealed until an adapter is built. */
export interface ProviderRecord {
  id: string;
  workspaceId: string;
  channel: string;
  kind: string;
  name: string;
  priority: number;
  ratePerSecond: number;
  enabled: boolean;
  config: Record<string, unknown>;
  secretsEnc: string;
  version: number;
  createdAt: number;
  updatedAt: number;
}

interface Row {
  id: string;
  workspace_id: string;
  channel: string;
  kind: string;
  name: string;
  priority: number;
  rate_per_second: number;
  enabled: boolean;
  config: Record<string, unknown> | string;
  secrets_enc: string;
  version: number;
  created_at: Date | string;
  updated_at: Date | string;
}

const record = (r: Row): ProviderRecord => ({
  ...versionedRow(r as unknown as Record<string, unknown>),
  channel: r.channel,
  kind: r.kind,
  name: r.name,
  priority: Number(r.priority),
  ratePerSecond: Number(r.rate_per_second),
  enabled: r.enabled,
  config: jsonValue<Record<string, unknown>>(r.config),
  secretsEnc: r.secrets_enc,
});

export const listProviders = async (
  db: SqlClient,
  workspaceId: string,
  filter: { channel?: string; enabledOnly?: boolean } = {},
): Promise<ProviderRecord[]> =>
  (
    await db.query<Row>(
      `SELECT * FROM providers WHERE workspace_id = $1 AND ($2::text IS NULL OR channel = $2)
         AND (NOT $3::boolean OR enabled) ORDER BY channel, priority, name`,
      [workspaceId, filter.channel ?? null, filter.enabledOnly ?? false],
    )
  ).map(record);

/**
 * What the registry compares to notice a change, possibly made by another process: per enabled
 * provider of the channel its id, version and a digest of everything an adapter is built from
 * (a hand-edited row that kept its version still counts as changed). A few short rows, no
 * secrets: cheap enough to ask every few seconds.
 */
export const providerFingerprint = async (
  db: SqlClient,
  workspaceId: string,
  channel: string,
): Promise<string> =>
  (
    await db.query<{ id: string; version: number; digest: string }>(
      `SELECT id, version,
              md5(kind || '|' || config::text || '|' || secrets_enc || '|' || priority::text || '|'
                  || rate_per_second::text) AS digest
         FROM providers WHERE workspace_id = $1 AND channel = $2 AND enabled ORDER BY priority, name`,
      [workspaceId, channel],
    )
  )
    .map((r) => `${r.id}:${Number(r.version)}:${r.digest}`)
    .join(',');

export const getProvider = async (db: SqlClient, id: string): Promise<ProviderRecord | null> => {
  const rows = await db.query<Row>('SELECT * FROM providers WHERE id = $1', [id]);
  return rows[0] ? record(rows[0]) : null;
};

export const insertProvider = async (db: SqlClient, p: ProviderRecord): Promise<void> => {
  await db.query(
    `INSERT INTO providers (id, workspace_id, channel, kind, name, priority, rate_per_second, enabled, config,
       secrets_enc, version, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text::jsonb, $10, $11, $12, $13)`,
    [
      p.id,
      p.workspaceId,
      p.channel,
      p.kind,
      p.name,
      p.priority,
      p.ratePerSecond,
      p.enabled,
      JSON.stringify(p.config),
      p.secretsEnc,
      p.version,
      new Date(p.createdAt),
      new Date(p.updatedAt),
    ],
  );
};

/** Writes the new state if the row is still at `expectedVersion`; false when someone changed it meanwhile. */
export const updateProvider = async (
  db: SqlClient,
  p: ProviderRecord,
  expectedVersion: number,
): Promise<boolean> =>
  updateAtVersion(
    db,
    'providers',
    { id: p.id },
    [
      ['name', p.name],
      ['priority', p.priority],
      ['rate_per_second', p.ratePerSecond],
      ['enabled', p.enabled],
      ['config', JSON.stringify(p.config), '::text::jsonb'],
      ['secrets_enc', p.secretsEnc],
      ['updated_at', new Date(p.updatedAt)],
    ],
    expectedVersion,
    { nextVersion: p.version },
  );

/**
 * Stores a new provider with its audit entry. A name the workspace uses already throws the
 * unique violation (see `isNameTaken`), rolling both back.
 */
export const createProvider = async (db: SqlClient, p: ProviderRecord, audit: AuditEntry): Promise<void> => {
  await writeAudited(
    db,
    async (tx) => {
      await insertProvider(tx, p);
      return 'written';
    },
    audit,
  );
};

/** Writes the new state with its audit entry, unless the row moved on from `expectedVersion`. */
export const editProvider = (
  db: SqlClient,
  p: ProviderRecord,
  expectedVersion: number,
  audit: AuditEntry,
): Promise<WriteResult<'stale'>> =>
  writeAudited(
    db,
    async (tx) => ((await updateProvider(tx, p, expectedVersion)) ? 'written' : 'stale'),
    audit,
  );

export const deleteProvider = async (db: SqlClient, id: string): Promise<boolean> =>
  (await db.query('DELETE FROM providers WHERE id = $1 RETURNING id', [id])).length > 0;

/** Every provider's sealed secrets, of every workspace (for re-sealing after a master-key rotation). */
export const sealedProviderSecrets = (db: SqlClient): Promise<{ id: string; secrets_enc: string }[]> =>
  db.query<{ id: string; secrets_enc: string }>('SELECT id, secrets_enc FROM providers');

/** Replaces one provider's sealed secrets as they are (no version step: the secrets themselves are unchanged). */
export const setSealedProviderSecrets = async (
  db: SqlClient,
  id: string,
  secretsEnc: string,
): Promise<void> => {
  await db.query('UPDATE providers SET secrets_enc = $2 WHERE id = $1', [id, secretsEnc]);
};

export const isNameTaken = (e: unknown): boolean =>
  (e as { code?: unknown }).code === '23505' ||
  /providers_workspace_id_name_key|unique/i.test(String((e as Error).message));
