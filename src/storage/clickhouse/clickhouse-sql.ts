import { clickhouseDialect, clickHouseType, type SqlDialect } from '../../core/sql/dialect.ts';
import type { RowAppender, SqlParam, WarehouseSql, WarehouseTx } from '../warehouse-sql.ts';
import type { ChParam, ClickHouseDb } from './client.ts';
import { chTime } from './ingest-rows.ts';

/** A `$n` placeholder outside a quoted text or identifier. */
const POSITIONAL = /'(?:[^'\\]|\\.)*'|`[^`]*`|"[^"]*"|\$(\d+)/g;

const chValue = (v: SqlParam): ChParam => (typeof v === 'bigint' ? Number(v) : v);
const chTypeOf = (v: SqlParam): string =>
  typeof v === 'bigint' ? 'Int64' : v === null ? 'Nullable(String)' : clickHouseType(v);

/**
 * A statement written with DuckDB's `$n` placeholders (or the dialect's `{pN:Type}`) and its
 * positional values, as ClickHouse binds them: `$n` becomes `{pn:Type}`, typed from the value
 * (integers Int64, other numbers Float64, text String, NULL Nullable(String)), and every value
 * is passed as `pn`. A placeholder whose value is NULL and whose column is not text needs an
 * explicit cast in the statement (`CAST($1 AS Nullable(Int64))`).
 */
export const bindForClickHouse = (
  sql: string,
  params: readonly SqlParam[],
): { sql: string; params: Record<string, ChParam> } => {
  const text = sql.replace(POSITIONAL, (whole, n: string | undefined) => {
    if (n === undefined) return whole;
    const i = Number(n) - 1;
    if (i < 0 || i >= params.length)
      throw new Error(`placeholder $${n} has no value (${params.length} given)`);
    return `{p${n}:${chTypeOf(params[i] as SqlParam)}}`;
  });
  return { sql: text, params: Object.fromEntries(params.map((v, i) => [`p${i + 1}`, chValue(v)])) };
};

/** Column names of a table in order, for an appender that fills rows positionally. */
const readColumns = async (db: ClickHouseDb, table: string): Promise<string[]> => {
  const rows = await db.query<{ name: string }>(
    'SELECT name FROM system.columns WHERE database = currentDatabase() AND table = {t:String} ORDER BY position',
    { t: table },
  );
  if (rows.length === 0) throw new Error(`append: no table ${table} in the ClickHouse warehouse`);
  return rows.map((r) => r.name);
};

/** DuckDB's appender over ClickHouse: the rows are collected, then inserted in one JSONEachRow insert. */
const append = async (
  db: ClickHouseDb,
  columnsOf: (table: string) => Promise<string[]>,
  table: string,
  fill: (row: RowAppender) => void,
): Promise<void> => {
  const rows: unknown[][] = [];
  let row: unknown[] = [];
  const put = (v: unknown) => row.push(v);
  fill({
    varchar: put,
    double: put,
    integer: put,
    bigint: put,
    timestamp: (ms) => put(ms === null ? null : chTime(ms)),
    end: () => {
      rows.push(row);
      row = [];
    },
  });
  if (rows.length === 0) return;
  const names = await columnsOf(table);
  await db.insert(
    table,
    rows.map((r) => Object.fromEntries(r.map((v, i) => [names[i] ?? `c${i}`, v]))),
  );
};

/** The statements of the ClickHouse warehouse (WarehouseSql); the engine's specifics are in client.ts. */
export class ClickHouseSql implements WarehouseSql {
  readonly dialect: SqlDialect = clickhouseDialect;
  // Tables change only when the warehouse opens (its DDL): each table's columns are read once.
  private readonly columns = new Map<string, Promise<string[]>>();

  constructor(readonly db: ClickHouseDb) {}

  async query<T = Record<string, unknown>>(sql: string, params: SqlParam[] = []): Promise<T[]> {
    const b = bindForClickHouse(sql, params);
    return this.db.queryValues<T>(b.sql, b.params);
  }

  async scalar<T = unknown>(sql: string, params: SqlParam[] = []): Promise<T> {
    const rows = await this.query<Record<string, T>>(sql, params);
    const first = rows[0];
    if (first === undefined) throw new Error(`scalar query returned no row: ${sql}`);
    return Object.values(first)[0] as T;
  }

  async write(sql: string, params: SqlParam[] = []): Promise<number> {
    const b = bindForClickHouse(sql, params);
    return this.db.commandCounted(b.sql, b.params);
  }

  private columnsOf(table: string): Promise<string[]> {
    let known = this.columns.get(table);
    if (known === undefined) {
      known = readColumns(this.db, table);
      // A failed read (no such table yet) is not remembered.
      known.catch(() => this.columns.delete(table));
      this.columns.set(table, known);
    }
    return known;
  }

  /** Not atomic (WarehouseSql.transaction): the statements run in order on the engine. */
  async transaction<T>(work: (tx: WarehouseTx) => Promise<T>): Promise<T> {
    return work({
      run: (sql, params) => this.write(sql, params),
      query: (sql, params) => this.query(sql, params),
      append: async (table, fill, options) => {
        if (options?.temp === true)
          throw new Error(
            `append(${table}, temp): ClickHouse has no session temp tables here; bind an array`,
          );
        await append(this.db, (t) => this.columnsOf(t), table, fill);
      },
    });
  }
}
