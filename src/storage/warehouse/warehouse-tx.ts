/**
 * The statement interface of a warehouse transaction, apart from `Warehouse` itself so that
 * the statement modules `warehouse.ts` calls inside its transactions can take it without an
 * import cycle.
 */

export type SqlParam = string | number | boolean | null | bigint;

/** The statements of one `Warehouse.transaction`. */
export interface WarehouseTx {
  /** A writing statement; returns the rows changed. */
  run(sql: string, params?: SqlParam[]): Promise<number>;
  /** A reading statement that sees the transaction's own writes. */
  query<T = Record<string, unknown>>(sql: string, params?: SqlParam[]): Promise<T[]>;
  /**
   * Many rows through DuckDB's appender (an order of magnitude faster than INSERT … VALUES or a
   * JSON parameter); `fill` appends every row, column by column, in the table's column order.
   */
  append(table: string, fill: (row: RowAppender) => void, options?: { temp?: boolean }): Promise<void>;
}

/** Typed cells of one row at a time, in column order; `end()` closes the row. */
export interface RowAppender {
  varchar(v: string | null): void;
  double(v: number | null): void;
  integer(v: number | null): void;
  bigint(v: number | null): void;
  timestamp(epochMs: number | null): void;
  end(): void;
}
