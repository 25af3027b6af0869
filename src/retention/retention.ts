import type { Clock } from '../core/clock.ts';
import { retentionCutoffs, type RetentionDays } from '../core/retention/policy.ts';
import { every, type Loop } from '../scheduling/every.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import type { Warehouse } from '../storage/warehouse/warehouse.ts';

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
  warehouse: Warehouse;
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

const BATCH = 10_000;
/** Campaign statuses whose snapshots and ladder skips are still read. */
const LIVE = `('scheduled', 'running', 'paused')`;

/** Deletes in batches of `BATCH` ids, so a big backlog never holds one long transaction. */
const deleteInBatches = async (db: SqlClient, deleteBatch: string, params: unknown[]): Promise<number> => {
  let total = 0;
  for (;;) {
    const [r] = await db.query<{ n: string | number }>(
      `WITH d AS (${deleteBatch}) SELECT count(*) AS n FROM d`,
      [...params, BATCH],
    );
    const n = Number(r?.n ?? 0);
    total += n;
    if (n < BATCH) return total;
  }
};

export const pruneMessageLog = async (s: RetentionStores, cutoff: number): Promise<number> => {
  const cursor = Number(
    (await s.warehouse.scalar<bigint | number | null>('SELECT max(seq) FROM message_facts')) ?? 0,
  );
  return deleteInBatches(
    s.control,
    `DELETE FROM message_log WHERE seq IN (
       SELECT seq FROM message_log WHERE seq <= $1 AND at < $2 ORDER BY seq LIMIT $3) RETURNING 1`,
    [cursor, new Date(cutoff)],
  );
};

export const pruneLinkClicks = (db: SqlClient, cutoff: number): Promise<number> =>
  deleteInBatches(
    db,
    `DELETE FROM link_clicks WHERE id IN (SELECT id FROM link_clicks WHERE at < $1 LIMIT $2) RETURNING 1`,
    [new Date(cutoff)],
  );

/**
 * An early receipt waits for its message to be recorded as sent; while a message it names is
 * still unsettled (pending, sending, or any state but sent and the final ones) it is kept.
 */
export const pruneEarlyReceipts = (db: SqlClient, cutoff: number): Promise<number> =>
  deleteInBatches(
    db,
    `DELETE FROM early_receipts WHERE id IN (
       SELECT e.id FROM early_receipts e
       WHERE e.received_at < $1 AND NOT EXISTS (
         SELECT 1 FROM outbox o
         WHERE o.status NOT IN ('sent', 'delivered', 'failed', 'dead')
           AND (o.idempotency_key = e.idempotency_key
                OR (e.provider_message_id IS NOT NULL AND o.provider_id = e.provider_id
                    AND o.provider_message_id = e.provider_message_id)))
       LIMIT $2) RETURNING 1`,
    [new Date(cutoff)],
  );

export const pruneJobs = (db: SqlClient, cutoff: number): Promise<number> =>
  deleteInBatches(
    db,
    `DELETE FROM jobs WHERE id IN (
       SELECT id FROM jobs WHERE status <> 'running' AND finished_at < $1 LIMIT $2) RETURNING 1`,
    [new Date(cutoff)],
  );

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
  const ids = (
    await s.control.query<{ id: string }>(
      `SELECT s.id FROM audience_snapshots s
       WHERE s.taken_at < $1 AND s.members_purged_at IS NULL
         AND s.id NOT IN (
           SELECT DISTINCT ON (r.campaign_id) r.snapshot_id FROM campaign_runs r
           JOIN campaigns c ON c.id = r.campaign_id
           WHERE c.status IN ${LIVE} AND r.snapshot_id IS NOT NULL
           ORDER BY r.campaign_id, r.slot_at DESC)`,
      [new Date(cutoff)],
    )
  ).map((r) => r.id);
  if (ids.length === 0) return { snapshots: 0, members: 0 };
  const members = await s.warehouse.write(
    `DELETE FROM audience_snapshot_members WHERE snapshot_id IN (SELECT unnest(from_json($1, '["VARCHAR"]')))`,
    [JSON.stringify(ids)],
  );
  await s.control.query('UPDATE audience_snapshots SET members_purged_at = $2 WHERE id = ANY($1::text[])', [
    ids,
    new Date(now),
  ]);
  return { snapshots: ids.length, members };
};

export const prunePlanDecisions = async (s: RetentionStores, cutoff: number): Promise<number> => {
  const live = (
    await s.control.query<{ id: string }>(`SELECT id FROM campaigns WHERE status IN ${LIVE}`)
  ).map((r) => r.id);
  let n = 0;
  for (const table of ['plan_decisions', 'plan_decision_groups'])
    n += await s.warehouse.write(
      `DELETE FROM ${table} WHERE slot_at < $1::TIMESTAMP AND decision = 'skipped'
         AND NOT (coalesce(detail, '') LIKE 'ladder step %'
                  AND campaign_id IN (SELECT unnest(from_json($2, '["VARCHAR"]'))))`,
      [new Date(cutoff).toISOString(), JSON.stringify(live)],
    );
  return n;
};

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
