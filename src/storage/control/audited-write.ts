import { appendAudit, type AuditEntry } from './audit-log.ts';
import type { SqlClient } from './sql-client.ts';

/**
 * The one way an audited record (audience, warning rule, campaign, provider) is created or
 * edited: the change and its audit entry in one transaction, so both land or neither, and an
 * edit guarded by the version its editor saw, so a stale edit writes nothing and says so.
 */

/** What an audited write did: `'written'`, or why it wrote nothing (`'stale'`, `'name_taken'`, …). */
export type WriteResult<Refusal extends string> = 'written' | Refusal;

/**
 * Runs `write` in a transaction and appends `audit` there when it answers `'written'`; any other
 * answer (nothing was written) leaves the log alone. A throw rolls both back.
 */
export const writeAudited = async <Refusal extends string>(
  db: SqlClient,
  write: (tx: SqlClient) => Promise<WriteResult<Refusal>>,
  audit: AuditEntry,
): Promise<WriteResult<Refusal>> =>
  db.transaction(async (tx) => {
    const result = await write(tx);
    if (result === 'written') await appendAudit(tx, audit);
    return result;
  });

/** A column to set: its name, the value, and a cast for the placeholder (e.g. `'::text::jsonb'`). */
export type SetColumn = readonly [column: string, value: unknown, cast?: string];

/**
 * `UPDATE <table> SET … WHERE <key columns> AND version = <expected> RETURNING id`: writes only if
 * the stored row is still at `expectedVersion` and answers whether it did (false: someone else
 * wrote first, or the row is gone). The version becomes `nextVersion` when given, else
 * `version + 1`; `liveOnly` also skips soft-deleted rows.
 */
export const updateAtVersion = async (
  db: SqlClient,
  table: string,
  key: Readonly<Record<string, unknown>>,
  set: readonly SetColumn[],
  expectedVersion: number,
  o: { nextVersion?: number; liveOnly?: boolean } = {},
): Promise<boolean> => {
  const params: unknown[] = [];
  const placeholder = (value: unknown, cast = '') => {
    params.push(value);
    return `$${params.length}${cast}`;
  };
  const sets = set.map(([column, value, cast]) => `${column} = ${placeholder(value, cast)}`);
  sets.push(`version = ${o.nextVersion === undefined ? 'version + 1' : placeholder(o.nextVersion)}`);
  const where = Object.entries(key).map(([column, value]) => `${column} = ${placeholder(value)}`);
  where.push(`version = ${placeholder(expectedVersion)}`);
  if (o.liveOnly) where.push('deleted_at IS NULL');
  const rows = await db.query(
    `UPDATE ${table} SET ${sets.join(', ')} WHERE ${where.join(' AND ')} RETURNING id`,
    params,
  );
  return rows.length > 0;
};
