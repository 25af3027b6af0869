import { err, ok, type Result } from '../../core/result.ts';

/**
 * How one DuckDB warehouse table is read for ClickHouse (pure): the SELECT that turns each
 * column into the type its ClickHouse counterpart stores, and the structure ClickHouse reads
 * the Parquet file with. Types are converted in DuckDB, explicitly, so nothing is left to the
 * Parquet reader's inference: times as millisecond TIMESTAMPs (ClickHouse keeps DateTime64(3)),
 * JSON documents as their text.
 */

/** The tables with a ClickHouse counterpart (src/storage/clickhouse/ddl.ts), copied in this order. */
export const COPY_TABLES = [
  'events',
  'profiles',
  'profile_history',
  'user_scores',
  'message_facts',
  'ingest_rejections',
  'audience_snapshot_members',
  'conversions',
  // The links, so that calls still sent with a merged id land on its user after the move.
  'identity_links',
] as const;

export type CopyTable = (typeof COPY_TABLES)[number];

export interface Column {
  name: string;
  type: string;
  /** ClickHouse only: the column has a DEFAULT, so a row may leave it out. */
  hasDefault?: boolean;
}

export interface TablePlan {
  table: string;
  /** `SELECT … FROM table` on DuckDB, one output column per ClickHouse column, same names. */
  select: string;
  /** The ClickHouse columns written, with their types (the Parquet file is read as these). */
  structure: Column[];
  /** DuckDB expressions that count the rows a DateTime64 cannot hold, one per time column. */
  outOfRange: { column: string; condition: string }[];
}

/**
 * DateTime64's range (ClickHouse documents 1900-01-01 to 2299-12-31): DuckDB accepts years 1–9999,
 * and a time outside this range would be clamped on insert, i.e. stored as another time.
 */
export const CLICKHOUSE_TIME_MIN = '1900-01-01 00:00:00';
export const CLICKHOUSE_TIME_END = '2300-01-01 00:00:00';

/** The type inside Nullable(…), LowCardinality(…) and SimpleAggregateFunction(f, …). */
export const baseType = (type: string): string => {
  const m = /^(?:LowCardinality\(|Nullable\(|SimpleAggregateFunction\(\w+,\s*)(.*)\)$/.exec(type.trim());
  return m?.[1] === undefined ? type.trim() : baseType(m[1]);
};

export const isNullable = (type: string): boolean => /^(LowCardinality\()?Nullable\(/.test(type.trim());

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** DuckDB types a ClickHouse numeric or boolean column is written from. */
const CASTS: Readonly<Record<string, string>> = {
  Bool: 'BOOLEAN',
  Int8: 'TINYINT',
  Int16: 'SMALLINT',
  Int32: 'INTEGER',
  Int64: 'BIGINT',
  UInt8: 'UTINYINT',
  UInt16: 'USMALLINT',
  UInt32: 'UINTEGER',
  UInt64: 'UBIGINT',
  Float32: 'FLOAT',
  Float64: 'DOUBLE',
};

/**
 * The plan for one table, from both sides' columns. A ClickHouse column DuckDB lacks takes its
 * DEFAULT when it has one, is NULL when nullable, else the table cannot be copied (a value would
 * have to be invented).
 */
export const planTableCopy = (
  table: string,
  target: readonly Column[],
  source: readonly Column[],
): Result<TablePlan, string> => {
  if (target.length === 0) return err(`${table}: the ClickHouse table has no columns (is it missing?)`);
  const sourceType = new Map(source.map((c) => [c.name, c.type.toUpperCase()]));
  const exprs: string[] = [];
  const outOfRange: TablePlan['outOfRange'] = [];
  const written = target.filter((c) => !(c.hasDefault === true && !sourceType.has(c.name)));
  for (const col of written) {
    const from = sourceType.get(col.name);
    const base = baseType(col.type);
    const nullable = isNullable(col.type);
    const q = quote(col.name);
    if (from === undefined) {
      if (!nullable)
        return err(`${table}.${col.name}: not in the DuckDB table, and ClickHouse needs a value`);
      exprs.push(`NULL AS ${q}`);
      continue;
    }
    let expr: string;
    if (base.startsWith('DateTime64')) {
      // Milliseconds, as Rekindle stores and ClickHouse keeps them (DateTime64(3)).
      expr = `CAST(${q} AS TIMESTAMP_MS)`;
      outOfRange.push({
        column: col.name,
        condition: `${q} < TIMESTAMP '${CLICKHOUSE_TIME_MIN}' OR ${q} >= TIMESTAMP '${CLICKHOUSE_TIME_END}'`,
      });
    } else if (base === 'String') {
      // A JSON document as its text; an absent document is the empty object where NULL has no place.
      expr = from === 'JSON' && !nullable ? `coalesce(CAST(${q} AS VARCHAR), '{}')` : `CAST(${q} AS VARCHAR)`;
    } else {
      const cast = CASTS[base];
      if (cast === undefined) return err(`${table}.${col.name}: ClickHouse type ${col.type} is not copied`);
      expr = `CAST(${q} AS ${cast})`;
    }
    exprs.push(`${expr} AS ${q}`);
  }
  return ok({
    table,
    select: `SELECT ${exprs.join(', ')} FROM ${quote(table)}`,
    structure: written.map((c) => ({ name: c.name, type: c.type })),
    outOfRange,
  });
};
