/**
 * Purchase logs as orders, shared by `rekindle churn evaluate --transactions` and `rekindle
 * btyd` so both count the same orders and the same spend (docs/churn-model.md, docs/btyd.md).
 *
 * A file may hold one row per order or one row per line item (a retail log: several rows per
 * invoice, quantity × unit price). Rows become orders this way:
 * - with an order id column (`--order-column`, or a header named order_id, InvoiceNo, Invoice, …)
 *   the rows of one user with the same id are one order; a row with an empty id, or a file with
 *   no such column, is grouped with the user's other rows of the same UTC day;
 * - the order's time is its earliest row, its amount the sum of its rows;
 * - a refund is a row whose amount (or quantity × price) is negative, or — when the order
 *   column is UCI Online Retail's `InvoiceNo` / `Invoice` — whose id starts with `C` (a
 *   cancellation). Refund rows are grouped the same way, are not orders and not activity;
 *   each reduces the spend of that user's latest order at or before it (then earlier ones),
 *   never below zero; what finds no earlier order is counted and dropped.
 */
import type { FieldError } from '../events/field-error.ts';
import { MAX_ID_LENGTH } from '../events/segment-schema.ts';
import { parseTimestamp } from '../events/timestamp.ts';
import { err, ok, type Result } from '../result.ts';

const DAY_MS = 86_400_000;

/** Which header columns to read; names are matched case-insensitively, ignoring spaces and `_`. */
export interface OrderColumnOptions {
  orderColumn?: string;
  quantityColumn?: string;
  priceColumn?: string;
}

export interface LineItemLayout {
  readonly userId: number;
  readonly timestamp: number;
  /** The amount column, or quantity and unit price whose product is the amount. */
  readonly amount: { readonly column: number } | { readonly quantity: number; readonly price: number };
  readonly order?: number;
  /** The order column's name as the header spells it. */
  readonly orderColumn?: string;
  /** Ids starting with `C` are cancellations (UCI Online Retail's InvoiceNo / Invoice). */
  readonly cancelPrefix: boolean;
  readonly columns: number;
}

const key = (name: string): string =>
  name
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, '');

const USER_NAMES = ['userid', 'customerid'];
const TIME_NAMES = ['timestamp', 'invoicedate', 'orderdate'];
const ORDER_NAMES = [
  'orderid',
  'invoiceno',
  'invoice',
  'invoiceid',
  'orderno',
  'ordernumber',
  'transactionid',
];
const UCI_INVOICE = new Set(['invoiceno', 'invoice']);
const QUANTITY_NAMES = ['quantity', 'qty'];
const PRICE_NAMES = ['unitprice', 'price'];

/**
 * Where the columns are. `user_id`, `timestamp` and `amount` as before; `CustomerID` and
 * `InvoiceDate` are read as user and time too; without `amount`, quantity × unit price.
 */
export const lineItemLayout = (
  header: readonly string[],
  options: OrderColumnOptions = {},
): Result<LineItemLayout, string> => {
  const keys = header.map(key);
  const find = (names: readonly string[]): number | 'twice' | undefined => {
    for (const n of names) {
      const first = keys.indexOf(n);
      if (first === -1) continue;
      return keys.indexOf(n, first + 1) === -1 ? first : 'twice';
    }
    return undefined;
  };
  const named = (option: string, name: string | undefined): Result<number | undefined, string> => {
    if (name === undefined) return ok(undefined);
    const at = keys.indexOf(key(name));
    return at === -1
      ? err(`${option} '${name}' is not a column of the header (${header.map((h) => h.trim()).join(', ')})`)
      : ok(at);
  };
  const userId = find(USER_NAMES);
  const timestamp = find(TIME_NAMES);
  const amount = find(['amount']);
  for (const [label, at] of [
    ['user_id', userId],
    ['timestamp', timestamp],
    ['amount', amount],
  ] as const) {
    if (at === 'twice') return err(`column '${label}' appears twice in the header`);
  }
  const order = named('--order-column', options.orderColumn);
  if (!order.ok) return order;
  const quantity = named('--quantity-column', options.quantityColumn);
  if (!quantity.ok) return quantity;
  const price = named('--price-column', options.priceColumn);
  if (!price.ok) return price;
  if ((quantity.value === undefined) !== (price.value === undefined))
    return err('--quantity-column and --price-column go together (the amount is quantity × price)');
  const orderAt = order.value ?? find(ORDER_NAMES);
  const qAt = quantity.value ?? (amount === undefined ? find(QUANTITY_NAMES) : undefined);
  const pAt = price.value ?? (amount === undefined ? find(PRICE_NAMES) : undefined);
  const byProduct = typeof qAt === 'number' && typeof pAt === 'number';
  const missing = [
    userId === undefined ? "'user_id'" : undefined,
    timestamp === undefined ? "'timestamp'" : undefined,
    amount === undefined && !byProduct ? "'amount'" : undefined,
  ].filter((m) => m !== undefined);
  if (missing.length > 0 || typeof userId !== 'number' || typeof timestamp !== 'number') {
    return err(
      `the header lacks ${missing.join(', ')} (it must name user_id, timestamp and amount — or quantity ` +
        `and unit price columns, see --quantity-column and --price-column)`,
    );
  }
  const orderColumn = typeof orderAt === 'number' ? header[orderAt]?.trim() : undefined;
  return ok({
    userId,
    timestamp,
    amount: byProduct ? { quantity: qAt, price: pAt } : { column: amount as number },
    ...(typeof orderAt === 'number' ? { order: orderAt, orderColumn: orderColumn as string } : {}),
    cancelPrefix: typeof orderAt === 'number' && UCI_INVOICE.has(keys[orderAt] as string),
    columns: header.length,
  });
};

/** One row of the file, read. */
export interface LineItem {
  readonly userId: string;
  readonly ts: number;
  /** quantity × price, or the amount; negative for a refund row. */
  readonly amount: number;
  /** Empty: none (grouped by user and day). */
  readonly orderId: string;
  readonly refund: boolean;
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** The instant of an ISO-8601 date or date-time, or why it is not one (calendar dates are checked). */
export const parseInstant = (text: string): Result<number, string> => {
  const m = DATE_TIME.exec(text);
  if (!m)
    return err(`'${text}' is not an ISO-8601 date or date-time (e.g. 1998-03-01 or 1998-03-01T12:00:00Z)`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const day = new Date(Date.UTC(y, mo - 1, d));
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d) {
    return err(`'${text}' is not a calendar date`);
  }
  const ms = parseTimestamp(text);
  return Number.isNaN(ms) ? err(`'${text}' is not a valid time`) : ok(ms);
};

const finite = (text: string, field: string, line: number): Result<number, FieldError> => {
  if (text === '') return err({ index: line, field, reason: 'is empty; a number is required' });
  const v = NUMBER.test(text) ? Number(text) : NaN;
  return Number.isFinite(v) ? ok(v) : err({ index: line, field, reason: `'${text}' is not a finite number` });
};

/** One record (1-based `line` for the error) as a line item, or the first problem found in it. */
export const parseLineItem = (
  fields: readonly string[],
  layout: LineItemLayout,
  line: number,
): Result<LineItem, FieldError> => {
  const fail = (field: string, reason: string) => err({ index: line, field, reason });
  if (fields.length !== layout.columns) {
    return fail('(record)', `has ${fields.length} fields; the header has ${layout.columns}`);
  }
  const text = (i: number): string => (fields[i] as string).trim();
  const userId = text(layout.userId);
  if (userId === '') return fail('user_id', 'is empty');
  if (userId.length > MAX_ID_LENGTH) return fail('user_id', `is longer than ${MAX_ID_LENGTH} characters`);
  const tsText = text(layout.timestamp);
  if (tsText === '') return fail('timestamp', 'is empty');
  const ts = parseInstant(tsText);
  if (!ts.ok) return fail('timestamp', ts.error);
  let amount: number;
  if ('column' in layout.amount) {
    const a = finite(text(layout.amount.column), 'amount', line);
    if (!a.ok) return a;
    amount = a.value;
  } else {
    const q = finite(text(layout.amount.quantity), 'quantity', line);
    if (!q.ok) return q;
    const p = finite(text(layout.amount.price), 'price', line);
    if (!p.ok) return p;
    amount = q.value * p.value;
  }
  const orderId = layout.order === undefined ? '' : text(layout.order);
  const refund = amount < 0 || (layout.cancelPrefix && /^c/i.test(orderId));
  return ok({ userId, ts: ts.value, amount, orderId, refund });
};

/** One order: a user's rows with one order id (or of one day). */
export interface Order {
  readonly userId: string;
  /** The order id; null when grouped by day. */
  readonly orderId: string | null;
  /** Its earliest row. */
  readonly ts: number;
  /** Its rows' sum less the refunds booked against it (never below 0). */
  amount: number;
  readonly lines: number;
}

export interface OrderBook {
  /** By user (in order of first appearance), then by time. */
  readonly orders: Order[];
  /** Rows read, refund rows among them. */
  readonly lines: number;
  readonly refundLines: number;
  /** Refunds (grouped like orders), their total (positive) and what found no earlier order. */
  readonly refunds: number;
  readonly refunded: number;
  readonly refundUnmatched: number;
  /** Users with at least one order. */
  readonly users: number;
  /** Median of the days between a user's consecutive orders, over all users; null: nobody ordered twice. */
  readonly medianOrderIntervalDays: number | null;
  /** How rows were grouped: by the named order column, or by user and day. */
  readonly groupedBy: string;
  readonly firstTs: number;
  readonly lastTs: number;
}

/** Sums of float money drift (0.1 + 0.2); cents and below are kept exactly enough. */
const money = (v: number): number => Math.round(v * 1e6) / 1e6;

interface Group {
  userId: string;
  orderId: string | null;
  ts: number;
  amount: number;
  lines: number;
}

const median = (values: number[]): number | null => {
  if (values.length === 0) return null;
  const s = values.sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

/** Groups line items into orders and books the refunds against them (rules at the top of this file). */
export const groupOrders = (items: Iterable<LineItem>, orderColumn?: string): OrderBook => {
  const orders = new Map<string, Group>();
  const refunds = new Map<string, Group>();
  let lines = 0;
  let refundLines = 0;
  let firstTs = Infinity;
  let lastTs = -Infinity;
  for (const it of items) {
    lines++;
    if (it.ts < firstTs) firstTs = it.ts;
    if (it.ts > lastTs) lastTs = it.ts;
    if (it.refund) refundLines++;
    const id = it.orderId === '' ? null : it.orderId;
    const k = `${it.userId}\u0000${id === null ? `day:${Math.floor(it.ts / DAY_MS)}` : `id:${id}`}`;
    const into = it.refund ? refunds : orders;
    const g = into.get(k);
    const amount = it.refund ? Math.abs(it.amount) : it.amount;
    if (g) {
      g.amount += amount;
      g.lines++;
      if (it.ts < g.ts) g.ts = it.ts;
    } else {
      into.set(k, { userId: it.userId, orderId: id, ts: it.ts, amount, lines: 1 });
    }
  }
  const byUser = new Map<string, Order[]>();
  for (const g of orders.values()) {
    const list = byUser.get(g.userId) ?? [];
    if (list.length === 0) byUser.set(g.userId, list);
    list.push({ ...g, amount: money(g.amount) });
  }
  for (const list of byUser.values()) list.sort((a, b) => a.ts - b.ts);
  let refunded = 0;
  let unmatched = 0;
  for (const r of refunds.values()) {
    let left = money(r.amount);
    refunded += left;
    const list = byUser.get(r.userId) ?? [];
    // Latest order at or before the refund first, then earlier ones.
    for (let i = list.length - 1; i >= 0 && left > 0; i--) {
      const o = list[i] as Order;
      if (o.ts > r.ts) continue;
      const take = Math.min(left, o.amount);
      o.amount = money(o.amount - take);
      left = money(left - take);
    }
    unmatched += left;
  }
  const gaps: number[] = [];
  const all: Order[] = [];
  for (const list of byUser.values()) {
    for (let i = 0; i < list.length; i++) {
      const o = list[i] as Order;
      all.push(o);
      if (i > 0) gaps.push((o.ts - (list[i - 1] as Order).ts) / DAY_MS);
    }
  }
  return {
    orders: all,
    lines,
    refundLines,
    refunds: refunds.size,
    refunded: money(refunded),
    refundUnmatched: money(unmatched),
    users: byUser.size,
    medianOrderIntervalDays: median(gaps),
    groupedBy: orderColumn === undefined ? 'user and day' : `order column '${orderColumn}'`,
    firstTs,
    lastTs,
  };
};

/** The book's counts as a JSON-friendly summary (what the reports print). */
export const orderSummary = (
  book: OrderBook,
): Omit<OrderBook, 'orders' | 'firstTs' | 'lastTs'> & { orders: number; spend: number } => {
  const { orders, firstTs: _f, lastTs: _l, ...rest } = book;
  return { ...rest, orders: orders.length, spend: money(orders.reduce((s, o) => s + o.amount, 0)) };
};

/** One line for a text report: rows against orders, refunds, the interval between orders. */
export const describeOrders = (book: OrderBook): string => {
  const n = (v: number) => v.toLocaleString('en-US');
  const interval =
    book.medianOrderIntervalDays === null
      ? 'nobody ordered twice'
      : `median ${book.medianOrderIntervalDays.toFixed(1)} days between a user's orders`;
  const refunds =
    book.refundLines === 0
      ? 'no refunds'
      : `${n(book.refundLines)} refund rows (${n(book.refunds)} refunds, ${book.refunded.toFixed(2)} taken off spend` +
        `${book.refundUnmatched > 0 ? `, ${book.refundUnmatched.toFixed(2)} with no earlier order dropped` : ''})`;
  return (
    `${n(book.lines)} rows → ${n(book.orders.length)} orders of ${n(book.users)} users ` +
    `(grouped by ${book.groupedBy}); ${refunds}; ${interval}`
  );
};
