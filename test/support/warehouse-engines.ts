import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventRow, IdentifyRow } from '../../src/core/events/rows.ts';
import { ClickHouseWarehouse } from '../../src/storage/clickhouse/clickhouse-warehouse.ts';
import type { WarehouseSql } from '../../src/storage/warehouse-sql.ts';
import { Warehouse } from '../../src/storage/warehouse/warehouse.ts';
import { testClickHouseTarget } from './clickhouse-target.ts';

/**
 * One warehouse suite on either engine: test/<name>.test.ts calls the suite with 'duckdb', and
 * test/clickhouse/<name>.test.ts with 'clickhouse' (chDB, or the server at CLICKHOUSE_URL). Each
 * `open` is a fresh, empty warehouse: DuckDB in memory, ClickHouse a database of its own.
 */
export type WarehouseEngine = 'duckdb' | 'clickhouse';

export interface EngineWarehouse {
  readonly engine: WarehouseEngine;
  /** The statements' seam: what the storage modules take. */
  readonly sql: WarehouseSql;
  /** Stores events and identifies as ingestion does on this engine. */
  commit(batch: { events: readonly EventRow[]; identifies: readonly IdentifyRow[] }): Promise<void>;
  close(): Promise<void>;
}

/** chDB takes one data directory per process: every test file of a run shares this one. */
let chdbPath: string | undefined;
let opened = 0;

export const openEngineWarehouse = async (engine: WarehouseEngine, name = 'wh'): Promise<EngineWarehouse> => {
  if (engine === 'duckdb') {
    const w = await Warehouse.open(':memory:');
    return {
      engine,
      sql: w,
      commit: async (b) => {
        const r = await w.commit({ ...b, rejections: [] });
        if (r.refused.length > 0) throw new Error(`refused: ${JSON.stringify(r.refused)}`);
      },
      close: async () => w.close(),
    };
  }
  chdbPath ??= mkdtempSync(join(tmpdir(), 'rekindle-ch-engine-'));
  const w = await ClickHouseWarehouse.open(
    testClickHouseTarget(chdbPath, `${name.replace(/[^A-Za-z0-9_]/g, '_')}_${process.pid}_${++opened}`),
  );
  return {
    engine,
    sql: w,
    commit: async (b) => {
      const r = await w.commit({ ...b, rejections: [] });
      if (r.refused.length > 0) throw new Error(`refused: ${JSON.stringify(r.refused)}`);
    },
    close: () => w.close(),
  };
};
