import type { CompiledQuery } from '../../core/sql/params.ts';
import type { SqlParam, WarehouseSql } from '../warehouse-sql.ts';

/** DuckDB's warehouse also reads a result column-wise (warehouse.ts `columns`). */
interface ColumnReader {
  columns(sql: string, params?: SqlParam[]): Promise<Record<string, unknown[]>>;
}
const readsColumns = (w: WarehouseSql): w is WarehouseSql & ColumnReader =>
  typeof (w as Partial<ColumnReader>).columns === 'function';

/**
 * The user ids a compiled audience selects, in id order: the members of a saved audience as of
 * the time it was compiled for (in `w.dialect`). DuckDB reads them column-wise (audiences can
 * hold millions of members, and a row object each costs far more); ClickHouse's client answers
 * rows, of one string column.
 */
export const compiledAudienceMemberIds = async (
  w: WarehouseSql,
  compiled: CompiledQuery,
): Promise<string[]> => {
  const sql = `SELECT user_id FROM (${compiled.sql}) AS m ORDER BY user_id`;
  if (readsColumns(w)) return ((await w.columns(sql, compiled.params))['user_id'] ?? []) as string[];
  return (await w.query<{ user_id: string }>(sql, compiled.params)).map((r) => r.user_id);
};
