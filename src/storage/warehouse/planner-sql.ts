import type { SqlDialect } from '../../core/sql/dialect.ts';
import type { SqlParam, WarehouseSql } from '../warehouse-sql.ts';

/**
 * Small helpers of the planner's statement modules (planner-inputs.ts, planner-profiles.ts,
 * user-segments.ts, channel-reach-inputs.ts, plan-decisions.ts, user-decisions.ts) on either
 * engine. The DuckDB statements keep their own text; these give the ClickHouse spellings that the
 * shared dialect (core/sql/dialect.ts) does not have.
 */

/** The DuckDB warehouse's column-wise read, where the warehouse has one. */
interface ColumnReader {
  columns(sql: string, params?: SqlParam[]): Promise<Record<string, unknown[]>>;
}

const readsColumns = (w: WarehouseSql): w is WarehouseSql & ColumnReader =>
  typeof (w as Partial<ColumnReader>).columns === 'function';

/**
 * A result column by column. DuckDB reads columns directly (a million-row result without an
 * object per row); elsewhere the rows are turned into columns. A column of an empty result is
 * absent: readers default it to `[]`.
 */
export const readColumns = async (
  w: WarehouseSql,
  sql: string,
  params: SqlParam[] = [],
): Promise<Record<string, unknown[]>> => {
  if (readsColumns(w)) return w.columns(sql, params);
  const rows = await w.query(sql, params);
  const out: Record<string, unknown[]> = {};
  for (const name of Object.keys(rows[0] ?? {})) out[name] = rows.map((r) => r[name]);
  return out;
};

/**
 * `x` rounded to an integer with halves away from zero, as DuckDB's `round` of a DOUBLE; as
 * Int64. ClickHouse's `round` of a Float64 rounds halves to even (12.5 → 12): cents computed from
 * the same data must agree on both engines. NULL stays NULL.
 */
export const roundedInt64 = (dialect: SqlDialect, x: string): string =>
  dialect.name === 'duckdb' ? `CAST(round(${x}) AS BIGINT)` : `toInt64(sign(${x}) * floor(abs(${x}) + 0.5))`;

/** A JSON list of texts (a bound parameter) as an array, on ClickHouse. */
export const chTextArray = (param: string): string => `JSONExtract(${param}, 'Array(String)')`;

/** A trait's text (json_extract_string) from a profile's JSON `traits` text, on ClickHouse. */
export const chTrait = (traits: string, key: string): string => {
  // The keys are the planner's own constants, never input: they may be written into the SQL.
  if (!/^[A-Za-z0-9_]+$/.test(key)) throw new Error(`trait key ${key} is not a plain name`);
  return `JSONExtract(${traits}, '${key}', 'Nullable(String)')`;
};
