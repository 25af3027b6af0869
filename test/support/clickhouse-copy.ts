import type { ClickHouseDb } from '../../src/storage/clickhouse/client.ts';
import type { Warehouse } from '../../src/storage/warehouse/warehouse.ts';

/**
 * Copies a small DuckDB warehouse's rows into a ClickHouse warehouse for tests, so both engines
 * answer over the same data: each ClickHouse table's columns are read from the DuckDB table of
 * the same name (times as epoch ms, JSON as text). Profiles go through `profiles_import` (the
 * ClickHouse `profiles` is a view over folded state, profile-ddl.ts). Small data only: one read
 * and one insert per table.
 */
const TABLES: readonly { from: string; to: string }[] = [
  { from: 'events', to: 'events' },
  { from: 'profiles', to: 'profiles_import' },
  { from: 'profile_history', to: 'profile_history' },
  { from: 'user_scores', to: 'user_scores' },
];

/** DateTime64 text in UTC ('2024-06-01 00:00:00.000'), which JSONEachRow reads in the column's zone. */
const chTime = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

export const copyWarehouseToClickHouse = async (
  wh: Warehouse,
  ch: ClickHouseDb,
): Promise<Record<string, number>> => {
  const counts: Record<string, number> = {};
  for (const { from, to } of TABLES) {
    const columns = await ch.query<{ name: string; type: string }>(`DESCRIBE TABLE ${to}`);
    const select = columns.map(({ name, type }) =>
      type.includes('DateTime64')
        ? `epoch_ms(${name}) AS ${name}`
        : type.includes('String')
          ? `CAST(${name} AS VARCHAR) AS ${name}`
          : name,
    );
    const rows = await wh.query(`SELECT ${select.join(', ')} FROM ${from}`);
    const out = rows.map((r) =>
      Object.fromEntries(
        columns.map(({ name, type }) => {
          const v = r[name];
          // A JSON document column is never NULL in ClickHouse: an absent one is the empty object.
          if (v === null || v === undefined) return [name, type === 'String' ? '{}' : null];
          if (type.includes('DateTime64')) return [name, chTime(Number(v))];
          return [name, typeof v === 'bigint' ? Number(v) : v];
        }),
      ),
    );
    await ch.insert(to, out);
    counts[from] = out.length;
  }
  return counts;
};
