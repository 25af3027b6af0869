import { TIME } from './ddl-settings.ts';

/**
 * The ClickHouse tables of the planner statements (src/storage/warehouse/); applied by ddl.ts.
 * Same names and columns as DuckDB's (src/storage/warehouse/ddl.ts).
 *
 * plan_decision_groups and plan_decisions are plain MergeTrees: a slot planned again after a crash
 * deletes its runs' rows and writes them again (plan-decisions.ts), which repairs any cut of that
 * sequence. They keep no insert tokens (no deduplication window): the re-plan's inserts repeat
 * the first attempt's blocks after the delete and must not be dropped as duplicates.
 */
export const PLANNER_DDL: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS plan_decisions (
     run_id      String,
     campaign_id String,
     slot_at     ${TIME},
     user_id     String,
     decision    LowCardinality(String),
     reason      Nullable(String),
     detail      Nullable(String)
   ) ENGINE = MergeTree ORDER BY (campaign_id, run_id, user_id)`,
  `CREATE TABLE IF NOT EXISTS plan_decision_groups (
     run_id      String,
     campaign_id String,
     slot_at     ${TIME},
     decision    LowCardinality(String),
     reason      Nullable(String),
     detail      Nullable(String),
     user_ids    Array(String)
   ) ENGINE = MergeTree ORDER BY (campaign_id, run_id)`,
  // Every decision, one row per member: what reports read.
  `CREATE OR REPLACE VIEW decided_members AS
     SELECT run_id, campaign_id, slot_at, user_id, decision, reason, detail FROM plan_decisions
     UNION ALL
     SELECT run_id, campaign_id, slot_at, arrayJoin(user_ids) AS user_id, decision, reason, detail
     FROM plan_decision_groups`,
  // user_scores.expected_spend, which the planner's user values read, is added in DuckDB's column
  // order with the value model's other columns (ddl-scores.ts).
];
