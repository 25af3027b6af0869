import type { EventRow, IdentifyRow } from '../core/events/rows.ts';
import type { SqlDialect } from '../core/sql/dialect.ts';
import type { Rejection } from './warehouse/rejection.ts';
import type { SqlParam, WarehouseTx } from './warehouse/warehouse-tx.ts';

export type { RowAppender, SqlParam, WarehouseTx } from './warehouse/warehouse-tx.ts';

/**
 * The warehouse as the services' statements see it, on either engine: DuckDB (`Warehouse`, the
 * embedded default) or ClickHouse (`ClickHouseWarehouse`). A statement module takes this, asks
 * `dialect` for every spelling that differs (dialect.ts) and writes the shared SQL itself.
 *
 * Both engines answer in the same JavaScript values: times as `Date`, integers and decimals as
 * numbers (DuckDB may give a BIGINT as `bigint`: read counts with `Number(…)`), text as strings,
 * NULL as null. Placeholders are `$1…$n` on both (ClickHouse's are typed from the values,
 * clickhouse-sql.ts); a query compiled in ClickHouse's `{pN:Type}` form binds `params[N-1]`.
 */
export interface WarehouseSql {
  readonly dialect: SqlDialect;
  /** Rows as plain objects. */
  query<T = Record<string, unknown>>(sql: string, params?: SqlParam[]): Promise<T[]>;
  /** The first column of the first row; throws when there is no row. */
  scalar<T = unknown>(sql: string, params?: SqlParam[]): Promise<T>;
  /**
   * One writing statement. Returns the rows changed where the engine reports them (DuckDB
   * always; ClickHouse for INSERT … SELECT, 0 for mutations).
   */
  write(sql: string, params?: SqlParam[]): Promise<number>;
  /**
   * Several statements: on DuckDB one transaction, all or none. ClickHouse has no transaction
   * across statements: they run in order and a failure leaves the earlier ones applied, so a
   * ClickHouse statement sequence must be safe to run again (versioned replacing rows, inserts
   * with a dedup token, deletes of exactly what is rewritten).
   */
  transaction<T>(work: (tx: WarehouseTx) => Promise<T>): Promise<T>;
}

/** Records to store at once (ingestion's batch; both engines' `commit`). */
export interface StoreBatch {
  events: readonly EventRow[];
  identifies: readonly IdentifyRow[];
  rejections: readonly Rejection[];
  rejectedAt?: number;
  rejectionSource?: string;
}

/** A record a commit refused on its own (kept in `ingest_rejections`); the rest was stored. */
export interface StoreRefusal {
  kind: 'event' | 'identify';
  /** Its position in the batch's events or identifies. */
  at: number;
  field: string;
  reason: string;
}

/**
 * The warehouse a running Rekindle holds, on either engine: the statements, and `commit`, which
 * stores a batch of records durably (resolves once they survive a crash) — the demo loader, tests
 * and tools store through it; HTTP ingestion goes through the ingest queue's sink.
 */
export interface WarehouseStore extends WarehouseSql {
  commit(batch: StoreBatch): Promise<{ refused: readonly StoreRefusal[] }>;
}
