import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { EventRow } from '../../core/events/rows.ts';
import type { FieldError } from '../../core/events/field-error.ts';
import {
  groupOrders,
  lineItemLayout,
  parseLineItem,
  type LineItem,
  type LineItemLayout,
  type OrderBook,
  type OrderColumnOptions,
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
 * Reads a transactions CSV into line items. The file is all or nothing: any bad record
 * refuses it with the first errors (line, field, reason) and the count, since a model
 * evaluated on a silently trimmed file would report figures about other data than the user gave.
 */
export const readLineItems = async (
  path: string,
  columns: OrderColumnOptions = {},
): Promise<{ items: LineItem[]; layout: LineItemLayout }> => {
  try {
    if (!(await stat(path)).isFile()) throw new TransactionsError(`cannot read ${path}: not a regular file`);
  } catch (e) {
    if (e instanceof TransactionsError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new TransactionsError(
      `cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(e))}`,
    );
  }
  const parser = new CsvParser();
  const rows: CsvRow[] = [];
  const errors: FieldError[] = [];
  const items: LineItem[] = [];
  let rejected = 0;
  let layout: LineItemLayout | undefined;
  const consume = () => {
    for (const row of rows) {
      if (layout === undefined) {
        if (row.error !== undefined)
          throw new TransactionsError(`${path}: line ${row.line}: header: ${row.error}`);
        const l = lineItemLayout(row.fields, columns);
        if (!l.ok) throw new TransactionsError(`${path}: line ${row.line}: ${l.error}`);
        layout = l.value;
        continue;
      }
      const t = row.error
        ? ({
            ok: false,
            error: { index: row.line, field: '(record)', reason: `is not valid CSV: ${row.error}` },
          } as const)
        : parseLineItem(row.fields, layout, row.line);
      if (!t.ok) {
        rejected++;
        if (errors.length < ERRORS_KEPT) errors.push(t.error);
        continue;
      }
      if (rejected === 0) items.push(t.value);
    }
    rows.length = 0;
  };
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 16 });
  for await (const piece of stream as AsyncIterable<string>) {
    parser.push(piece, rows);
    consume();
  }
  parser.end(rows);
  consume();
  if (layout === undefined) throw new TransactionsError(`${path}: the file is empty; it needs a header row`);
  if (rejected > 0) {
    throw new TransactionsError(
      `${path}: ${rejected} invalid record${rejected === 1 ? '' : 's'}`,
      errors,
      rejected,
    );
  }
  if (items.length === 0) throw new TransactionsError(`${path}: the file has a header but no transactions`);
  return { items, layout };
};

/** A transactions file as orders (rows grouped, refunds booked): the same book `rekindle btyd` reads. */
export const readOrderBook = async (path: string, columns: OrderColumnOptions = {}): Promise<OrderBook> => {
  const { items, layout } = await readLineItems(path, columns);
  const book = groupOrders(items, layout.orderColumn);
  if (book.orders.length === 0)
    throw new TransactionsError(`${path}: the file holds only refunds (${book.refundLines} rows), no orders`);
  return book;
};

/**
 * Loads a transactions CSV into a fresh in-memory warehouse as one `order` event per order,
 * carrying its order id and its amount net of refunds. Refunds are not events: they are not
 * activity (docs/churn-model.md).
 *
 * DuckDB on purpose, whatever the deployment's warehouse: the file is a benchmark's or an
 * evaluation's own data set, loaded into a scratch in-memory DuckDB (`commit` is DuckDB's). The
 * returned warehouse is a `WarehouseSql` too, so evaluating it goes through the same statements.
 */
export const loadTransactions = async (
  path: string,
  options: { event?: string } & OrderColumnOptions = {},
): Promise<{
  warehouse: Warehouse;
  /** Rows of the file. */
  transactions: number;
  orders: number;
  users: number;
  /** The first and last row of any kind: the period the file covers. */
  firstTs: number;
  lastTs: number;
  book: OrderBook;
}> => {
  const { event: eventOption, ...columns } = options;
  const book = await readOrderBook(path, columns);
  const event = eventOption ?? 'order';
  const wh = await Warehouse.open(':memory:');
  try {
    let pending: EventRow[] = [];
    for (let k = 0; k < book.orders.length; k++) {
      const o = book.orders[k]!;
      pending.push({
        messageId: `order-${k + 1}`,
        userId: o.userId,
        anonymousId: null,
        event,
        ts: o.ts,
        receivedAt: o.ts,
        amount: o.amount,
        currency: null,
        productId: null,
        category: null,
        orderId: o.orderId,
        platform: null,
        properties: '{}',
        source: 'import',
      });
      if (pending.length >= BATCH) {
        await wh.commit({ events: pending, identifies: [], rejections: [] });
        pending = [];
      }
    }
    if (pending.length > 0) await wh.commit({ events: pending, identifies: [], rejections: [] });
    return {
      warehouse: wh,
      transactions: book.lines,
      orders: book.orders.length,
      users: book.users,
      firstTs: book.firstTs,
      lastTs: book.lastTs,
      book,
    };
  } catch (e) {
    wh.close();
    throw e;
  }
};
