import { DURABLE, TIME } from './ddl-settings.ts';

/**
 * The ClickHouse tables of the churn statements (src/storage/warehouse/churn-*.ts); applied by
 * ddl.ts. Same names and columns as DuckDB's ddl.ts.
 *
 * churn_reasons: the call-back answers, each with its own id. ReplacingMergeTree on (user_id, id):
 * an answer stored twice (an insert repeated after a cut) is read once (reads apply FINAL), and a
 * user's answers are contiguous for `reasonsOfUser`.
 */
export const CHURN_DDL: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS churn_reasons (
     id          String,
     user_id     String,
     reason      String,
     note        Nullable(String),
     answered_at ${TIME},
     recorded_at ${TIME},
     recorded_by String,
     source      String
   ) ENGINE = ReplacingMergeTree ORDER BY (user_id, id)
   SETTINGS ${DURABLE}`,
];
