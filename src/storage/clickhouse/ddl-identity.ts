import { DURABLE, TIME } from './ddl-settings.ts';

/**
 * Identity stitching on ClickHouse (features.md A1; identity-stitching.ts). Ingesting processes
 * only record what a call asks to link (`identity_link_requests`, ddl.ts); the leader's stitching
 * pass decides, writes the links here and moves the merged ids' rows.
 *
 * - identity_links: DuckDB's table plus `version` (the pass that wrote the row, in ms). A merge
 *   moves `canonical_id` by writing the row again with a higher version (ReplacingMergeTree; reads
 *   apply FINAL). `version` also tells the pass which aliases are recent enough that a process
 *   with an older view of the links may still have written rows under them (the re-sweep).
 * - identity_link_outcomes: one row per request decided (linked, nothing to do, refused), keyed as
 *   the request, with the request's received_at: the pass reads the requests of a window of
 *   received_at that have no outcome, so a request is decided once however often the pass runs.
 * - profile_state.written_at: when the row was inserted (server clock), kept as a max when rows
 *   merge; the sweep deletes an alias's state rows written before a margin only, so a row a
 *   process inserts while the sweep runs is never deleted before it was folded.
 */
export const IDENTITY_DDL: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS identity_links (
     alias_id     String,
     linked_to    String,
     canonical_id String,
     via          LowCardinality(String),
     message_id   String,
     linked_at    ${TIME},
     version      UInt64 DEFAULT 0
   ) ENGINE = ReplacingMergeTree(version) ORDER BY alias_id
   SETTINGS ${DURABLE}`,
  `CREATE TABLE IF NOT EXISTS identity_link_outcomes (
     via         LowCardinality(String),
     message_id  String,
     alias_id    String,
     user_id     String,
     outcome     LowCardinality(String),
     reason      String,
     received_at ${TIME},
     decided_at  ${TIME}
   ) ENGINE = ReplacingMergeTree ORDER BY (via, message_id)
   SETTINGS ${DURABLE}`,
  `ALTER TABLE identity_link_requests ADD INDEX IF NOT EXISTS received_minmax received_at TYPE minmax GRANULARITY 1`,
  `ALTER TABLE identity_link_outcomes ADD INDEX IF NOT EXISTS received_minmax received_at TYPE minmax GRANULARITY 1`,
  `ALTER TABLE profile_state ADD COLUMN IF NOT EXISTS written_at SimpleAggregateFunction(max, ${TIME}) DEFAULT now64(3, 'UTC')`,
  // "Which rows does this alias still have?": events are ordered by event first, so a user's rows
  // are found through these indexes rather than by reading the whole user_id column.
  // The ingest role's lookups add projections to these two (ingest-sink.ts); a lightweight DELETE
  // (stitching's sweep, retention) rebuilds them in the parts it touches instead of failing.
  `ALTER TABLE events MODIFY SETTING lightweight_mutation_projection_mode = 'rebuild'`,
  `ALTER TABLE profile_history MODIFY SETTING lightweight_mutation_projection_mode = 'rebuild'`,
  `ALTER TABLE events ADD INDEX IF NOT EXISTS user_bloom user_id TYPE bloom_filter(0.01) GRANULARITY 4`,
  `ALTER TABLE events ADD INDEX IF NOT EXISTS anonymous_bloom anonymous_id TYPE bloom_filter(0.01) GRANULARITY 4`,
];
