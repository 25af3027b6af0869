import { duckdbDialect, type SqlDialect } from '../../core/sql/dialect.ts';
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

/**
 * Appends log rows as facts, in the table's column order. On DuckDB the cursor read and this
 * append are one transaction. On ClickHouse they are not, so the insert carries a dedup token
 * naming the seqs it ships: the cursor is max(seq) of the facts themselves, so a pass cut after
 * the insert starts after it, and a batch inserted twice (two shippers that read the same
 * cursor, or a retry of an insert whose answer was lost) is stored once (message_facts keeps
 * the last DEDUP_WINDOW tokens, ddl.ts).
 */
export const appendMessageFacts = async (
  tx: WarehouseTx,
  rows: readonly MessageLogRow[],
  dialect: Pick<SqlDialect, 'name'> = duckdbDialect,
): Promise<void> => {
  if (dialect.name === 'clickhouse') return appendOnClickHouse(tx, rows);
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

/** Digits only: the token is part of the statement's text (SETTINGS takes no parameter). */
const batchToken = (rows: readonly MessageLogRow[]): string => {
  const seqs = rows.map((r) => r.seq);
  if (!seqs.every((q) => Number.isSafeInteger(q))) throw new Error('message log seq is not an integer');
  return `message_facts:${seqs[0]}-${seqs[seqs.length - 1]}:${seqs.length}`;
};

/** One INSERT … SELECT over the rows as a JSON parameter, with the batch's dedup token. */
const appendOnClickHouse = async (tx: WarehouseTx, rows: readonly MessageLogRow[]): Promise<void> => {
  if (rows.length === 0) return;
  const json = JSON.stringify(
    rows.map((r) => ({
      k: r.idempotencyKey,
      c: r.campaignId,
      r: r.runId,
      s: r.step,
      v: r.variant,
      u: r.userId,
      ch: r.channel,
      kind: r.kind,
      at: r.at,
      cost: cents(r.costCents),
      rev: cents(r.revenueCents),
      p: JSON.stringify(r.properties),
      seq: r.seq,
    })),
  );
  const text = (key: string) => `JSONExtract(o, '${key}', 'Nullable(String)')`;
  await tx.run(
    `INSERT INTO message_facts SETTINGS insert_deduplication_token = '${batchToken(rows)}'
     SELECT JSONExtractString(o, 'k'), ${text('c')}, ${text('r')}, ${text('s')}, ${text('v')},
            JSONExtractString(o, 'u'), JSONExtractString(o, 'ch'), JSONExtractString(o, 'kind'),
            fromUnixTimestamp64Milli(JSONExtractInt(o, 'at'), 'UTC'),
            JSONExtract(o, 'cost', 'Nullable(Float64)'), JSONExtract(o, 'rev', 'Nullable(Float64)'),
            JSONExtractString(o, 'p'), JSONExtractInt(o, 'seq')
       FROM (SELECT arrayJoin(JSONExtractArrayRaw($1)) AS o)`,
    [json],
  );
};
