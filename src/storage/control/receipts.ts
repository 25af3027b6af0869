import type { SqlClient } from './sql-client.ts';

/**
 * The statements delivery receipts run (delivery/providers/receipts.ts says when): the outbox row
 * a receipt names, its settlement, and the receipts kept in `early_receipts` until their message
 * is recorded as sent. Every one runs on the caller's transaction.
 */

/** An outbox row as a receipt finds it. */
export interface ReceiptOutboxRow {
  idempotency_key: string;
  campaign_id: string;
  run_id: string;
  step: string;
  variant: string | null;
  user_id: string;
  channel: string;
  status: string;
}

/** The provider's message the receipt names (by provider message id or our key), locked. */
export const lockReceiptRow = async (
  tx: SqlClient,
  provider: { id: string; workspaceId: string },
  providerMessageId: string | null,
  idempotencyKey: string | null,
): Promise<ReceiptOutboxRow | undefined> =>
  (
    await tx.query<ReceiptOutboxRow>(
      `SELECT idempotency_key, campaign_id, run_id, step, variant, user_id, channel, status FROM outbox
       WHERE workspace_id = $1 AND provider_id = $2
         AND (($3::text IS NOT NULL AND provider_message_id = $3) OR ($4::text IS NOT NULL AND idempotency_key = $4))
       LIMIT 1 FOR UPDATE`,
      [provider.workspaceId, provider.id, providerMessageId, idempotencyKey],
    )
  )[0];

/** Settles a sent message as delivered or failed at `at`. */
export const settleOutboxRow = async (
  tx: SqlClient,
  idempotencyKey: string,
  status: 'delivered' | 'failed',
  at: number,
): Promise<void> => {
  await tx.query(`UPDATE outbox SET status = $2, final_at = $3 WHERE idempotency_key = $1`, [
    idempotencyKey,
    status,
    new Date(at),
  ]);
};

/** A receipt that came before its message was recorded as sent. */
export interface EarlyReceipt {
  workspaceId: string;
  providerId: string;
  providerMessageId: string | null;
  idempotencyKey: string | null;
  status: 'delivered' | 'failed';
  code: string | null;
  at: number;
  receivedAt: number;
}

export const insertEarlyReceipt = async (tx: SqlClient, e: EarlyReceipt): Promise<void> => {
  await tx.query(
    `INSERT INTO early_receipts (workspace_id, provider_id, provider_message_id, idempotency_key, status, code, at, received_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      e.workspaceId,
      e.providerId,
      e.providerMessageId,
      e.idempotencyKey,
      e.status,
      e.code,
      new Date(e.at),
      new Date(e.receivedAt),
    ],
  );
};

/** An `early_receipts` row as stored. */
export interface EarlyReceiptRow {
  id: string | number;
  workspace_id: string;
  provider_id: string;
  provider_message_id: string | null;
  idempotency_key: string | null;
  status: 'delivered' | 'failed';
  code: string | null;
  at: Date | string;
}

/** The early receipts naming any of these sent messages (by key or provider message id), oldest first. */
export const earlyReceiptsFor = (
  tx: SqlClient,
  sent: readonly { workspaceId: string; key: string; providerId: string; providerMessageId: string | null }[],
): Promise<EarlyReceiptRow[]> =>
  tx.query<EarlyReceiptRow>(
    `SELECT e.* FROM early_receipts e
     JOIN unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS s(ws, key, provider, pmid)
       ON e.workspace_id = s.ws AND e.provider_id = s.provider
      AND (e.idempotency_key = s.key OR (s.pmid IS NOT NULL AND e.provider_message_id = s.pmid))
     ORDER BY e.id`,
    [
      sent.map((x) => x.workspaceId),
      sent.map((x) => x.key),
      sent.map((x) => x.providerId),
      sent.map((x) => x.providerMessageId),
    ],
  );

export const deleteEarlyReceipt = async (tx: SqlClient, id: string | number): Promise<void> => {
  await tx.query('DELETE FROM early_receipts WHERE id = $1', [id]);
};
