import type { CompiledQuery } from '../../core/sql/params.ts';
import type { SqlParam, WarehouseSql } from '../warehouse-sql.ts';
import { PROFILE_EXPORT_COLUMNS, SCORE_EXPORT_COLUMNS } from '../../core/export/columns.ts';
import type { ExportNeeds, StoredExportRow } from '../../core/export/export-rows.ts';
import { REASON_TRAIT } from '../../core/scores/churn-reasons.ts';
import { Params, safeJson } from '../../core/sql/params.ts';

/**
 * Member lists of audience snapshots. They are written before the control plane records the
 * snapshot, so a list without a control-plane row is an aborted snapshot and is never read.
 * On ClickHouse the same statements run (the audience compiled in its dialect), except where a
 * spelling differs: the page's NULL test, and the export, which DuckDB streams from one query and
 * ClickHouse reads in keyset pages (its client has no row stream here).
 */

/**
 * Evaluates the compiled audience (in `warehouse.dialect`) and stores its members under
 * `snapshotId`; returns how many. On ClickHouse the INSERT … SELECT is one insert that is not
 * retried: every snapshot has a new id, and a list cut half-way belongs to no control-plane
 * snapshot (takeSnapshot deletes it), so it is never read.
 */
export const writeSnapshotMembers = async (
  warehouse: WarehouseSql,
  snapshotId: string,
  audience: CompiledQuery,
): Promise<number> => {
  const id = `$${audience.params.length + 1}`;
  const written = await warehouse.write(
    `INSERT INTO audience_snapshot_members SELECT ${id}, m.user_id FROM (${audience.sql}) AS m`,
    [...audience.params, snapshotId],
  );
  if (warehouse.dialect.name === 'duckdb') return written;
  // ClickHouse reports written rows only where the server sends a summary (chDB does not): the
  // stored list is the answer.
  return Number(
    await warehouse.scalar('SELECT count() FROM audience_snapshot_members WHERE snapshot_id = $1', [
      snapshotId,
    ]),
  );
};

/** On ClickHouse a lightweight delete: the rows are gone for reads at once. */
export const deleteSnapshotMembers = async (warehouse: WarehouseSql, snapshotId: string): Promise<void> => {
  await warehouse.write('DELETE FROM audience_snapshot_members WHERE snapshot_id = $1', [snapshotId]);
};

/** A page of member ids in id order, starting after `after` (keyset paging: stable and cheap). */
export const snapshotMemberPage = async (
  warehouse: WarehouseSql,
  snapshotId: string,
  page: { after?: string | undefined; limit: number },
): Promise<string[]> => {
  if (warehouse.dialect.name === 'duckdb')
    return (
      await warehouse.query<{ user_id: string }>(
        `SELECT user_id FROM audience_snapshot_members WHERE snapshot_id = $1 AND ($2::VARCHAR IS NULL OR user_id > $2::VARCHAR)
       ORDER BY user_id LIMIT $3`,
        [snapshotId, page.after ?? null, page.limit],
      )
    ).map((r) => r.user_id);
  // ClickHouse: no `::` casts; the first page simply has no lower bound.
  const after = page.after === undefined ? '' : ' AND user_id > $3';
  return (
    await warehouse.query<{ user_id: string }>(
      `SELECT user_id FROM audience_snapshot_members WHERE snapshot_id = $1${after} ORDER BY user_id LIMIT $2`,
      page.after === undefined ? [snapshotId, page.limit] : [snapshotId, page.limit, page.after],
    )
  ).map((r) => r.user_id);
};

/** Which of the score columns exist: the value model's are added by its DDL, maybe not yet run. */
const presentScoreColumns = async (warehouse: WarehouseSql): Promise<Set<string>> =>
  new Set(
    (
      await warehouse.query<{ column_name: string }>(
        warehouse.dialect.name === 'duckdb'
          ? `SELECT column_name FROM information_schema.columns WHERE table_name = 'user_scores'`
          : `SELECT name AS column_name FROM system.columns WHERE database = currentDatabase() AND table = 'user_scores'`,
      )
    ).map((r) => r.column_name),
  );

/**
 * The members with what the export needs, in user-id order, chunk by chunk: profile columns by
 * name, score columns by name (NULL where the column does not exist yet), `churn_reason` (the
 * latest survey answer, kept as that trait), the first churn-model reason's `reason_feature`,
 * `reason_value` and `reason_contribution`, and `traits.<key>` as text.
 */
export async function* streamSnapshotRows(
  warehouse: WarehouseSql,
  snapshotId: string,
  needs: ExportNeeds,
  /** Members per page where the rows are paged (ClickHouse); DuckDB streams. */
  pageRows = EXPORT_PAGE_ROWS,
): AsyncGenerator<StoredExportRow[]> {
  // Column names come from the fixed lists in core, never from the request text; trait keys
  // are bound as JSON paths.
  for (const c of needs.profile)
    if (!(PROFILE_EXPORT_COLUMNS as readonly string[]).includes(c))
      throw new Error(`not a profile column: ${c}`);
  for (const c of needs.scores)
    if (!(SCORE_EXPORT_COLUMNS as readonly string[]).includes(c)) throw new Error(`not a score column: ${c}`);
  if (!hasStream(warehouse)) {
    yield* pagedSnapshotRows(warehouse, snapshotId, needs, pageRows);
    return;
  }
  const p = new Params(1);
  const select = ['m.user_id', ...needs.profile.map((c) => `p.${c}`)];
  const joins = ['LEFT JOIN profiles p ON p.user_id = m.user_id'];
  if (needs.scores.length > 0) {
    const present = await presentScoreColumns(warehouse);
    select.push(...needs.scores.map((c) => (present.has(c) ? `s.${c}` : `NULL AS ${c}`)));
    joins.push('LEFT JOIN user_scores s ON s.user_id = m.user_id');
  }
  if (needs.churnReason)
    select.push(`${safeJson('json_extract_string', 'p.traits', p.add(`$.${REASON_TRAIT}`))} AS churn_reason`);
  if (needs.topReason) {
    select.push(
      'r.feature AS reason_feature',
      'r.value AS reason_value',
      'r.contribution AS reason_contribution',
    );
    joins.push('LEFT JOIN churn_risk_reasons r ON r.user_id = m.user_id AND r.rank = 1');
  }
  needs.traits.forEach((key, i) =>
    select.push(`${safeJson('json_extract_string', 'p.traits', p.add(`$.${key}`))} AS t${i}`),
  );
  const sql =
    `SELECT ${select.join(', ')} FROM audience_snapshot_members m ${joins.join(' ')} ` +
    `WHERE m.snapshot_id = $1 ORDER BY m.user_id`;
  for await (const rows of warehouse.stream(sql, [snapshotId, ...p.values]))
    yield rows.map((r) => {
      const out: StoredExportRow = { ...r, user_id: r['user_id'] };
      needs.traits.forEach((key, i) => {
        out[`traits.${key}`] = r[`t${i}`];
      });
      return out;
    });
}

/** DuckDB's warehouse streams a result in chunks (warehouse.ts `stream`). */
interface RowStreamer {
  stream(sql: string, params?: SqlParam[]): AsyncGenerator<Record<string, unknown>[]>;
}
const hasStream = (w: WarehouseSql): w is WarehouseSql & RowStreamer =>
  typeof (w as Partial<RowStreamer>).stream === 'function';

/** Members per page of the ClickHouse export: one page is one query, and its rows are held in memory. */
export const EXPORT_PAGE_ROWS = 10_000;

/**
 * streamSnapshotRows where rows cannot be streamed (ClickHouse): the same columns, page by page
 * in user-id order after the last id of the page before (keyset paging). Each page's profiles and
 * scores are read for its members only (`IN page`), not joined whole. LEFT JOINs answer NULL for
 * a missing row (join_use_nulls) as in DuckDB, not the column's default.
 */
async function* pagedSnapshotRows(
  warehouse: WarehouseSql,
  snapshotId: string,
  needs: ExportNeeds,
  pageRows: number,
): AsyncGenerator<StoredExportRow[]> {
  if (!Number.isSafeInteger(pageRows) || pageRows < 1)
    throw new Error(`export page rows must be a positive integer`);
  const d = warehouse.dialect;
  const present = needs.scores.length > 0 ? await presentScoreColumns(warehouse) : new Set<string>();
  let after: string | undefined;
  for (;;) {
    const p = new Params(0, d);
    const inPage = `SELECT user_id FROM page`;
    const select = ['m.user_id AS user_id', ...needs.profile.map((c) => `p.${c} AS ${c}`)];
    const joins = [
      `LEFT JOIN (SELECT * FROM profiles WHERE user_id IN (${inPage})) p ON p.user_id = m.user_id`,
    ];
    if (needs.scores.length > 0) {
      select.push(
        ...needs.scores.map((c) =>
          present.has(c) ? `s.${c} AS ${c}` : `CAST(NULL AS Nullable(Float64)) AS ${c}`,
        ),
      );
      joins.push(
        `LEFT JOIN (SELECT * FROM user_scores WHERE user_id IN (${inPage})) s ON s.user_id = m.user_id`,
      );
    }
    const traitText = (key: string) =>
      d.jsonText(
        'p.traits',
        d.jsonPath([key], `$.${key}`, (v) => p.add(v)),
      );
    if (needs.churnReason) select.push(`${traitText(REASON_TRAIT)} AS churn_reason`);
    if (needs.topReason) {
      select.push(
        'r.feature AS reason_feature',
        'r.value AS reason_value',
        'r.contribution AS reason_contribution',
      );
      joins.push(
        `LEFT JOIN (SELECT * FROM churn_risk_reasons WHERE rank = 1 AND user_id IN (${inPage})) r ON r.user_id = m.user_id`,
      );
    }
    needs.traits.forEach((key, i) => select.push(`${traitText(key)} AS t${i}`));
    const bound = after === undefined ? '' : ` AND user_id > ${p.add(after)}`;
    const page =
      `SELECT user_id FROM audience_snapshot_members WHERE snapshot_id = ${p.add(snapshotId)}${bound} ` +
      `ORDER BY user_id LIMIT ${p.add(pageRows)}`;
    const rows = await warehouse.query(
      `WITH page AS (${page}) SELECT ${select.join(', ')} FROM page m ${joins.join(' ')} ` +
        `ORDER BY m.user_id SETTINGS join_use_nulls = 1`,
      p.values,
    );
    if (rows.length === 0) return;
    yield rows.map((r) => {
      const out: StoredExportRow = { ...r, user_id: r['user_id'] };
      needs.traits.forEach((key, i) => {
        out[`traits.${key}`] = r[`t${i}`];
      });
      return out;
    });
    if (rows.length < pageRows) return;
    after = String(rows[rows.length - 1]?.['user_id']);
  }
}
