import type { IngestSink } from '../../ingest/ingest-sink.ts';
import type { CommitBatch, IsolatedOutcome, RecordKind } from '../warehouse/isolating-commit.ts';
import type { ClickHouseWarehouse } from './clickhouse-warehouse.ts';
import type { ClickHouseDb } from './client.ts';

/**
 * The tables where an HTTP record's message id is stored (identifies: one history row per
 * trait), each with a projection ordered by message id, so that "which of these 100 ids are
 * stored?" reads a few granules instead of the whole message_id column. A projection is part of
 * each insert's part: it is there exactly when the rows are (no second insert to lose in a crash).
 */
const ID_PROJECTIONS = [
  `ALTER TABLE events ADD PROJECTION IF NOT EXISTS by_message_id (SELECT message_id, received_at, source ORDER BY message_id)`,
  `ALTER TABLE profile_history ADD PROJECTION IF NOT EXISTS by_message_id (SELECT message_id, received_at, source ORDER BY message_id)`,
];

/** `2026-12-07 16:00:00.123` (DateTime64 in UTC, as JSONEachRow writes it) as a Date. */
const utc = (text: string): Date => new Date(`${text.replace(' ', 'T')}Z`);

/**
 * Ingestion into a ClickHouse warehouse that several Rekindle processes share:
 * - every request commits on its own (`each`): a client's retry of a request, in any process,
 *   carries the same records and so the same insert deduplication tokens (clickhouse-warehouse.ts),
 *   and ClickHouse stores it once, even when both copies are inserted at the same moment;
 * - before claiming ids, the queue asks which are already stored by any process (`storedAmong`):
 *   a retry whose first copy another process acknowledged is answered as duplicates;
 * - a failed insert is the store's failure (ClickHouse refuses records by validation before any
 *   insert, clickhouse-warehouse.ts), never a record's: no bisection, the whole request is retried.
 */
export const openClickHouseIngestSink = async (warehouse: ClickHouseWarehouse): Promise<IngestSink> => {
  const db: ClickHouseDb = warehouse.db;
  for (const ddl of ID_PROJECTIONS) await db.command(ddl);
  return {
    grouping: 'each',
    commit: async (batch: CommitBatch): Promise<IsolatedOutcome> => {
      try {
        const r = await warehouse.commit(batch);
        return { refused: r.refused.map((x) => ({ ...x })), unavailable: null, commits: 1 };
      } catch (error) {
        const all = (n: number): Set<number> => new Set(Array.from({ length: n }, (_, i) => i));
        const unstored: Record<RecordKind, Set<number>> = {
          event: all(batch.events.length),
          identify: all(batch.identifies.length),
          rejection: all(batch.rejections.length),
        };
        return { refused: [], unavailable: { error, unstored }, commits: 1 };
      }
    },
    recentMessageIds: async (sinceIso) => {
      const rows = await db.query<{ message_id: string; received_at: string }>(
        `SELECT message_id, received_at FROM events
          WHERE source = 'http' AND received_at >= fromUnixTimestamp64Milli({since:Int64}, 'UTC')
         UNION ALL
         SELECT DISTINCT message_id, received_at FROM profile_history
          WHERE source = 'http' AND received_at >= fromUnixTimestamp64Milli({since:Int64}, 'UTC')`,
        { since: Date.parse(sinceIso) },
      );
      return rows.map((r) => ({ message_id: r.message_id, received_at: utc(r.received_at) }));
    },
    storedAmong: coalesced(async (ids) => {
      const rows = await db.query<{ message_id: string }>(
        `SELECT message_id FROM events WHERE message_id IN {ids:Array(String)}
         UNION DISTINCT
         SELECT message_id FROM profile_history WHERE message_id IN {ids:Array(String)}`,
        { ids: [...ids] },
      );
      return new Set(rows.map((r) => r.message_id));
    }),
  };
};

/** Ids asked about in one lookup at most (they travel as a URL parameter). */
const MAX_LOOKUP = 2_000;

/**
 * Lookups asked for while one runs wait and share the next (as group commit does for inserts):
 * under load one query answers many requests, so a request costs ClickHouse its inserts and a
 * share of a lookup, not a lookup of its own.
 */
export const coalesced = (
  lookup: (ids: readonly string[]) => Promise<ReadonlySet<string>>,
): ((ids: readonly string[]) => Promise<ReadonlySet<string>>) => {
  interface Ask {
    ids: readonly string[];
    resolve: (s: ReadonlySet<string>) => void;
    reject: (e: unknown) => void;
  }
  let waiting: Ask[] = [];
  let running = false;
  const run = async (): Promise<void> => {
    running = true;
    while (waiting.length > 0) {
      // Whole asks up to MAX_LOOKUP ids (an ask larger than that goes alone).
      let n = 0;
      let take = 0;
      while (take < waiting.length && (take === 0 || n + (waiting[take]?.ids.length ?? 0) <= MAX_LOOKUP))
        n += waiting[take++]?.ids.length ?? 0;
      const asks = waiting.slice(0, take);
      waiting = waiting.slice(take);
      try {
        const found = await lookup([...new Set(asks.flatMap((a) => a.ids))]);
        for (const a of asks) a.resolve(new Set(a.ids.filter((id) => found.has(id))));
      } catch (e) {
        for (const a of asks) a.reject(e);
      }
    }
    running = false;
  };
  return (ids) =>
    new Promise<ReadonlySet<string>>((resolve, reject) => {
      waiting.push({ ids, resolve, reject });
      if (!running) void run();
    });
};
