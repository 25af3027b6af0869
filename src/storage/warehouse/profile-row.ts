import type { WarehouseSql } from '../warehouse-sql.ts';

/**
 * One user's whole profile row, every column as the warehouse gives it (a campaign preview
 * renders its templates over all of them), or undefined for an unknown user. The same SQL on
 * both engines (ClickHouse's `profiles` is a view with DuckDB's columns).
 */
export const profileRow = async (
  w: WarehouseSql,
  userId: string,
): Promise<Record<string, unknown> | undefined> =>
  (await w.query<Record<string, unknown>>('SELECT * FROM profiles WHERE user_id = $1', [userId]))[0];
