import type { MessageClass } from '../core/channels/channels.ts';
import type { PlannedMessage } from '../core/planner/types.ts';
import {
  copyOutboxBatchesCsv,
  expandCampaignBatchRows,
  expandDueBatchRows,
  textArrayLiteral,
} from '../storage/control/outbox.ts';
import { csvRow, type SqlClient } from '../storage/control/sql-client.ts';

/**
 * A large slot's messages committed compactly (migration 013): users who get the same message
 * (run, step, channel, variant, send instant, cost) share one `outbox_batches` row, and delivery
 * expands a batch into outbox rows shortly before it is due. A 1 M-recipient slot then commits a
 * few hundred rows instead of hundreds of thousands of rows with four index inserts each; the
 * expansion is spread over the sending, which is slower than it anyway.
 */

/** Users per batch row: one expansion is a short transaction (a few thousand inserts). */
export const BATCH_USERS = 5_000;

export interface OutboxBatch {
  campaignId: string;
  runId: string;
  step: string;
  channel: string;
  class: MessageClass;
  variant: string | null;
  sendAt: number;
  costCents: number;
  userIds: string[];
}

/** Groups planned messages into batches of at most `size` users, in the order they were planned. */
export const batchesOf = (
  messages: readonly PlannedMessage[],
  classOf: (campaignId: string) => MessageClass,
  size = BATCH_USERS,
): OutboxBatch[] => {
  const out: OutboxBatch[] = [];
  // Nested Maps keyed by the strings the planner already holds (their hashes are cached), not
  // one key string built per message: a slot plans hundreds of thousands.
  const open: Nested = new Map();
  for (const m of messages) {
    const byCost = level(
      level(level(level(level(level(open, m.campaignId), m.runId), m.step), m.channel), m.variant),
      m.sendAt,
    );
    let b = byCost.get(m.costCents) as OutboxBatch | undefined;
    if (b === undefined || b.userIds.length >= size) {
      b = {
        campaignId: m.campaignId,
        runId: m.runId,
        step: m.step,
        channel: m.channel,
        class: classOf(m.campaignId),
        variant: m.variant,
        sendAt: m.sendAt,
        costCents: m.costCents,
        userIds: [],
      };
      byCost.set(m.costCents, b);
      out.push(b);
    }
    b.userIds.push(m.userId);
  }
  return out;
};

type Nested = Map<string | number | null, Nested | OutboxBatch>;
const level = (m: Nested, key: string | number | null): Nested => {
  let next = m.get(key) as Nested | undefined;
  if (next === undefined) m.set(key, (next = new Map()));
  return next;
};

/** The batches into `outbox_batches` with one COPY, inside the planner's transaction. */
export const writeOutboxBatches = async (
  tx: SqlClient,
  workspaceId: string,
  batches: readonly OutboxBatch[],
  at: number,
): Promise<void> => {
  if (batches.length === 0) return;
  const created = new Date(at).toISOString();
  let csv = '';
  // In BATCH_COLUMNS order (storage/control/outbox.ts).
  for (const b of batches)
    csv += csvRow([
      workspaceId,
      b.campaignId,
      b.runId,
      b.step,
      b.channel,
      b.class,
      b.variant,
      new Date(b.sendAt).toISOString(),
      b.costCents,
      created,
      textArrayLiteral(b.userIds),
    ]);
  await copyOutboxBatchesCsv(tx, csv);
};

/**
 * Expands up to `limit` batches due by `until` (earliest first) into outbox rows, each in one
 * statement that also deletes the batch: a message is always in exactly one of the two tables.
 * Several workers (and processes) expand side by side on PostgreSQL (`SKIP LOCKED`). Returns the
 * rows written.
 */
export const expandDueBatches = (db: SqlClient, until: number, limit = 1): Promise<number> =>
  expandDueBatchRows(db, until, limit);

/** Expands every batch of a campaign (e.g. before cancelling its pending messages). */
export const expandCampaignBatches = (
  tx: SqlClient,
  workspaceId: string,
  campaignId: string,
): Promise<number> => expandCampaignBatchRows(tx, workspaceId, campaignId);
