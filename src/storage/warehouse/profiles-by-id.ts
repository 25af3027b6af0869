import type { WarehouseSql } from '../warehouse-sql.ts';
import { inList, jsonList } from './id-list.ts';

/**
 * Whole profile rows of some users, every column as the warehouse gives it: the composer renders
 * templates over all of them (one query per batch of claimed messages). The ids travel as one
 * JSON list, unpacked by each engine (DuckDB's text is kept as it was).
 */
export const profilesByIds = (w: WarehouseSql, ids: readonly string[]): Promise<Record<string, unknown>[]> =>
  w.query<Record<string, unknown>>(
    w.dialect.name === 'duckdb'
      ? `SELECT * FROM profiles WHERE user_id IN (SELECT unnest(from_json($1, '["VARCHAR"]')))`
      : `SELECT * FROM profiles WHERE user_id IN (${inList('$1', w.dialect)})`,
    [jsonList(ids)],
  );
