import type { MessageLogKind } from '../../core/delivery/message-log-kind.ts';
import type { SqlClient } from './sql-client.ts';

/** One entry of the message log: the planned message it is about and what happened. */
export interface MessageLogEntry {
  workspaceId: string;
  idempotencyKey: string;
  campaignId: string;
  runId: string;
  step: string;
  variant: string | null;
  userId: string;
  channel: string;
  kind: MessageLogKind;
  /** Epoch ms. */
  at: number;
  costCents?: number;
  revenueCents?: number;
  properties?: Record<string, unknown>;
}

export interface MessageLogRow extends Required<MessageLogEntry> {
  seq: number;
}

/**
 * Appends entries in one statement (one array parameter per column, so the statement's text and
 * parameter count stay fixed however many entries). Call it inside the transaction that changes
 * the message's state, so the log and the state never disagree.
 */
export const appendMessageLog = async (tx: SqlClient, entries: readonly MessageLogEntry[]): Promise<void> => {
  if (entries.length === 0) return;
  const cols: unknown[][] = Array.from({ length: 13 }, () => []);
  for (const e of entries) {
    const values = [
      e.workspaceId,
      e.idempotencyKey,
      e.campaignId,
      e.runId,
      e.step,
      e.variant,
      e.userId,
      e.channel,
      e.kind,
      new Date(e.at).toISOString(),
      e.costCents ?? 0,
      e.revenueCents ?? 0,
      JSON.stringify(e.properties ?? {}),
    ];
    values.forEach((v, i) => cols[i]?.push(v));
  }
  await tx.query(
    `INSERT INTO message_log (workspace_id, idempotency_key, campaign_id, run_id, step, variant, user_id,
       channel, kind, at, cost_cents, revenue_cents, properties)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
       $8::text[], $9::text[], $10::timestamptz[], $11::bigint[], $12::bigint[], $13::jsonb[])`,
    cols,
  );
};

interface RawRow {
  seq: string;
  workspace_id: string;
  idempotency_key: string;
  campaign_id: string;
  run_id: string;
  step: string;
  variant: string | null;
  user_id: string;
  channel: string;
  kind: MessageLogKind;
  at: Date | string;
  cost_cents: string | number;
  revenue_cents: string | number;
  properties: Record<string, unknown>;
}

/** Entries after `afterSeq`, oldest first, at most `limit` (the fact shipper's read). */
export const readMessageLog = async (
  db: SqlClient,
  afterSeq: number,
  limit: number,
): Promise<MessageLogRow[]> => {
  const rows = await db.query<RawRow>(`SELECT * FROM message_log WHERE seq > $1 ORDER BY seq LIMIT $2`, [
    afterSeq,
    limit,
  ]);
  return rows.map((r) => ({
    seq: Number(r.seq),
    workspaceId: r.workspace_id,
    idempotencyKey: r.idempotency_key,
    campaignId: r.campaign_id,
    runId: r.run_id,
    step: r.step,
    variant: r.variant,
    userId: r.user_id,
    channel: r.channel,
    kind: r.kind,
    at: new Date(r.at).getTime(),
    costCents: Number(r.cost_cents),
    revenueCents: Number(r.revenue_cents),
    properties: r.properties,
  }));
};
