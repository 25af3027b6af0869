import type { CommitBatch, IsolatedOutcome } from './warehouse/isolating-commit.ts';

/**
 * Where the ingest queue stores what it accepts, whatever the warehouse engine: DuckDB in this
 * process (`warehouseSink`) or ClickHouse shared by several processes (storage/clickhouse/
 * ingest-sink.ts).
 */
export interface IngestSink {
  /**
   * Stores a batch. Records refused for their data are in `refused`; when the store itself
   * failed, `unavailable` names the records not stored (their submitters are told to retry).
   */
  commit(batch: CommitBatch): Promise<IsolatedOutcome>;
  /** The ids of the events and identifies received over HTTP since then, with when (the dedup window's start). */
  recentMessageIds(sinceIso: string): Promise<{ message_id: string; received_at: Date }[]>;
  /**
   * `group`: records submitted while a commit runs share the next one (one DuckDB transaction, or
   * one ClickHouse insert per table, for many requests). `each`: every submit commits on its own.
   */
  readonly grouping: 'group' | 'each';
  /**
   * The most records (events + identifies + rejections) one group commit holds (`group` only;
   * unbounded when absent): a submit that would pass it starts the next group, so a commit's
   * memory stays bounded. A single submit larger than this is committed alone.
   */
  readonly maxGroupRecords?: number;
  /**
   * Of these ids, those already stored by any process sharing the warehouse, by the kind the
   * caller submits them as: a retry sent to another process is answered as duplicates. Absent
   * where one process owns the warehouse (its dedup window knows every id).
   */
  storedAmong?(ids: {
    events: readonly string[];
    identifies: readonly string[];
  }): Promise<ReadonlySet<string>>;
}
