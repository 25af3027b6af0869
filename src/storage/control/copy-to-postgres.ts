import { copyOrder } from '../../core/storage/control-copy-order.ts';
import { err, ok, type Result } from '../../core/result.ts';
import { loadMigrations, migrate, type Migration } from './migrate.ts';
import { csvRow, openSqlClient, type SqlClient } from './sql-client.ts';

/** Why nothing was copied (the target transaction rolled back or never began). */
export type ControlCopyRefusal =
  | { kind: 'target_not_empty'; table: string; rows: number }
  | { kind: 'migrations_differ'; source: number[]; target: number[] }
  | { kind: 'foreign_key_cycle'; tables: string[] }
  | { kind: 'counts_differ'; table: string; source: number; target: number };

export interface ControlCopyReport {
  tables: { table: string; rows: number }[];
  sequences: { sequence: string; value: number }[];
  copiedRows: number;
  ms: number;
}

export const formatControlCopyRefusal = (r: ControlCopyRefusal): string => {
  switch (r.kind) {
    case 'target_not_empty':
      return `the target's table ${r.table} already holds ${r.rows} row${r.rows === 1 ? '' : 's'}: copy only into a database (or schema) no Rekindle has used`;
    case 'migrations_differ':
      return `the migrations differ: the data directory has [${r.source.join(', ')}], the target [${r.target.join(', ')}] (run the same Rekindle version on both)`;
    case 'foreign_key_cycle':
      return `the foreign keys between ${r.tables.join(', ')} form a cycle, so no table order copies them`;
    case 'counts_differ':
      return `${r.table}: ${r.source} rows in the data directory, ${r.target} in the target after the copy (rolled back)`;
  }
};

/** The migrations' own bookkeeping: each side fills it by migrating, it is compared, not copied. */
const MIGRATIONS_TABLE = 'schema_migrations';
const BATCH_ROWS = 5_000;

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** A stored column; its text form is read back by the target column's own type on COPY. */
interface Column {
  name: string;
}

/** The tables of the client's current schema (the one its search path puts first). */
const tablesOf = async (db: SqlClient): Promise<string[]> =>
  (
    await db.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c
        WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
          AND NOT c.relispartition
        ORDER BY 1`,
    )
  ).map((r) => r.name);

const foreignKeysOf = async (db: SqlClient): Promise<{ from: string; to: string }[]> =>
  db.query<{ from: string; to: string }>(
    `SELECT f.relname AS "from", t.relname AS "to" FROM pg_constraint k
       JOIN pg_class f ON f.oid = k.conrelid JOIN pg_class t ON t.oid = k.confrelid
      WHERE k.contype = 'f' AND k.connamespace = current_schema()::regnamespace`,
  );

/** Stored columns in table order; generated columns are computed again on the target. */
const columnsOf = async (db: SqlClient, table: string): Promise<Column[]> =>
  db.query<Column>(
    `SELECT a.attname AS name FROM pg_attribute a
      WHERE a.attrelid = (quote_ident(current_schema()) || '.' || quote_ident($1))::regclass
        AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
      ORDER BY a.attnum`,
    [table],
  );

const primaryKeyOf = async (db: SqlClient, table: string): Promise<string[]> =>
  (
    await db.query<{ name: string }>(
      `SELECT a.attname AS name FROM pg_index i
         JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) ON true
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
        WHERE i.indrelid = (quote_ident(current_schema()) || '.' || quote_ident($1))::regclass
          AND i.indisprimary
        ORDER BY k.n`,
      [table],
    )
  ).map((r) => r.name);

/** Every sequence of the schema, with the column that owns it (serial, identity) if any. */
const sequencesOf = async (
  db: SqlClient,
): Promise<{ sequence: string; table: string | null; column: string | null }[]> =>
  db.query(
    `SELECT s.relname AS sequence, t.relname AS "table", a.attname AS "column" FROM pg_class s
       LEFT JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass
        AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
       LEFT JOIN pg_class t ON t.oid = d.refobjid
       LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
      WHERE s.relkind = 'S' AND s.relnamespace = current_schema()::regnamespace
      ORDER BY 1`,
  );

const countOf = async (db: SqlClient, table: string): Promise<number> =>
  Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${quote(table)}`))[0]?.n ?? 0);

const versionsOf = async (db: SqlClient): Promise<number[]> =>
  (await db.query<{ v: number }>(`SELECT version AS v FROM ${MIGRATIONS_TABLE} ORDER BY 1`)).map((r) =>
    Number(r.v),
  );

/**
 * Row counts the migrations themselves leave (the default workspace): measured on a throwaway
 * in-memory database, so a target holding just those counts as unused, and new seeds are covered.
 */
const seedCounts = async (migrations: readonly Migration[]): Promise<Map<string, number>> => {
  const fresh = await openSqlClient({ pgliteDir: 'memory://' });
  try {
    await migrate(fresh, [...migrations]);
    const counts = new Map<string, number>();
    for (const t of await tablesOf(fresh)) if (t !== MIGRATIONS_TABLE) counts.set(t, await countOf(fresh, t));
    return counts;
  } finally {
    await fresh.close();
  }
};

/** A refusal found inside the target transaction: thrown to roll it back, returned as a value. */
class Refused extends Error {
  constructor(readonly refusal: ControlCopyRefusal) {
    super(refusal.kind);
  }
}

/**
 * Copies the whole control plane of `source` (the data directory's PGlite) into `target`
 * (PostgreSQL, its current schema): both are migrated first; the target must hold no rows beyond
 * what the migrations seed. Tables come from the catalog, parents before children; rows travel
 * as PostgreSQL text (exact for every type: bytea, jsonb, arrays, timestamptz, numeric) through
 * COPY in batches of a read cursor; sequences end at the greater of the source's value and the
 * copied maximum. All in one target transaction: a refusal or error leaves the target as it was.
 */
export const copyControlPlane = async (
  source: SqlClient,
  target: SqlClient,
  options: {
    log?: (line: string) => void;
    now?: () => number;
    batchRows?: number;
    /** The migrations both sides get (tests add one); the shipped ones by default. */
    migrations?: readonly Migration[];
  } = {},
): Promise<Result<ControlCopyReport, ControlCopyRefusal>> => {
  const log = options.log ?? (() => undefined);
  const now = options.now ?? (() => performance.now());
  const batchRows = options.batchRows ?? BATCH_ROWS;
  const started = now();
  const migrations = options.migrations ?? loadMigrations();
  await migrate(source, [...migrations]);
  await migrate(target, [...migrations]);
  const [sourceVersions, targetVersions] = [await versionsOf(source), await versionsOf(target)];
  if (sourceVersions.join() !== targetVersions.join())
    return err({ kind: 'migrations_differ', source: sourceVersions, target: targetVersions });

  const tables = (await tablesOf(source)).filter((t) => t !== MIGRATIONS_TABLE);
  const order = copyOrder(tables, await foreignKeysOf(source));
  if (!order.ok) return err({ kind: 'foreign_key_cycle', tables: order.error.cycle });

  const seeds = await seedCounts(migrations);

  try {
    const report = await target.transaction((tx) =>
      source.transaction(async (src) => {
        // Checked inside the transaction, so nothing written meanwhile is overwritten.
        for (const table of order.value) {
          const rows = await countOf(tx, table);
          if (rows > (seeds.get(table) ?? 0)) throw new Refused({ kind: 'target_not_empty', table, rows });
        }
        // The seeded rows are in the source too (perhaps changed): children first, then copied back.
        for (const table of [...order.value].reverse())
          if ((seeds.get(table) ?? 0) > 0) await tx.exec(`DELETE FROM ${quote(table)}`);
        const copied: ControlCopyReport['tables'] = [];
        for (const table of order.value) {
          const columns = await columnsOf(src, table);
          const key = await primaryKeyOf(src, table);
          const select = columns.map((c, i) => `${quote(c.name)}::text AS c${i}`).join(', ');
          // Key order: a table's own references (none today) would find their rows first.
          const orderBy = key.length > 0 ? ` ORDER BY ${key.map(quote).join(', ')}` : '';
          await src.exec(
            `DECLARE rekindle_copy NO SCROLL CURSOR FOR SELECT ${select} FROM ${quote(table)}${orderBy}`,
          );
          let rows = 0;
          for (;;) {
            const batch = await src.query<Record<string, string | null>>(
              `FETCH FORWARD ${batchRows} FROM rekindle_copy`,
            );
            if (batch.length === 0) break;
            const names = columns.map((c) => c.name);
            const csv = batch.map((r) => csvRow(columns.map((_, i) => r[`c${i}`] ?? null))).join('');
            await tx.copyCsv(table, names, csv);
            rows += batch.length;
          }
          await src.exec('CLOSE rekindle_copy');
          const sourceRows = await countOf(src, table);
          const targetRows = await countOf(tx, table);
          if (sourceRows !== targetRows || rows !== sourceRows)
            throw new Refused({ kind: 'counts_differ', table, source: sourceRows, target: targetRows });
          log(`${table.padEnd(30)} ${rows} rows`);
          copied.push({ table, rows });
        }
        const sequences: ControlCopyReport['sequences'] = [];
        for (const s of await sequencesOf(src)) {
          const state = (
            await src.query<{ last: string; called: boolean }>(
              `SELECT last_value AS last, is_called AS called FROM ${quote(s.sequence)}`,
            )
          )[0];
          const max =
            s.table !== null && s.column !== null
              ? (
                  await tx.query<{ m: string | null }>(
                    `SELECT max(${quote(s.column)})::text AS m FROM ${quote(s.table)}`,
                  )
                )[0]?.m
              : null;
          const sourceNext = state === undefined ? 1 : Number(state.last) + (state.called ? 1 : 0);
          const next = Math.max(sourceNext, max === null || max === undefined ? 1 : Number(max) + 1);
          // setval(seq, next, false): the next nextval() returns `next`.
          await tx.query(`SELECT setval($1::regclass, $2, false)`, [`${quote(s.sequence)}`, next]);
          sequences.push({ sequence: s.sequence, value: next });
        }
        return { tables: copied, sequences };
      }),
    );
    return ok({
      ...report,
      copiedRows: report.tables.reduce((n, t) => n + t.rows, 0),
      ms: now() - started,
    });
  } catch (e) {
    if (e instanceof Refused) return err(e.refusal);
    throw e;
  }
};
