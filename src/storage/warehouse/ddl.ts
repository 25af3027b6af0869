import { IDENTITY_DDL } from './ddl-identity.ts';
import { VALUE_MODEL_DDL } from './ddl-value-model.ts';

/** The events table; compaction builds a sorted copy with the same columns and constraints. */
export const eventsTableDdl = (name: 'events' | 'events_compacted'): string =>
  `CREATE TABLE IF NOT EXISTS ${name} (
     message_id   VARCHAR   NOT NULL,
     user_id      VARCHAR   NOT NULL,
     anonymous_id VARCHAR,
     event        VARCHAR   NOT NULL,
     ts           TIMESTAMP NOT NULL,
     received_at  TIMESTAMP NOT NULL,
     amount       DOUBLE,
     currency     VARCHAR,
     product_id   VARCHAR,
     category     VARCHAR,
     order_id     VARCHAR,
     platform     VARCHAR,
     properties   JSON,
     source       VARCHAR   NOT NULL
   )`;

/**
 * Warehouse tables. Times are UTC `TIMESTAMP`s; common event fields have typed columns so
 * audiences and models scan columns, not JSON. Statements are idempotent: opening a warehouse
 * applies them every time.
 */
export const WAREHOUSE_DDL: readonly string[] = [
  eventsTableDdl('events'),
  `CREATE TABLE IF NOT EXISTS profiles (
     user_id             VARCHAR PRIMARY KEY,
     register_time       TIMESTAMP,
     acquisition_channel VARCHAR,
     city                VARCHAR,
     timezone            VARCHAR,
     balance             DOUBLE,
     membership          VARCHAR,
     phone               VARCHAR,
     email               VARCHAR,
     push_token          VARCHAR,
     consent_push        BOOLEAN,
     consent_sms         BOOLEAN,
     consent_email       BOOLEAN,
     consent_wecom       BOOLEAN,
     consent_call        BOOLEAN,
     traits              JSON,
     first_seen          TIMESTAMP NOT NULL,
     updated_at          TIMESTAMP NOT NULL
   )`,
  // Push tokens a provider refused for good (FCM UNREGISTERED): cleared from the profile, and
  // kept here so that an identify call applied later (a replay, a late batch) cannot set them
  // again; `profile_ts` is the profile's updated_at when the token was refused.
  `CREATE TABLE IF NOT EXISTS forgotten_push_tokens (
     user_id      VARCHAR   NOT NULL,
     push_token   VARCHAR   NOT NULL,
     profile_ts   TIMESTAMP,
     forgotten_at TIMESTAMP NOT NULL
   )`,
  // One row per trait per identify call: "value at time T" is the latest row with valid_from <= T.
  `CREATE TABLE IF NOT EXISTS profile_history (
     user_id    VARCHAR   NOT NULL,
     attribute  VARCHAR   NOT NULL,
     value      JSON,
     valid_from  TIMESTAMP NOT NULL,
     received_at TIMESTAMP NOT NULL,
     message_id  VARCHAR   NOT NULL,
     source     VARCHAR   NOT NULL
   )`,
  // Filled by delivery and feedback (one row per state change of a sent message).
  `CREATE TABLE IF NOT EXISTS message_facts (
     message_id  VARCHAR   NOT NULL,
     campaign_id VARCHAR,
     run_id      VARCHAR,
     step        VARCHAR,
     variant     VARCHAR,
     user_id     VARCHAR   NOT NULL,
     channel     VARCHAR   NOT NULL,
     status      VARCHAR   NOT NULL,
     ts          TIMESTAMP NOT NULL,
     cost        DOUBLE,
     revenue     DOUBLE,
     properties  JSON
   )`,
  // `seq` is the control plane's message_log.seq the fact was shipped from: the shipper's cursor
  // is max(seq), committed with the facts, so a fact arrives exactly once.
  `ALTER TABLE message_facts ADD COLUMN IF NOT EXISTS seq BIGINT`,
  // Goal events attributed to the message that last touched the user within the campaign's
  // attribution window (features.md D5, G1); one row per goal event, recomputable from events + facts.
  `CREATE TABLE IF NOT EXISTS conversions (
     event_message_id VARCHAR   PRIMARY KEY,
     user_id          VARCHAR   NOT NULL,
     event            VARCHAR   NOT NULL,
     ts               TIMESTAMP NOT NULL,
     revenue          DOUBLE,
     idempotency_key  VARCHAR   NOT NULL,
     campaign_id      VARCHAR   NOT NULL,
     run_id           VARCHAR   NOT NULL,
     variant          VARCHAR,
     channel          VARCHAR   NOT NULL,
     message_ts       TIMESTAMP NOT NULL,
     attributed_at    TIMESTAMP NOT NULL
   )`,
  // The planner's decision for every snapshot member it did not send to (features.md E1–E5): held out
  // (the control group) or skipped with the reason, one row per member (as written before
  // plan_decision_groups; read both through decided_members). Rows count only if their run_id is
  // in the control plane's campaign_runs (a run that failed to commit leaves orphans, never read).
  `CREATE TABLE IF NOT EXISTS plan_decisions (
     run_id      VARCHAR   NOT NULL,
     campaign_id VARCHAR   NOT NULL,
     slot_at     TIMESTAMP NOT NULL,
     user_id     VARCHAR   NOT NULL,
     decision    VARCHAR   NOT NULL,
     reason      VARCHAR,
     detail      VARCHAR
   )`,
  // The same decisions as written by a slot: one row per campaign, decision, reason and detail,
  // its users as a list (a 1 M-member slot decides about a million users but says a few dozen
  // different things; a list is half the write of the rows).
  `CREATE TABLE IF NOT EXISTS plan_decision_groups (
     run_id      VARCHAR   NOT NULL,
     campaign_id VARCHAR   NOT NULL,
     slot_at     TIMESTAMP NOT NULL,
     decision    VARCHAR   NOT NULL,
     reason      VARCHAR,
     detail      VARCHAR,
     user_ids    VARCHAR[] NOT NULL
   )`,
  // Every decision, one row per member: what reports read.
  `CREATE OR REPLACE VIEW decided_members AS
     SELECT run_id, campaign_id, slot_at, user_id, decision, reason, detail FROM plan_decisions
     UNION ALL
     SELECT run_id, campaign_id, slot_at, unnest(user_ids) AS user_id, decision, reason, detail
     FROM plan_decision_groups`,
  // Bad input is kept with its reason, so a rejected record is visible, never silently gone.
  `CREATE TABLE IF NOT EXISTS ingest_rejections (
     received_at  TIMESTAMP NOT NULL,
     source       VARCHAR   NOT NULL,
     record_index INTEGER   NOT NULL,
     field        VARCHAR   NOT NULL,
     reason       VARCHAR   NOT NULL,
     raw          VARCHAR
   )`,
  // Computed scores, one row per user (filled by the scoring jobs; read by audiences).
  `CREATE TABLE IF NOT EXISTS user_scores (
     user_id          VARCHAR PRIMARY KEY,
     lifecycle_stage  VARCHAR,
     rfm_tier         VARCHAR,
     rfm_r            INTEGER,
     rfm_f            INTEGER,
     rfm_m            INTEGER,
     churn_risk_score DOUBLE,
     churn_risk_level VARCHAR,
     ltv              DOUBLE,
     computed_at      TIMESTAMP
   )`,
  // Frozen member lists of saved audiences; the control plane's audience_snapshots row names them.
  `CREATE TABLE IF NOT EXISTS audience_snapshot_members (
     snapshot_id VARCHAR NOT NULL,
     user_id     VARCHAR NOT NULL
   )`,
  // Early-warning state: who is warned by which rule now, so `warning_raised` is appended once
  // per spell (see src/scores/warnings.ts).
  `CREATE TABLE IF NOT EXISTS warning_state (
     rule_id   VARCHAR   NOT NULL,
     user_id   VARCHAR   NOT NULL,
     level     VARCHAR   NOT NULL,
     raised_at TIMESTAMP NOT NULL
   )`,
  // Call-back survey answers (why a user left); the latest is also the trait `churn_reason`.
  `CREATE TABLE IF NOT EXISTS churn_reasons (
     id          VARCHAR   NOT NULL,
     user_id     VARCHAR   NOT NULL,
     reason      VARCHAR   NOT NULL,
     note        VARCHAR,
     answered_at TIMESTAMP NOT NULL,
     recorded_at TIMESTAMP NOT NULL,
     recorded_by VARCHAR   NOT NULL,
     source      VARCHAR   NOT NULL
   )`,
  // The top reasons behind each user's churn risk (B6), replaced by every churn scoring run:
  // rank 1–3, the feature, its contribution to the log-odds (Saabas) and its value (NULL: missing).
  // One row per churn scoring run (the latest is what user_scores and churn_risk_reasons hold):
  // which model version scored, as of when, and how many users per level.
  `CREATE TABLE IF NOT EXISTS churn_risk_runs (
     model_id      VARCHAR   NOT NULL,
     model_version INTEGER   NOT NULL,
     as_of         TIMESTAMP NOT NULL,
     scored_at     TIMESTAMP NOT NULL,
     users         INTEGER   NOT NULL,
     high          INTEGER   NOT NULL,
     medium        INTEGER   NOT NULL,
     low           INTEGER   NOT NULL
   )`,
  `CREATE TABLE IF NOT EXISTS churn_risk_reasons (
     user_id      VARCHAR NOT NULL,
     rank         INTEGER NOT NULL,
     feature      VARCHAR NOT NULL,
     contribution DOUBLE  NOT NULL,
     value        DOUBLE
   )`,
  ...IDENTITY_DDL,
  ...VALUE_MODEL_DDL,
];
