import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { EventRow } from '../../core/events/rows.ts';
import type { FieldError } from '../../core/events/field-error.ts';
import {
  parseTransaction,
  transactionLayout,
  type TransactionLayout,
} from '../../core/models/churn/transactions.ts';
import { CsvParser, type CsvRow } from '../../core/csv/csv-parser.ts';
import { Warehouse } from '../../storage/warehouse/warehouse.ts';

/** Why a transactions file was refused: a file-level reason, or the records that are wrong. */
export class TransactionsError extends Error {
  constructor(
    message: string,
    readonly errors: readonly FieldError[] = [],
    readonly rejected = 0,
  ) {
    super(message);
  }
}

/** Records listed in a refusal (all are counted). */
const ERRORS_KEPT = 20;
const BATCH = 50_000;

/**
 * Loads a transactions CSV (user_id, timestamp, amount) into a fresh in-memory warehouse as
 * `order` events carrying the amount. The file is all or nothing: any bad record refuses it
 * with the first errors (line, field, reason) and the count, since a model evaluated on a
 * silently trimmed file would report figures about other data than the user gave.
 */
export const loadTransactions = async (
  path: string,
  options: { event?: string } = {},
): Promise<{
  warehouse: Warehouse;
  transactions: number;
  users: number;
  firstTs: number;
  lastTs: number;
}> => {
  try {
    if (!(await stat(path)).isFile()) throw new TransactionsError(`cannot read ${path}: not a regular file`);
  } catch (e) {
    if (e instanceof TransactionsError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new TransactionsError(
      `cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(e))}`,
    );
  }
  const event = options.event ?? 'order';
  const wh = await Warehouse.open(':memory:');
  try {
    const parser = new CsvParser();
    const rows: CsvRow[] = [];
    const errors: FieldError[] = [];
    let rejected = 0;
    let layout: TransactionLayout | undefined;
    let pending: EventRow[] = [];
    let count = 0;
    let firstTs = Infinity;
    let lastTs = -Infinity;
    const users = new Set<string>();
    const flush = async () => {
      if (pending.length > 0 && rejected === 0)
        await wh.commit({ events: pending, identifies: [], rejections: [] });
      pending = [];
    };
    const consume = async () => {
      for (const row of rows) {
        if (layout === undefined) {
          if (row.error !== undefined)
            throw new TransactionsError(`${path}: line ${row.line}: header: ${row.error}`);
          const l = transactionLayout(row.fields);
          if (!l.ok) throw new TransactionsError(`${path}: line ${row.line}: ${l.error}`);
          layout = l.value;
          continue;
        }
        const t = row.error
          ? ({
              ok: false,
              error: { index: row.line, field: '(record)', reason: `is not valid CSV: ${row.error}` },
            } as const)
          : parseTransaction(row.fields, layout, row.line);
        if (!t.ok) {
          rejected++;
          if (errors.length < ERRORS_KEPT) errors.push(t.error);
          continue;
        }
        const { userId, ts, amount } = t.value;
        count++;
        users.add(userId);
        if (ts < firstTs) firstTs = ts;
        if (ts > lastTs) lastTs = ts;
        if (rejected === 0) {
          pending.push({
            messageId: `tx-${row.line}`,
            userId,
            anonymousId: null,
            event,
            ts,
            receivedAt: ts,
            amount,
            currency: null,
            productId: null,
            category: null,
            orderId: null,
            platform: null,
            properties: '{}',
            source: 'import',
          });
        }
      }
      rows.length = 0;
      if (pending.length >= BATCH) await flush();
    };
    const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 16 });
    for await (const piece of stream as AsyncIterable<string>) {
      parser.push(piece, rows);
      await consume();
    }
    parser.end(rows);
    await consume();
    await flush();
    if (layout === undefined)
      throw new TransactionsError(`${path}: the file is empty; it needs a header row`);
    if (rejected > 0) {
      throw new TransactionsError(
        `${path}: ${rejected} invalid record${rejected === 1 ? '' : 's'}`,
        errors,
        rejected,
      );
    }
    if (count === 0) throw new TransactionsError(`${path}: the file has a header but no transactions`);
    return { warehouse: wh, transactions: count, users: users.size, firstTs, lastTs };
  } catch (e) {
    wh.close();
    throw e;
  }
};
