import { TIME } from './ddl-settings.ts';

/**
 * The ClickHouse tables of the scores statements (src/storage/warehouse/); applied by ddl.ts after
 * its own tables (`user_scores` is there). Same names and columns as DuckDB's ddl.ts and
 * ddl-value-model.ts.
 *
 * ClickHouse has no session temp tables here and no transaction: what DuckDB stages in a temp
 * table (the scores of a run, the members of a rule) goes into a `*_staging` table under the
 * run's key and is deleted by the run at its end. A run cut short leaves its rows there; they are
 * never read by another run (every read names the key), and a later run deletes them after a
 * day (`staged_at`, filled by the table; user-scores.ts `dropStaged`).
 */
export const SCORES_DDL: readonly string[] = [
  // The value model's per-user figures (ddl-value-model.ts); `ltv` is user_scores' own column.
  'ALTER TABLE user_scores ADD COLUMN IF NOT EXISTS p_alive Nullable(Float64)',
  'ALTER TABLE user_scores ADD COLUMN IF NOT EXISTS expected_purchases Nullable(Float64)',
  'ALTER TABLE user_scores ADD COLUMN IF NOT EXISTS expected_spend Nullable(Float64)',
  `ALTER TABLE user_scores ADD COLUMN IF NOT EXISTS value_computed_at Nullable(${TIME})`,
  // JSON columns are text: the statements write and read JSON.stringify output.
  `CREATE TABLE IF NOT EXISTS value_model_runs (
     run_id           String,
     as_of            ${TIME},
     settings         String,
     customers        Int32,
     repeat_customers Int32,
     bgnbd            Nullable(String),
     gamma_gamma      Nullable(String),
     converged        Bool,
     log_likelihood   Nullable(Float64),
     warnings         String,
     written          Bool,
     users            Int32,
     summary          Nullable(String)
   ) ENGINE = MergeTree ORDER BY (as_of, run_id)`,
  // Who each warning rule warns now; rows are inserted and deleted (lightweight DELETE).
  `CREATE TABLE IF NOT EXISTS warning_state (
     rule_id   String,
     user_id   String,
     level     String,
     raised_at ${TIME}
   ) ENGINE = MergeTree ORDER BY (rule_id, user_id)`,
  `CREATE TABLE IF NOT EXISTS churn_risk_runs (
     model_id      String,
     model_version Int32,
     as_of         ${TIME},
     scored_at     ${TIME},
     users         Int32,
     high          Int32,
     medium        Int32,
     low           Int32
   ) ENGINE = MergeTree ORDER BY (scored_at, as_of)`,
  `CREATE TABLE IF NOT EXISTS churn_risk_reasons (
     user_id      String,
     rank         Int32,
     feature      String,
     contribution Float64,
     value        Nullable(Float64)
   ) ENGINE = MergeTree ORDER BY (user_id, rank)`,
  // Staging (see above): the columns of DuckDB's temp tables behind a run key.
  `CREATE TABLE IF NOT EXISTS score_staging (
     run_key         String,
     user_id         String,
     lifecycle_stage Nullable(String),
     rfm_r           Nullable(Int32),
     rfm_f           Nullable(Int32),
     rfm_m           Nullable(Int32),
     rfm_tier        Nullable(String),
     staged_at DateTime DEFAULT now()
   ) ENGINE = MergeTree ORDER BY (run_key, user_id)`,
  `CREATE TABLE IF NOT EXISTS churn_risk_staging (
     run_key String,
     user_id String,
     score   Float64,
     level   String,
     staged_at DateTime DEFAULT now()
   ) ENGINE = MergeTree ORDER BY (run_key, user_id)`,
  `CREATE TABLE IF NOT EXISTS value_staging (
     run_key            String,
     user_id            String,
     p_alive            Nullable(Float64),
     expected_purchases Nullable(Float64),
     expected_spend     Nullable(Float64),
     ltv                Nullable(Float64),
     staged_at DateTime DEFAULT now()
   ) ENGINE = MergeTree ORDER BY (run_key, user_id)`,
  `CREATE TABLE IF NOT EXISTS warning_staging (
     run_key String,
     user_id String,
     staged_at DateTime DEFAULT now()
   ) ENGINE = MergeTree ORDER BY (run_key, user_id)`,
];
