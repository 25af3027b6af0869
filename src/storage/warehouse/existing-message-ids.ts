import type { DuckDBConnection } from '@duckdb/node-api';
import type { Warehouse } from './warehouse.ts';

/** Tables whose rows carry the `message_id` of the Segment message that stored them. */
export type MessageTable = 'events' | 'profile_history';

/**
 * Answers "which of these message ids are already stored?" with one semi-join per call: the ids
 * go into a connection-local temp table through the appender (faster than binding a list of
 * 100 k strings), then the table is scanned once. Uses its own read connection, so it runs
 * beside the warehouse's writer.
 */
export class MessageIdLookup {
  private constructor(private readonly conn: DuckDBConnection) {}

  static async open(warehouse: Warehouse): Promise<MessageIdLookup> {
    const conn = await warehouse.connect();
    await conn.run('CREATE OR REPLACE TEMP TABLE message_id_probe (id VARCHAR)');
    return new MessageIdLookup(conn);
  }

  /** Number of rows in `table` (a metadata read, not a scan). */
  async count(table: MessageTable): Promise<number> {
    const reader = await this.conn.runAndReadAll(`SELECT count(*) FROM ${table}`);
    return Number(reader.getRows()[0]?.[0] ?? 0);
  }

  /** The subset of `ids` present in `table.message_id`. Calls on one lookup must not overlap. */
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

/** One-off form of `MessageIdLookup.existing` on a fresh connection. */
export const existingMessageIds = async (
  warehouse: Warehouse,
  table: MessageTable,
  ids: readonly string[],
): Promise<Set<string>> => {
  const lookup = await MessageIdLookup.open(warehouse);
  try {
    return await lookup.existing(table, ids);
  } finally {
    lookup.close();
  }
};
