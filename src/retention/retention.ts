import type { Clock } from '../core/clock.ts';
import { retentionCutoffs, type RetentionDays } from '../core/retention/policy.ts';
import { every, type Loop } from '../scheduling/every.ts';
import {
  deleteFinishedJobsBefore,
  deleteLinkClicksBefore,
  deleteSettledEarlyReceiptsBefore,
  deleteShippedMessageLog,
  liveCampaignIds,
  markSnapshotMembersPurged,
  snapshotsToPurge,
} from '../storage/control/retention-deletes.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import { shippedFactsCursor } from '../storage/warehouse/message-facts.ts';
import {
  deleteMembersOfSnapshots,
  deleteSkippedDecisionsBefore,
} from '../storage/warehouse/retention-deletes.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';

/**
 * Retention (docs/retention.md): deletes what nothing reads any more from the tables that grow
 * with every message, click, receipt, slot and job. Age alone never decides; each query also
 * keeps what is still needed:
 *
 * - message_log: only rows the fact shipper has copied (seq at or below the warehouse cursor,
 *   max(message_facts.seq)); every report reads message_facts, which is kept.
 * - link_clicks: by age (each first click is also a `clicked` log entry, shipped as a fact).
 * - early_receipts: unless a message they may still belong to is not yet settled.
 * - jobs: finished ones; a running job is never deleted.
 * - audience_snapshot_members: of old snapshots, except the current snapshot (latest run) of a
 *   campaign that is scheduled, running or paused; the snapshot row stays, marked.
 * - plan decisions: skips only, except a live campaign's ladder skips (a ladder reads them so it
 *   never retries a user the planner refused); holdouts are the control groups of the lift and
 *   north-star reports and are kept.
 *
 * Caps, re-eligibility and ladders read `planned_messages` (the outbox), and attribution reads
 * `message_facts` and events: none of those is deleted here.
 */

export interface RetentionStores {
  control: SqlClient;
  warehouse: WarehouseSql;
}

export interface RetentionReport {
  messageLog: number;
  linkClicks: number;
  earlyReceipts: number;
  jobs: number;
  /** Snapshots whose members were deleted, and how many member rows went. */
  snapshots: number;
  snapshotMembers: number;
  planDecisions: number;
}

export const pruneMessageLog = async (s: RetentionStores, cutoff: number): Promise<number> =>
  deleteShippedMessageLog(s.control, await shippedFactsCursor(s.warehouse), cutoff);

export const pruneLinkClicks = (db: SqlClient, cutoff: number): Promise<number> =>
  deleteLinkClicksBefore(db, cutoff);

/**
 * An early receipt waits for its message to be recorded as sent; while a message it names is
 * still unsettled (pending, sending, or any state but sent and the final ones) it is kept.
 */
export const pruneEarlyReceipts = (db: SqlClient, cutoff: number): Promise<number> =>
  deleteSettledEarlyReceiptsBefore(db, cutoff);

export const pruneJobs = (db: SqlClient, cutoff: number): Promise<number> =>
  deleteFinishedJobsBefore(db, cutoff);

/**
 * Members of snapshots taken before the cutoff, except each live campaign's current one. The
 * warehouse rows go first and the control row is marked after, so a pass that stops between
 * the two is finished by the next.
 */
export const pruneSnapshotMembers = async (
  s: RetentionStores,
  cutoff: number,
  now: number,
): Promise<{ snapshots: number; members: number }> => {
  const ids = await snapshotsToPurge(s.control, cutoff);
  if (ids.length === 0) return { snapshots: 0, members: 0 };
  const members = await deleteMembersOfSnapshots(s.warehouse, ids);
  await markSnapshotMembersPurged(s.control, ids, now);
  return { snapshots: ids.length, members };
};

export const prunePlanDecisions = async (s: RetentionStores, cutoff: number): Promise<number> =>
  deleteSkippedDecisionsBefore(s.warehouse, cutoff, await liveCampaignIds(s.control));

/** One retention pass over every table whose setting is not 0. */
export const runRetention = async (
  s: RetentionStores,
  days: RetentionDays,
  now: number,
): Promise<RetentionReport> => {
  const c = retentionCutoffs(days, now);
  const snap = c.snapshotMembers === null ? null : await pruneSnapshotMembers(s, c.snapshotMembers, now);
  return {
    messageLog: c.messageLog === null ? 0 : await pruneMessageLog(s, c.messageLog),
    linkClicks: c.linkClicks === null ? 0 : await pruneLinkClicks(s.control, c.linkClicks),
    earlyReceipts: c.earlyReceipts === null ? 0 : await pruneEarlyReceipts(s.control, c.earlyReceipts),
    jobs: c.jobs === null ? 0 : await pruneJobs(s.control, c.jobs),
    snapshots: snap?.snapshots ?? 0,
    snapshotMembers: snap?.members ?? 0,
    planDecisions: c.planDecisions === null ? 0 : await prunePlanDecisions(s, c.planDecisions),
  };
};

/** The retention loop of `rekindle serve`: a pass a minute after start, then every `everyMinutes`. */
export const startRetention = (
  rt: RetentionStores & { clock: Clock; config: { retention: RetentionDays } },
  o: {
    everyMinutes: number;
    log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
  },
): Loop | undefined =>
  o.everyMinutes > 0
    ? every(
        o.everyMinutes * 60_000,
        async () => {
          const r = await runRetention(rt, rt.config.retention, rt.clock());
          if (Object.values(r).some((n) => n > 0)) o.log.info(r, 'retention: old rows deleted');
        },
        { firstAfterMs: 60_000, onError: (e) => o.log.error({ err: e }, 'retention pass failed') },
      )
    : undefined;
