import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { err, ok, type Result } from '../../core/result.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';
import type { ClickHouseSettings } from '@clickhouse/client';
import type { ClickHouseDb } from './client.ts';
import { COPY_TABLES, planTableCopy, type Column, type TablePlan } from './copy-columns.ts';
import { applyClickHouseDdl } from './ddl.ts';

/**
 * Moves an embedded installation's warehouse into ClickHouse: every table with a ClickHouse
 * counterpart, each exported by DuckDB to a typed Parquet file and read by ClickHouse in one
 * insert (chDB reads the file in place; a server is sent it over HTTP).
 *
 * Idempotent by table, without insert tokens: a table whose ClickHouse side already holds as
 * many rows as DuckDB is taken as copied and skipped, an empty one is copied, and one holding
 * some other number of rows (a copy cut short, or rows from elsewhere) is refused unless
 * `replace`, which empties that table first. Every check runs before anything is written, so
 * a refusal leaves ClickHouse as it was; a rerun after a crash finishes what is left.
 */

export interface CopyOptions {
  log?: (line: string) => void;
  /** Empty a ClickHouse table that holds a different number of rows, then copy it. */
  replace?: boolean;
  /** Where the Parquet files are written (default: the OS temporary directory). */
  tmpDir?: string;
}

export interface TableCopyReport {
  table: string;
  /** Rows in DuckDB, and in ClickHouse after the copy (equal, or the copy is an error). */
  sourceRows: number;
  targetRows: number;
  action: 'copied' | 'replaced' | 'already_copied';
  /** Rows written by this run (0 when already copied). */
  copiedRows: number;
  parquetBytes: number;
  exportMs: number;
  insertMs: number;
}

export interface CopyReport {
  tables: TableCopyReport[];
  copiedRows: number;
  ms: number;
}

export type CopyRefusal =
  | { kind: 'not_empty'; table: string; sourceRows: number; targetRows: number }
  | { kind: 'out_of_range'; table: string; column: string; rows: number }
  | { kind: 'not_copyable'; table: string; reason: string }
  | { kind: 'counts_differ'; table: string; sourceRows: number; targetRows: number };

/** One line per refusal, for the CLI. */
export const formatCopyRefusal = (r: CopyRefusal): string => {
  switch (r.kind) {
    case 'not_empty':
      return `${r.table}: ClickHouse already holds ${r.targetRows} rows, DuckDB ${r.sourceRows}; run again with --replace to empty that table and copy it again`;
    case 'out_of_range':
      return `${r.table}.${r.column}: ${r.rows} rows hold a time outside 1900-01-01 … 2299-12-31, which ClickHouse's DateTime64 cannot store; delete or correct them in DuckDB first`;
    case 'not_copyable':
      return `${r.table}: ${r.reason}`;
    case 'counts_differ':
      return `${r.table}: after the copy ClickHouse holds ${r.targetRows} rows, DuckDB ${r.sourceRows}`;
  }
};

const count = (v: unknown): number => Number(v);

const targetColumns = async (db: ClickHouseDb, table: string): Promise<Column[]> =>
  (
    await db.query<{ name: string; type: string; default_kind: string }>(
      `SELECT name, type, default_kind FROM system.columns
     WHERE database = currentDatabase() AND table = {table:String}
       AND default_kind NOT IN ('MATERIALIZED', 'ALIAS', 'EPHEMERAL')
     ORDER BY position`,
      { table },
    )
  ).map((c) => ({ name: c.name, type: c.type, hasDefault: c.default_kind === 'DEFAULT' }));

const sourceColumns = async (wh: Warehouse, table: string): Promise<Column[]> =>
  (
    await wh.query<{ name: string; type: string }>(
      `SELECT column_name AS name, data_type AS type FROM information_schema.columns
       WHERE table_schema = 'main' AND table_name = $1 ORDER BY ordinal_position`,
      [table],
    )
  ).map((c) => ({ name: c.name, type: c.type }));

const targetCount = async (db: ClickHouseDb, table: string): Promise<number> =>
  count((await db.query<{ n: number }>(`SELECT count() AS n FROM ${table}`))[0]?.n);

interface Checked {
  plan: TablePlan;
  /** The table the rows are inserted into, and the one --replace empties. */
  write: string;
  truncate: string;
  sourceRows: number;
  targetRows: number;
  action: TableCopyReport['action'];
}

/**
 * Where a table's rows go when ClickHouse keeps it as a view: `profiles` is folded from
 * `profile_state`, and whole DuckDB profile rows enter through `profiles_import` (profile-ddl.ts).
 */
const VIEW_ROUTES: Readonly<Record<string, { write: string; truncate: string }>> = {
  profiles: { write: 'profiles_import', truncate: 'profile_state' },
};

/** Everything that decides whether and how a table is copied, read before any write. */
const check = async (
  wh: Warehouse,
  db: ClickHouseDb,
  table: string,
  replace: boolean,
): Promise<Result<Checked, CopyRefusal[]>> => {
  const engines = new Map(
    (
      await db.query<{ name: string; engine: string }>(
        'SELECT name, engine FROM system.tables WHERE database = currentDatabase()',
      )
    ).map((t) => [t.name, t.engine]),
  );
  const engine = engines.get(table);
  const route = VIEW_ROUTES[table];
  const isView = engine === 'View' || engine === 'MaterializedView';
  if (engine === undefined || (isView && (route === undefined || !engines.has(route.write))))
    return err([
      {
        kind: 'not_copyable',
        table,
        reason: engine === undefined ? 'no such ClickHouse table' : `the ClickHouse ${table} is a ${engine}`,
      },
    ]);
  const write = isView && route !== undefined ? route : { write: table, truncate: table };
  const plan = planTableCopy(table, await targetColumns(db, write.write), await sourceColumns(wh, table));
  if (!plan.ok) return err([{ kind: 'not_copyable', table, reason: plan.error }]);
  const counts = [
    'count(*) AS "rows"',
    ...plan.value.outOfRange.map((c, i) => `count(*) FILTER (WHERE ${c.condition}) AS "r${i}"`),
  ];
  const row = (await wh.query(`SELECT ${counts.join(', ')} FROM "${table}"`))[0] ?? {};
  const refusals: CopyRefusal[] = [];
  plan.value.outOfRange.forEach((c, i) => {
    const rows = count(row[`r${i}`]);
    if (rows > 0) refusals.push({ kind: 'out_of_range', table, column: c.column, rows });
  });
  const sourceRows = count(row['rows']);
  const targetRows = await targetCount(db, table);
  const action: TableCopyReport['action'] =
    targetRows === 0 ? 'copied' : targetRows === sourceRows ? 'already_copied' : 'replaced';
  if (action === 'replaced' && !replace) refusals.push({ kind: 'not_empty', table, sourceRows, targetRows });
  return refusals.length > 0
    ? err(refusals)
    : ok({ plan: plan.value, sourceRows, targetRows, action, ...write });
};

/** Insert settings of the copy: see the comments. */
const INSERT_SETTINGS: ClickHouseSettings = {
  // Idempotence is by row counts (above): a table emptied by --replace must take the same
  // blocks again, which insert deduplication would drop as already seen.
  insert_deduplicate: 0,
  // Years of events are many monthly partitions in one block; the limit guards live inserts.
  max_partitions_per_insert_block: '0',
};

export const copyDuckDbToClickHouse = async (
  warehouse: Warehouse,
  db: ClickHouseDb,
  options: CopyOptions = {},
): Promise<Result<CopyReport, CopyRefusal[]>> => {
  const log = options.log ?? (() => undefined);
  const started = performance.now();
  await applyClickHouseDdl(db);

  const checked: Checked[] = [];
  const refusals: CopyRefusal[] = [];
  for (const table of COPY_TABLES) {
    const c = await check(warehouse, db, table, options.replace === true);
    if (c.ok) checked.push(c.value);
    else refusals.push(...c.error);
  }
  if (refusals.length > 0) return err(refusals);

  const dir = mkdtempSync(join(options.tmpDir ?? tmpdir(), 'rekindle-copy-'));
  const tables: TableCopyReport[] = [];
  try {
    for (const c of checked) {
      const table = c.plan.table;
      if (c.action === 'already_copied') {
        log(`${table}: ${c.sourceRows} rows already in ClickHouse, skipped`);
        tables.push({
          table,
          sourceRows: c.sourceRows,
          targetRows: c.targetRows,
          action: c.action,
          copiedRows: 0,
          parquetBytes: 0,
          exportMs: 0,
          insertMs: 0,
        });
        continue;
      }
      if (c.action === 'replaced') {
        log(`${table}: emptying ${c.targetRows} rows in ClickHouse (--replace)`);
        await db.command(`TRUNCATE TABLE ${c.truncate}`);
      }
      let exportMs = 0;
      let insertMs = 0;
      let parquetBytes = 0;
      if (c.sourceRows > 0) {
        const file = join(dir, `${table}.parquet`);
        const t0 = performance.now();
        await warehouse.query(
          `COPY (${c.plan.select}) TO '${file.replaceAll("'", "''")}' (FORMAT parquet, COMPRESSION snappy)`,
        );
        exportMs = performance.now() - t0;
        parquetBytes = statSync(file).size;
        const t1 = performance.now();
        await db.insertParquetFile(c.write, file, c.plan.structure, INSERT_SETTINGS);
        insertMs = performance.now() - t1;
        rmSync(file, { force: true });
      }
      const targetRows = await targetCount(db, table);
      const seconds = (exportMs + insertMs) / 1000;
      log(
        `${table}: ${c.sourceRows} rows copied in ${seconds.toFixed(1)} s (export ${(exportMs / 1000).toFixed(1)} s, ` +
          `insert ${(insertMs / 1000).toFixed(1)} s, ${(parquetBytes / 2 ** 20).toFixed(1)} MiB Parquet)`,
      );
      tables.push({
        table,
        sourceRows: c.sourceRows,
        targetRows,
        action: c.action,
        copiedRows: c.sourceRows,
        parquetBytes,
        exportMs,
        insertMs,
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // The verification: every table's rows counted again on both sides.
  const differ: CopyRefusal[] = [];
  for (const t of tables) {
    const sourceRows = count(await warehouse.scalar(`SELECT count(*) FROM "${t.table}"`));
    t.targetRows = await targetCount(db, t.table);
    log(
      `  ${t.table.padEnd(26)} DuckDB ${String(sourceRows).padStart(11)}  ClickHouse ${String(t.targetRows).padStart(11)}`,
    );
    if (sourceRows !== t.targetRows)
      differ.push({ kind: 'counts_differ', table: t.table, sourceRows, targetRows: t.targetRows });
  }
  if (differ.length > 0) return err(differ);
  return ok({
    tables,
    copiedRows: tables.reduce((s, t) => s + t.copiedRows, 0),
    ms: performance.now() - started,
  });
};
