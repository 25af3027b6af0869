import { DEDUP_WINDOW, DURABLE, TIME } from './ddl-settings.ts';
import { PROFILE_DDL } from './profile-ddl.ts';
import { AUDIENCES_DDL } from './ddl-audiences.ts';
import { CHURN_DDL } from './ddl-churn.ts';
import { FACTS_DDL } from './ddl-facts.ts';
import { IDENTITY_DDL } from './ddl-identity.ts';
import { PLANNER_DDL } from './ddl-planner.ts';
import { REPORTS_DDL } from './ddl-reports.ts';
import { SCORES_DDL } from './ddl-scores.ts';

/**
 * The ClickHouse warehouse's tables: the relations the DuckDB warehouse has (src/storage/warehouse/
 * ddl.ts), with the same names and columns, so that one compiler's SQL reads both. Times are
 * DateTime64(3, 'UTC') (milliseconds, as the events carry them); JSON documents are String columns
 * read with JSONExtract*.
 *
 * Engines, chosen for the queries:
 * - events: MergeTree by month, ordered (event, user_id, ts): an audience condition names an event
 *   and a window, so a scan reads one event's granules; users are contiguous within it.
 * - profiles: a view over `profile_state`, an AggregatingMergeTree that every ingesting process
 *   appends to without reading first, so concurrent and out-of-order commits agree (profile-ddl.ts).
 * - user_scores, conversions: one current row per key, ReplacingMergeTree on a version
 *   column; reads apply FINAL (client.ts) so a replaced row is never counted twice.
 * - everything else appends.
 * Raw input tables fsync each insert (DuckDB fsyncs its WAL on commit) and keep the last
 * DEDUP_WINDOW insert tokens so a retried batch is stored once (ingest: message ids).
 */
export { DEDUP_WINDOW } from './ddl-settings.ts';

export const CLICKHOUSE_DDL: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS events (
     message_id   String,
     user_id      String,
     anonymous_id Nullable(String),
     event        LowCardinality(String),
     ts           ${TIME},
     received_at  ${TIME},
     amount       Nullable(Float64),
     currency     Nullable(String),
     product_id   Nullable(String),
     category     Nullable(String),
     order_id     Nullable(String),
     platform     Nullable(String),
     properties   String,
     source       LowCardinality(String)
   ) ENGINE = MergeTree PARTITION BY toYYYYMM(ts) ORDER BY (event, user_id, ts)
   SETTINGS ${DURABLE}`,
  ...PROFILE_DDL,
  `CREATE TABLE IF NOT EXISTS profile_history (
     user_id     String,
     attribute   LowCardinality(String),
     value       Nullable(String),
     valid_from  ${TIME},
     received_at ${TIME},
     message_id  String,
     source      LowCardinality(String)
   ) ENGINE = MergeTree ORDER BY (attribute, user_id, valid_from)
   SETTINGS ${DURABLE}`,
  `CREATE TABLE IF NOT EXISTS ingest_rejections (
     received_at  ${TIME},
     source       LowCardinality(String),
     record_index Int32,
     field        String,
     reason       String,
     raw          Nullable(String)
   ) ENGINE = MergeTree ORDER BY received_at
   SETTINGS ${DURABLE}`,
  // The identity links a commit asked for (an alias; an anonymousId sent with a userId): the
  // leader's stitching pass decides them (ddl-identity.ts, identity-stitching.ts).
  `CREATE TABLE IF NOT EXISTS identity_link_requests (
     alias_id    String,
     user_id     String,
     via         LowCardinality(String),
     message_id  String,
     ts          ${TIME},
     received_at ${TIME}
   ) ENGINE = MergeTree ORDER BY (alias_id, ts)
   SETTINGS ${DURABLE}`,
  `CREATE TABLE IF NOT EXISTS message_facts (
     message_id  String,
     campaign_id Nullable(String),
     run_id      Nullable(String),
     step        Nullable(String),
     variant     Nullable(String),
     user_id     String,
     channel     LowCardinality(String),
     status      LowCardinality(String),
     ts          ${TIME},
     cost        Nullable(Float64),
     revenue     Nullable(Float64),
     properties  String,
     seq         Nullable(Int64)
   ) ENGINE = MergeTree PARTITION BY toYYYYMM(ts) ORDER BY (user_id, ts)
   SETTINGS ${DURABLE}`,
  `CREATE TABLE IF NOT EXISTS user_scores (
     user_id          String,
     lifecycle_stage  Nullable(String),
     rfm_tier         Nullable(String),
     rfm_r            Nullable(Int32),
     rfm_f            Nullable(Int32),
     rfm_m            Nullable(Int32),
     churn_risk_score Nullable(Float64),
     churn_risk_level Nullable(String),
     ltv              Nullable(Float64),
     computed_at      Nullable(${TIME})
   ) ENGINE = ReplacingMergeTree ORDER BY user_id`,
  `CREATE TABLE IF NOT EXISTS audience_snapshot_members (
     snapshot_id String,
     user_id     String
   ) ENGINE = MergeTree ORDER BY (snapshot_id, user_id)
   SETTINGS non_replicated_deduplication_window = ${DEDUP_WINDOW}`,
  `CREATE TABLE IF NOT EXISTS conversions (
     event_message_id String,
     user_id          String,
     event            LowCardinality(String),
     ts               ${TIME},
     revenue          Nullable(Float64),
     idempotency_key  String,
     campaign_id      String,
     run_id           String,
     variant          Nullable(String),
     channel          LowCardinality(String),
     message_ts       ${TIME},
     attributed_at    ${TIME}
   ) ENGINE = ReplacingMergeTree(attributed_at) ORDER BY event_message_id`,
];

/** Creates the tables that are missing (every statement is idempotent). */
export const applyClickHouseDdl = async (db: { command(sql: string): Promise<void> }): Promise<void> => {
  const areas = [IDENTITY_DDL, AUDIENCES_DDL, PLANNER_DDL, SCORES_DDL, CHURN_DDL, FACTS_DDL, REPORTS_DDL];
  for (const ddl of [...CLICKHOUSE_DDL, ...areas.flat()]) await db.command(ddl);
};
