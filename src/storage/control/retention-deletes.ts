import type { SqlClient } from './sql-client.ts';

/**
 * The control-plane deletes of retention (docs/retention.md): each keeps what is still read,
 * and runs in batches so a big backlog never holds one long transaction.
 */

const BATCH = 10_000;
/** Campaign statuses whose snapshots and ladder skips are still read. */
const LIVE = `('scheduled', 'running', 'paused')`;

/** Runs `deleteBatch` (its last parameter is the batch size) until a batch deletes fewer than `BATCH` rows. */
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

/** Log rows older than `cutoff` that the fact shipper has copied (seq at or below `shippedSeq`). */
export const deleteShippedMessageLog = (db: SqlClient, shippedSeq: number, cutoff: number): Promise<number> =>
  deleteInBatches(
    db,
    `DELETE FROM message_log WHERE seq IN (
       SELECT seq FROM message_log WHERE seq <= $1 AND at < $2 ORDER BY seq LIMIT $3) RETURNING 1`,
    [shippedSeq, new Date(cutoff)],
  );

export const deleteLinkClicksBefore = (db: SqlClient, cutoff: number): Promise<number> =>
  deleteInBatches(
    db,
    `DELETE FROM link_clicks WHERE id IN (SELECT id FROM link_clicks WHERE at < $1 LIMIT $2) RETURNING 1`,
    [new Date(cutoff)],
  );

/** Early receipts older than `cutoff` unless a message they name is still unsettled. */
export const deleteSettledEarlyReceiptsBefore = (db: SqlClient, cutoff: number): Promise<number> =>
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

/** Jobs finished before `cutoff` (a running job is never deleted). */
export const deleteFinishedJobsBefore = (db: SqlClient, cutoff: number): Promise<number> =>
  deleteInBatches(
    db,
    `DELETE FROM jobs WHERE id IN (
       SELECT id FROM jobs WHERE status <> 'running' AND finished_at < $1 LIMIT $2) RETURNING 1`,
    [new Date(cutoff)],
  );

/**
 * Snapshots taken before `cutoff` whose members are not purged yet, except each live campaign's
 * current one (its latest run's).
 */
export const snapshotsToPurge = async (db: SqlClient, cutoff: number): Promise<string[]> =>
  (
    await db.query<{ id: string }>(
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

/** Marks snapshots whose members were deleted (the snapshot row stays). */
export const markSnapshotMembersPurged = async (
  db: SqlClient,
  ids: readonly string[],
  at: number,
): Promise<void> => {
  await db.query('UPDATE audience_snapshots SET members_purged_at = $2 WHERE id = ANY($1::text[])', [
    ids,
    new Date(at),
  ]);
};

/** The campaigns that are scheduled, running or paused (their ladder skips are still read). */
export const liveCampaignIds = async (db: SqlClient): Promise<string[]> =>
  (await db.query<{ id: string }>(`SELECT id FROM campaigns WHERE status IN ${LIVE}`)).map((r) => r.id);
