import type { Channel, MessageClass } from '../../core/channels/channels.ts';
import type { SqlClient } from './sql-client.ts';

/**
 * The outbox's statements (tables `outbox` and `outbox_batches`): what src/outbox/ runs to
 * enqueue, expand, claim, record and cancel messages. The semantics (leases, claim tokens,
 * exactly-once) are explained where they are used, in src/outbox/; here is only the SQL.
 */

/** The outbox columns the planner writes, in COPY order. */
export const OUTBOX_COLUMNS = [
  'idempotency_key',
  'workspace_id',
  'campaign_id',
  'run_id',
  'step',
  'user_id',
  'channel',
  'class',
  'variant',
  'send_at',
  'cost_cents',
  'created_at',
] as const;

/** CSV rows of `OUTBOX_COLUMNS` into the outbox (COPY): a duplicate key aborts the transaction. */
export const copyOutboxCsv = (tx: SqlClient, csv: string): Promise<void> =>
  tx.copyCsv('outbox', OUTBOX_COLUMNS, csv);

/** The `outbox_batches` columns, in COPY order (`user_ids`: a text array literal). */
export const BATCH_COLUMNS = [
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

/** CSV rows of `BATCH_COLUMNS` into `outbox_batches` (COPY). */
export const copyOutboxBatchesCsv = (tx: SqlClient, csv: string): Promise<void> =>
  tx.copyCsv('outbox_batches', BATCH_COLUMNS, csv);

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

/**
 * Expands the batches `which` selects into outbox rows and deletes them, in one statement: a
 * message is always in exactly one of the two tables. `ON CONFLICT DO NOTHING`: a key already in
 * the outbox is the same message (the planner's lock makes keys new; this keeps a repeat from
 * wedging the expansion).
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

/** Expands up to `limit` batches due by `until`, earliest first (`SKIP LOCKED` on PostgreSQL); returns the rows written. */
export const expandDueBatchRows = async (db: SqlClient, until: number, limit: number): Promise<number> => {
  const skip = db.kind === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : ' FOR UPDATE';
  const rows = await db.query<{ n: string | number }>(
    EXPAND(`SELECT id FROM outbox_batches WHERE send_at <= $1 ORDER BY send_at, id LIMIT $2${skip}`),
    [new Date(until), limit],
  );
  return Number(rows[0]?.n ?? 0);
};

/** Expands every batch of a campaign; returns the rows written. */
export const expandCampaignBatchRows = async (
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

/** An outbox row as claiming returns it. */
export interface ClaimedRowRaw {
  idempotency_key: string;
  workspace_id: string;
  campaign_id: string;
  run_id: string;
  step: string;
  user_id: string;
  channel: Channel;
  class: MessageClass;
  variant: string | null;
  send_at: Date | string;
  cost_cents: number;
  attempts: number;
  provider_id: string | null;
  provider_pinned: boolean;
  payload: Record<string, unknown> | string | null;
  started_at: Date | string | null;
}

const RETURNING = `o.idempotency_key, o.workspace_id, o.campaign_id, o.run_id, o.step, o.user_id, o.channel,
  o.class, o.variant, o.send_at, o.cost_cents, o.attempts, o.provider_id, o.provider_pinned, o.payload, o.started_at`;

/**
 * A campaign in one of these states sends nothing: paused, or sent back to review by an edit (or
 * rejected back to draft) — its queued messages would otherwise go out with content no reviewer
 * has seen, since delivery composes from the campaign as it is now. They wait until it is
 * approved again (or die when it is cancelled).
 */
const NOT_SENDING = `('paused', 'pending_review', 'draft')`;

/** Campaigns whose messages must not start now (cancelled ones' messages are dead already). */
const HELD = `EXISTS (SELECT 1 FROM campaigns c WHERE c.id = o.campaign_id AND (c.status IN ${NOT_SENDING} OR c.status = 'cancelled'))`;

const skipLocked = (db: SqlClient): string => (db.kind === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '');

/** Takes over up to `limit` 'sending' rows whose lease expired before `now`, for `token` until `leaseUntil`. */
export const claimExpiredRows = (
  tx: SqlClient,
  now: number,
  leaseUntil: number,
  limit: number,
  token: string,
): Promise<ClaimedRowRaw[]> =>
  tx.query<ClaimedRowRaw>(
    `UPDATE outbox o SET lease_until = $2, claim_token = $4
     FROM (SELECT idempotency_key FROM outbox WHERE status = 'sending' AND lease_until < $1
           LIMIT $3${skipLocked(tx)}) c
     WHERE o.idempotency_key = c.idempotency_key
     RETURNING ${RETURNING}`,
    [new Date(now), new Date(leaseUntil), limit, token],
  );

/** Claims up to `limit` pending rows due at `now` (not of a campaign that sends nothing now), in due order: 'sending' for `token`. */
export const claimPendingRows = (
  tx: SqlClient,
  now: number,
  leaseUntil: number,
  limit: number,
  token: string,
): Promise<ClaimedRowRaw[]> =>
  tx.query<ClaimedRowRaw>(
    `UPDATE outbox o SET status = 'sending', lease_until = $2, claim_token = $4
     FROM (SELECT idempotency_key FROM outbox
           WHERE status = 'pending' AND coalesce(next_attempt_at, send_at) <= $1
             AND NOT EXISTS (SELECT 1 FROM campaigns c WHERE c.id = outbox.campaign_id AND c.status IN ${NOT_SENDING})
           ORDER BY coalesce(next_attempt_at, send_at) LIMIT $3${skipLocked(tx)}) c
     WHERE o.idempotency_key = c.idempotency_key
     RETURNING ${RETURNING}`,
    [new Date(now), new Date(leaseUntil), limit, token],
  );

/** Extends the lease of every row the claim still holds; returns how many it holds. */
export const renewClaimRows = async (db: SqlClient, token: string, leaseUntil: number): Promise<number> =>
  (
    await db.query(
      `UPDATE outbox SET lease_until = $2 WHERE claim_token = $1 AND status = 'sending' RETURNING 1`,
      [token, new Date(leaseUntil)],
    )
  ).length;

/**
 * Marks started (with the provider about to be called) each row of the wave the claim still holds
 * whose campaign is neither paused nor cancelled; returns their keys.
 */
export const markWaveStarted = async (
  db: SqlClient,
  token: string,
  wave: readonly { key: string; providerId: string | null }[],
  now: number,
): Promise<string[]> => {
  const rows = await db.query<{ idempotency_key: string }>(
    `UPDATE outbox o SET started_at = $4, provider_id = coalesce(w.provider, o.provider_id)
     FROM unnest($2::text[], $3::text[]) AS w(key, provider)
     WHERE o.idempotency_key = w.key AND o.claim_token = $1 AND o.status = 'sending' AND NOT ${HELD}
     RETURNING o.idempotency_key`,
    [token, wave.map((w) => w.key), wave.map((w) => w.providerId), new Date(now)],
  );
  return rows.map((r) => r.idempotency_key);
};

/** The claim's 'sending' rows (all, or those of `keys`) pending again; returns how many. */
export const releaseClaimRows = async (
  db: SqlClient,
  token: string,
  keys: readonly string[] | null,
): Promise<number> =>
  (
    await db.query(
      `UPDATE outbox SET status = 'pending', lease_until = NULL, claim_token = NULL
       WHERE claim_token = $1 AND status = 'sending' AND ($2::text[] IS NULL OR idempotency_key = ANY($2::text[]))
       RETURNING 1`,
      [token, keys],
    )
  ).length;

/** A wave's outcomes as columns (one array parameter each), row i of each column for one message. */
export interface OutcomeColumns {
  key: string[];
  token: string[];
  status: string[];
  attempts: number[];
  provider: (string | null)[];
  pinned: boolean[];
  providerMessage: (string | null)[];
  error: (string | null)[];
  dead: (string | null)[];
  /** ISO instants of the next attempt (retries). */
  next: (string | null)[];
}

export interface WrittenOutcome {
  idempotency_key: string;
  workspace_id: string;
  status: string;
  provider_id: string | null;
  provider_message_id: string | null;
}

/** Writes outcomes to the rows still 'sending' under their claim token; returns those written. */
export const writeOutcomeRows = (
  tx: SqlClient,
  cols: OutcomeColumns,
  now: number,
): Promise<WrittenOutcome[]> =>
  tx.query<WrittenOutcome>(
    `UPDATE outbox o SET
       status = u.status,
       attempts = u.attempts,
       provider_id = u.provider,
       provider_pinned = u.pinned,
       provider_message_id = coalesce(u.provider_message, o.provider_message_id),
       last_error = u.error,
       dead_reason = u.dead,
       next_attempt_at = u.next,
       lease_until = NULL,
       started_at = CASE WHEN u.status = 'pending' THEN NULL ELSE o.started_at END,
       sent_at = CASE WHEN u.status = 'sent' THEN $11::timestamptz ELSE o.sent_at END,
       final_at = CASE WHEN u.status IN ('dead', 'unknown') THEN $11::timestamptz ELSE o.final_at END
     FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::boolean[],
                 $7::text[], $8::text[], $9::text[], $10::timestamptz[])
          AS u(key, token, status, attempts, provider, pinned, provider_message, error, dead, next)
     WHERE o.idempotency_key = u.key AND o.status = 'sending' AND o.claim_token = u.token
     RETURNING o.idempotency_key, o.workspace_id, o.status, o.provider_id, o.provider_message_id`,
    [
      cols.key,
      cols.token,
      cols.status,
      cols.attempts,
      cols.provider,
      cols.pinned,
      cols.providerMessage,
      cols.error,
      cols.dead,
      cols.next,
      new Date(now).toISOString(),
    ],
  );

/**
 * A campaign's pending messages, and those claimed but not started, dead (`campaign_cancelled`)
 * with their message-log entries, in one statement; returns how many.
 */
export const killCampaignMessages = async (
  tx: SqlClient,
  workspaceId: string,
  campaignId: string,
  at: number,
): Promise<number> => {
  const rows = await tx.query<{ n: string | number }>(
    `WITH stopped AS (
       UPDATE outbox SET status = 'dead', dead_reason = 'campaign_cancelled', final_at = $3,
                         lease_until = NULL, claim_token = NULL
       WHERE workspace_id = $1 AND campaign_id = $2
         AND (status = 'pending' OR (status = 'sending' AND started_at IS NULL))
       RETURNING workspace_id, idempotency_key, campaign_id, run_id, step, variant, user_id, channel, attempts
     ), logged AS (
       INSERT INTO message_log (workspace_id, idempotency_key, campaign_id, run_id, step, variant, user_id,
                                channel, kind, at, properties)
       SELECT workspace_id, idempotency_key, campaign_id, run_id, step, variant, user_id, channel, 'dead', $3,
              jsonb_build_object('reason', 'campaign_cancelled', 'attempts', attempts)
       FROM stopped
       RETURNING 1
     )
     SELECT count(*) AS n FROM logged`,
    [workspaceId, campaignId, new Date(at)],
  );
  return Number(rows[0]?.n ?? 0);
};
