import type { IngestSink } from '../ingest-sink-contract.ts';
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
 * The most records one group commit holds: the requests that arrived during a commit, up to this
 * many, share the next one (one insert per table); more wait for the one after. Bounds a commit's
 * memory and its inserts' size (well under a ClickHouse insert block, so each insert is one part,
 * atomic).
 */
export const MAX_GROUP_RECORDS = 10_000;

/**
 * Ingestion into a ClickHouse warehouse that several Rekindle processes share:
 * - group commit (`group`, as on DuckDB): requests arriving while a commit runs share the next
 *   one, so ClickHouse gets one part per table for many requests instead of one per request; each
 *   is answered once the commit holding it resolved, and a failed commit fails exactly its requests;
 * - before claiming ids, the queue asks which are already stored by any process (`storedAmong`):
 *   a retry, in any process and whatever group it lands in (its tokens then differ from the first
 *   copy's), is answered as duplicates for the records whose commit completed. Events are looked up
 *   in `events`, identifies in `profile_history`: the last two inserts of a commit
 *   (clickhouse-warehouse.ts), so "found" implies every row of that record is stored;
 * - the insert deduplication tokens (derived from a group's ids) still make a commit retried with
 *   the same group, or two identical groups, store once;
 * - a failed insert is the store's failure (ClickHouse refuses records by validation before any
 *   insert, clickhouse-warehouse.ts), never a record's: no bisection, the whole request is retried.
 */
export const openClickHouseIngestSink = async (warehouse: ClickHouseWarehouse): Promise<IngestSink> => {
  const db: ClickHouseDb = warehouse.db;
  for (const ddl of ID_PROJECTIONS) await db.command(ddl);
  const sink: IngestSink = {
    grouping: 'group',
    maxGroupRecords: MAX_GROUP_RECORDS,
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
    storedAmong: async ({ events, identifies }) => {
      // Kinds travel through the shared lookup as a prefix (an id is any string: the prefix is
      // cut at the first character only).
      const asked = [...events.map((id) => `e${id}`), ...identifies.map((id) => `i${id}`)];
      const found = await lookup(asked);
      return new Set([...found].map((key) => key.slice(1)));
    },
  };
  const lookup = coalesced(async (keys) => {
    const events = keys.filter((k) => k.startsWith('e')).map((k) => k.slice(1));
    const identifies = keys.filter((k) => k.startsWith('i')).map((k) => k.slice(1));
    // A group event also writes a history row under its id (its group_id trait), before its
    // events row: an event counts as stored only once it is in `events`. An identify found in
    // `events` is a retry under another kind, a duplicate as in the dedup window.
    const rows = await db.query<{ message_id: string; kind: string }>(
      `SELECT DISTINCT message_id, 'e' AS kind FROM events WHERE message_id IN {all:Array(String)}
       UNION ALL
       SELECT DISTINCT message_id, 'i' AS kind FROM profile_history WHERE message_id IN {identifies:Array(String)}`,
      { all: [...new Set([...events, ...identifies])], identifies },
    );
    return new Set(
      rows.flatMap((r) => (r.kind === 'e' ? [`e${r.message_id}`, `i${r.message_id}`] : [`i${r.message_id}`])),
    );
  });
  return sink;
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
