import type { MessageLogRow } from '../control/message-log.ts';
import type { WarehouseTx } from './warehouse-tx.ts';

/**
 * `message_facts`, the warehouse's copy of the control plane's message log (the fact shipper
 * appends to it, every report reads it): its cursor, the highest `seq` shipped, and the append.
 */

/** The highest `seq` shipped (0 before the first); the warehouse itself or a transaction's statements. */
export const shippedFactsCursor = async (db: Pick<WarehouseTx, 'query'>): Promise<number> => {
  const [c] = await db.query<{ cursor: bigint | number | null }>(
    'SELECT max(seq) AS cursor FROM message_facts',
  );
  return Number(c?.cursor ?? 0);
};

// The log counts cents; the facts hold currency units.
const cents = (c: number): number => c / 100;

/** Appends log rows as facts, in the table's column order. */
export const appendMessageFacts = async (tx: WarehouseTx, rows: readonly MessageLogRow[]): Promise<void> => {
  await tx.append('message_facts', (row) => {
    for (const r of rows) {
      row.varchar(r.idempotencyKey);
      row.varchar(r.campaignId);
      row.varchar(r.runId);
      row.varchar(r.step);
      row.varchar(r.variant);
      row.varchar(r.userId);
      row.varchar(r.channel);
      row.varchar(r.kind);
      row.timestamp(r.at);
      row.double(cents(r.costCents));
      row.double(cents(r.revenueCents));
      row.varchar(JSON.stringify(r.properties));
      row.bigint(r.seq);
      row.end();
    }
  });
};
