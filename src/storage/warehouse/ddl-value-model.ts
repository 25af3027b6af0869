/** Warehouse tables and columns for the customer-value model (BG/NBD + Gamma-Gamma, features.md B4). */
export const VALUE_MODEL_DDL: readonly string[] = [
  // Per-user figures of the latest value-model run that passed its checks (src/scores/value-model.ts);
  // a run with warnings leaves them as they were. `ltv` is the table's own column.
  'ALTER TABLE user_scores ADD COLUMN IF NOT EXISTS p_alive DOUBLE',
  'ALTER TABLE user_scores ADD COLUMN IF NOT EXISTS expected_purchases DOUBLE',
  'ALTER TABLE user_scores ADD COLUMN IF NOT EXISTS expected_spend DOUBLE',
  'ALTER TABLE user_scores ADD COLUMN IF NOT EXISTS value_computed_at TIMESTAMP',
  // One row per value-model run: what was fitted as of when, and why its values were (not) written.
  `CREATE TABLE IF NOT EXISTS value_model_runs (
     run_id       VARCHAR   NOT NULL,
     as_of        TIMESTAMP NOT NULL,
     settings     JSON      NOT NULL,
     customers    INTEGER   NOT NULL,
     repeat_customers INTEGER NOT NULL,
     bgnbd        JSON,
     gamma_gamma  JSON,
     converged    BOOLEAN   NOT NULL,
     log_likelihood DOUBLE,
     warnings     JSON      NOT NULL,
     written      BOOLEAN   NOT NULL,
     users        INTEGER   NOT NULL,
     summary      JSON
   )`,
];
