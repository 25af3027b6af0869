import type { DuckDBConnection } from '@duckdb/node-api';
import type { WarehouseSql } from '../warehouse-sql.ts';
import { inList, jsonList } from './id-list.ts';
import { Warehouse } from './warehouse.ts';

/** Tables whose rows carry the `message_id` of the Segment message that stored them. */
export type MessageTable = 'events' | 'profile_history';

/** Answers "which of these message ids are already stored?" for one import (or one question). */
export interface MessageIdLookup {
  /** Number of rows in `table` (a metadata read, not a scan). */
  count(table: MessageTable): Promise<number>;
  /** The subset of `ids` present in `table.message_id`. Calls on one lookup must not overlap. */
  existing(table: MessageTable, ids: readonly string[]): Promise<Set<string>>;
  close(): void;
}

/**
 * The DuckDB lookup: one semi-join per call: the ids go into a connection-local temp table
 * through the appender (faster than binding a list of 100 k strings), then the table is scanned
 * once. Uses its own read connection, so it runs beside the warehouse's writer.
 */
export class DuckDbMessageIdLookup implements MessageIdLookup {
  private constructor(private readonly conn: DuckDBConnection) {}

  static async open(warehouse: Warehouse): Promise<DuckDbMessageIdLookup> {
    const conn = await warehouse.connect();
    await conn.run('CREATE OR REPLACE TEMP TABLE message_id_probe (id VARCHAR)');
    return new DuckDbMessageIdLookup(conn);
  }

  async count(table: MessageTable): Promise<number> {
    const reader = await this.conn.runAndReadAll(`SELECT count(*) FROM ${table}`);
    return Number(reader.getRows()[0]?.[0] ?? 0);
  }

  async existing(table: MessageTable, ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    await this.conn.run('DELETE FROM temp.message_id_probe');
    const a = await this.conn.createAppender('message_id_probe', 'main', 'temp');
    for (const id of ids) {
      a.appendVarchar(id);
      a.endRow();
    }
    a.closeSync();
    const reader = await this.conn.runAndReadAll(
      `SELECT DISTINCT message_id FROM ${table} SEMI JOIN temp.message_id_probe ON message_id = id`,
    );
    return new Set(reader.getColumnsJS()[0] as string[] | undefined);
  }

  close(): void {
    this.conn.closeSync();
  }
}

/**
 * Id text bound in one statement at most. ClickHouse's HTTP client sends parameters in the URL
 * (a server takes 1 MiB by default: http_max_uri_size); a JSON list percent-encoded is about
 * twice its text, so a slice stays well under it.
 */
const MAX_SLICE_CHARS = 128 * 1024;

/** `ids` cut into slices of at most MAX_SLICE_CHARS of id text (each holds one id at least). */
const slices = (ids: readonly string[]): string[][] => {
  const out: string[][] = [];
  let slice: string[] = [];
  let chars = 0;
  for (const id of ids) {
    if (slice.length > 0 && chars + id.length > MAX_SLICE_CHARS) {
      out.push(slice);
      slice = [];
      chars = 0;
    }
    slice.push(id);
    chars += id.length + 4;
  }
  if (slice.length > 0) out.push(slice);
  return out;
};

/**
 * The lookup through the engine-neutral statements (ClickHouse, or a DuckDB behind another
 * `WarehouseSql`): the ids are bound as JSON lists, a slice at a time. On ClickHouse `events`
 * and `profile_history` have a `by_message_id` projection (ingest-sink.ts), which an `IN` on
 * `message_id` uses where the parts have it; without it the answer is the same, only slower.
 */
export class SqlMessageIdLookup implements MessageIdLookup {
  constructor(private readonly db: WarehouseSql) {}

  async count(table: MessageTable): Promise<number> {
    return Number(await this.db.scalar(`SELECT count(*) FROM ${table}`));
  }

  async existing(table: MessageTable, ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (const slice of slices([...new Set(ids)])) {
      const rows = await this.db.query<{ message_id: string }>(
        `SELECT DISTINCT message_id FROM ${table} WHERE message_id IN (${inList('$1', this.db.dialect)})`,
        [jsonList(slice)],
      );
      for (const r of rows) found.add(r.message_id);
    }
    return found;
  }

  close(): void {
    // Nothing of its own: the statements run on the warehouse's connections.
  }
}

/** The lookup for this warehouse: DuckDB's own (temp table and appender) on DuckDB, SQL otherwise. */
export const openMessageIdLookup = async (warehouse: WarehouseSql): Promise<MessageIdLookup> =>
  warehouse instanceof Warehouse ? DuckDbMessageIdLookup.open(warehouse) : new SqlMessageIdLookup(warehouse);

/** One-off form of `MessageIdLookup.existing`. */
export const existingMessageIds = async (
  warehouse: WarehouseSql,
  table: MessageTable,
  ids: readonly string[],
): Promise<Set<string>> => {
  const lookup = await openMessageIdLookup(warehouse);
  try {
    return await lookup.existing(table, ids);
  } finally {
    lookup.close();
  }
};
