import type { MessageClass } from '../core/channels/channels.ts';
import type { PlannedMessage } from '../core/planner/types.ts';
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

const BATCH_COLUMNS = [
  'workspace_id',
  'campaign_id',
  'run_id',
  'step',
  'channel',
  'class',
  'variant',
  'send_at',
  'cost_cents',
  'created_at',
  'user_ids',
] as const;

/** Whether a PostgreSQL array element must be quoted: empty, NULL, or a delimiter, quote, backslash or space in it. */
const needsQuotes = (v: string): boolean => {
  if (v.length === 0 || (v.length === 4 && v.toLowerCase() === 'null')) return true;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    // { } , " \ and whitespace (space, tab, newlines, and the rest PostgreSQL trims)
    if (c === 123 || c === 125 || c === 44 || c === 34 || c === 92 || c <= 32) return true;
  }
  return false;
};

/**
 * A PostgreSQL array literal of text. Plain ids (the usual case) are joined as they are; if any
 * id needs it, every element is quoted with `\\` and `"` escaped.
 */
export const textArrayLiteral = (items: readonly string[]): string => {
  if (!items.some(needsQuotes)) return `{${items.join(',')}}`;
  let s = '{';
  for (let i = 0; i < items.length; i++) {
    const v = items[i] as string;
    s += `${i === 0 ? '' : ','}"${/["\\]/.test(v) ? v.replace(/["\\]/g, '\\$&') : v}"`;
  }
  return `${s}}`;
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
  await tx.copyCsv('outbox_batches', BATCH_COLUMNS, csv);
};

/**
 * Expands batches into outbox rows and deletes them, in one statement: a message is always in
 * exactly one of the two tables. `ON CONFLICT DO NOTHING`: a key already in the outbox is the same
 * message (the planner's lock makes keys new; this keeps a repeat from wedging the expansion).
 */
const EXPAND = (which: string) => `WITH b AS (
    DELETE FROM outbox_batches WHERE id IN (${which}) RETURNING *
  ), expanded AS (
    INSERT INTO outbox (idempotency_key, workspace_id, campaign_id, run_id, step, user_id, channel, class, variant,
                        send_at, cost_cents, created_at)
    SELECT b.campaign_id || ':' || b.run_id || ':' || b.step || ':' || u.user_id, b.workspace_id, b.campaign_id,
           b.run_id, b.step, u.user_id, b.channel, b.class, b.variant, b.send_at, b.cost_cents, b.created_at
    FROM b CROSS JOIN LATERAL unnest(b.user_ids) AS u(user_id)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING 1
  )
  SELECT count(*) AS n FROM expanded`;

/**
 * Expands up to `limit` batches due by `until` (earliest first) into outbox rows. Several workers
 * (and processes) expand side by side on PostgreSQL (`SKIP LOCKED`). Returns the rows written.
 */
export const expandDueBatches = async (db: SqlClient, until: number, limit = 1): Promise<number> => {
  const skip = db.kind === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : ' FOR UPDATE';
  const rows = await db.query<{ n: string | number }>(
    EXPAND(`SELECT id FROM outbox_batches WHERE send_at <= $1 ORDER BY send_at, id LIMIT $2${skip}`),
    [new Date(until), limit],
  );
  return Number(rows[0]?.n ?? 0);
};

/** Expands every batch of a campaign (e.g. before cancelling its pending messages). */
export const expandCampaignBatches = async (
  tx: SqlClient,
  workspaceId: string,
  campaignId: string,
): Promise<number> => {
  const rows = await tx.query<{ n: string | number }>(
    EXPAND('SELECT id FROM outbox_batches WHERE workspace_id = $1 AND campaign_id = $2 FOR UPDATE'),
    [workspaceId, campaignId],
  );
  return Number(rows[0]?.n ?? 0);
};
