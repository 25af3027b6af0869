/**
 * Settings every ClickHouse warehouse table shares (ddl.ts, profile-ddl.ts).
 *
 * DEDUP_WINDOW: how many recent insert tokens a table remembers (`insert_deduplication_token`, see
 * ingest-tokens.ts): a retried batch is stored once while fewer than this many other inserts went
 * into the same table since. On a single server that is `non_replicated_deduplication_window`; on
 * Replicated tables the keeper holds them (`replicated_deduplication_window`, default 10 000, and
 * `replicated_deduplication_window_seconds`, default a week), per table across all replicas.
 */
export const DEDUP_WINDOW = 10_000;

export const TIME = "DateTime64(3, 'UTC')";

/**
 * Raw input tables fsync each insert before it is acknowledged (DuckDB fsyncs its WAL on commit)
 * and keep the last DEDUP_WINDOW insert tokens.
 */
export const DURABLE = `non_replicated_deduplication_window = ${DEDUP_WINDOW}, fsync_after_insert = 1, fsync_part_directory = 1`;
