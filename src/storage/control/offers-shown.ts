import type { SqlClient } from './sql-client.ts';

/** An issued offer as a message shows it, by the message's idempotency key (`details` still raw). */
export interface OfferShownRow {
  idempotency_key: string;
  code: string;
  kind: string;
  amount: string | number;
  value_cents: string | number;
  expires_at: Date | string;
  details: unknown;
}

/** The offers issued with these messages (the composer renders them into the content). */
export const offersOfMessages = (
  db: SqlClient,
  idempotencyKeys: readonly string[],
): Promise<OfferShownRow[]> =>
  db.query<OfferShownRow>(
    `SELECT idempotency_key, code, kind, amount, value_cents, expires_at, details FROM offers_issued
       WHERE idempotency_key = ANY($1::text[])`,
    [idempotencyKeys],
  );
