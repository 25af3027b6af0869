import { DAY_MS } from '../time/units.ts';

/**
 * How long each growing table keeps its rows (docs/retention.md). A number of days per table;
 * 0 keeps the table's rows for ever. What a table must keep whatever its setting (unshipped log
 * rows, a live campaign's snapshot, ladder skips, holdouts, running jobs) is decided by the
 * deleting queries themselves (src/retention/retention.ts), not by the age alone.
 */
export interface RetentionDays {
  /** Control-plane `message_log`, once shipped to the warehouse's `message_facts`. */
  messageLog: number;
  /** Control-plane `link_clicks` (every click on a tracked link). */
  linkClicks: number;
  /** Control-plane `early_receipts` no message is waiting for. */
  earlyReceipts: number;
  /** Finished background jobs (`jobs`). */
  jobs: number;
  /** Warehouse `audience_snapshot_members` of old snapshots. */
  snapshotMembers: number;
  /** Warehouse skip decisions (`plan_decisions`, `plan_decision_groups`). */
  planDecisions: number;
}

export const DEFAULT_RETENTION_DAYS: RetentionDays = {
  messageLog: 30,
  linkClicks: 90,
  earlyReceipts: 7,
  jobs: 30,
  snapshotMembers: 30,
  planDecisions: 90,
};

/**
 * The shortest setting each table allows (other than 0). The message log is read directly by
 * the delivery-failure alert, whose window is at most 7 days (10 080 minutes); the rest are read
 * only while they are fresh, and a day is the least that keeps a slow vendor's receipt, a job's
 * result and a slot's decisions for the people looking at them.
 */
export const RETENTION_FLOOR_DAYS: RetentionDays = {
  messageLog: 8,
  linkClicks: 1,
  earlyReceipts: 1,
  jobs: 1,
  snapshotMembers: 1,
  planDecisions: 1,
};

export const RETENTION_ENV: Record<keyof RetentionDays, string> = {
  messageLog: 'REKINDLE_RETENTION_MESSAGE_LOG_DAYS',
  linkClicks: 'REKINDLE_RETENTION_LINK_CLICKS_DAYS',
  earlyReceipts: 'REKINDLE_RETENTION_EARLY_RECEIPTS_DAYS',
  jobs: 'REKINDLE_RETENTION_JOBS_DAYS',
  snapshotMembers: 'REKINDLE_RETENTION_SNAPSHOT_DAYS',
  planDecisions: 'REKINDLE_RETENTION_PLAN_DECISIONS_DAYS',
};

/** Why a setting is refused, or null: 0 (keep for ever) or at least the table's floor. */
export const retentionProblem = (table: keyof RetentionDays, days: number): string | null =>
  days === 0 || days >= RETENTION_FLOOR_DAYS[table]
    ? null
    : `${RETENTION_ENV[table]} must be 0 (keep for ever) or at least ${RETENTION_FLOOR_DAYS[table]}, got ${days}`;

/** Rows older than this instant may go, per table; null: the table is kept for ever. */
export type RetentionCutoffs = Record<keyof RetentionDays, number | null>;

export const retentionCutoffs = (days: RetentionDays, now: number): RetentionCutoffs => {
  const out = {} as RetentionCutoffs;
  for (const k of Object.keys(days) as (keyof RetentionDays)[])
    out[k] = days[k] === 0 ? null : now - days[k] * DAY_MS;
  return out;
};
