import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCsvOrders, runBtyd } from '../src/cli/commands/btyd.ts';
import { runChurnEvaluate } from '../src/cli/commands/churn.ts';
import { groupOrders, lineItemLayout, parseLineItem } from '../src/core/models/orders.ts';
import { checkCutoff } from '../src/models/churn/evaluate.ts';
import { loadTransactions } from '../src/models/churn/transactions.ts';
import { tempDir } from './support/tmp.ts';

const tmp = tempDir('rekindle-churn-orders-');
afterAll(() => tmp.cleanup());

const capture = () => {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } },
  };
};

/** 40 users buying every 10 days from 2024-01-01; half stop in April. Data ends 2024-06-30. */
const cadenceFile = (): string => {
  const lines = ['user_id,timestamp,amount'];
  for (let u = 0; u < 40; u++) {
    const stop = u % 2 === 0 ? Date.UTC(2024, 3, 1 + u) : Date.UTC(2024, 5, 30);
    for (let t = Date.UTC(2024, 0, 1 + (u % 10)); t <= stop; t += 10 * 86_400_000)
      lines.push(`u${u},${new Date(t).toISOString().slice(0, 10)},${10 + u}`);
  }
  lines.push('u1,2024-06-30,5');
  const path = join(tmp.dir, 'cadence.csv');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
};

describe('churn evaluate: the cutoff must be labelled by the data', () => {
  const data = { firstTs: Date.UTC(2024, 0, 1), lastTs: Date.UTC(2024, 5, 30, 14) };

  it('accepts exactly the cutoffs whose horizon lies inside the data and whose training snapshot has history', () => {
    expect(() => checkCutoff(Date.UTC(2024, 5, 1), 30, data)).not.toThrow();
    expect(() => checkCutoff(Date.UTC(2024, 5, 2), 30, data)).toThrow(
      'the 30-day horizon after the cutoff 2024-06-02 ends on 2024-07-02, after the last transaction (2024-06-30): ' +
        'its churn labels are unknown. The latest valid cutoff is 2024-06-01.',
    );
    expect(() => checkCutoff(Date.UTC(2024, 1, 1), 30, data)).not.toThrow();
    expect(() => checkCutoff(Date.UTC(2024, 0, 31), 30, data)).toThrow(
      'the training cutoff (cutoff − 30 days = 2024-01-01) is not after the first transaction (2024-01-01): ' +
        'there is no history to train on. The earliest valid cutoff is 2024-02-01.',
    );
    expect(() => checkCutoff(Date.UTC(2024, 2, 1), 200, data)).toThrow('too short for a 200-day horizon');
  });

  it('the CLI refuses a cutoff past the data with exit code 2 and scores none', async () => {
    const path = cadenceFile();
    const c = capture();
    const code = await runChurnEvaluate(
      { transactions: path, cutoff: '2024-06-15', horizonDays: '30' },
      c.io,
    );
    expect(code).toBe(2);
    expect(c.out).toEqual([]);
    expect(c.err.join('')).toContain('after the last transaction (2024-06-30)');
    expect(c.err.join('')).toContain('The latest valid cutoff is 2024-06-01.');
    const early = capture();
    expect(
      await runChurnEvaluate({ transactions: path, cutoff: '2024-01-20', horizonDays: '30' }, early.io),
    ).toBe(2);
    expect(early.err.join('')).toContain('The earliest valid cutoff is 2024-02-01.');
  });
});

/** UCI Online Retail's layout: one row per line item, cancellations as 'C' invoices with negative quantity. */
const RETAIL = [
  'InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID',
  '536365,A,2,2024-01-01T08:26:00,2.55,17850',
  '536365,B,6,2024-01-01T08:26:00,3.39,17850',
  '536366,A,1,2024-01-03T09:00:00,10,17850',
  'C536367,A,-1,2024-01-05T10:00:00,2.55,17850',
  '536368,B,3,2024-01-01T12:00:00,1.5,13047',
  '536368,C,1,2024-01-01T12:05:00,4,13047',
  '536369,D,2,2024-01-11T12:00:00,5,13047',
].join('\n');

describe('transactions are orders, not rows', () => {
  it('groups line items by invoice, multiplies quantity by price, books a cancellation against the latest order', () => {
    const header = RETAIL.split('\n')[0]!.split(',');
    const layout = lineItemLayout(header);
    expect(layout).toMatchObject({ ok: true, value: { orderColumn: 'InvoiceNo', cancelPrefix: true } });
    if (!layout.ok) return;
    const items = RETAIL.split('\n')
      .slice(1)
      .map((l, i) => parseLineItem(l.split(','), layout.value, i + 2))
      .map((r) => (r.ok ? r.value : undefined))
      .filter((r) => r !== undefined);
    expect(items).toHaveLength(7);
    const book = groupOrders(items, layout.value.orderColumn);
    expect(book.lines).toBe(7);
    expect(book.refundLines).toBe(1);
    expect(book.orders.map((o) => [o.userId, o.orderId, o.lines, o.amount])).toEqual([
      ['17850', '536365', 2, 25.44],
      ['17850', '536366', 1, 7.45],
      ['13047', '536368', 2, 8.5],
      ['13047', '536369', 1, 10],
    ]);
    expect(book.users).toBe(2);
    // Intervals between orders (2 and 10 days), not between rows (0 within an invoice).
    expect(book.medianOrderIntervalDays).toBeCloseTo(6, 1);
    expect(book.refunded).toBe(2.55);
    expect(book.refundUnmatched).toBe(0);
  });

  it('without an order column groups by user and day; a negative amount is a refund, not an order', () => {
    const layout = lineItemLayout(['user_id', 'timestamp', 'amount']);
    if (!layout.ok) throw new Error(layout.error);
    expect(layout.value.order).toBeUndefined();
    const rows = [
      ['u1', '2024-01-01T09:00:00Z', '10'],
      ['u1', '2024-01-01T18:00:00Z', '5'],
      ['u1', '2024-01-02T00:00:00Z', '-20'],
      ['u1', '2024-01-04', '7'],
      ['u2', '2024-01-02', '-3'],
    ];
    const items = rows.map((f, i) => {
      const r = parseLineItem(f, layout.value, i + 2);
      if (!r.ok) throw new Error(r.error.reason);
      return r.value;
    });
    const book = groupOrders(items);
    expect(book.groupedBy).toBe('user and day');
    expect(book.orders.map((o) => [o.userId, o.amount, o.lines])).toEqual([
      ['u1', 0, 2],
      ['u1', 7, 1],
    ]);
    // The 20 refund takes 15 from the only earlier order (not below 0); 5 and u2's 3 find no order.
    expect(book.refunded).toBe(23);
    expect(book.refundUnmatched).toBe(8);
    expect(book.users).toBe(1);
  });

  it('names the columns it cannot find', () => {
    expect(lineItemLayout(['user_id', 'timestamp', 'qty', 'cost'])).toMatchObject({
      ok: false,
      error: expect.stringContaining("the header lacks 'amount'") as unknown,
    });
    expect(
      lineItemLayout(['user_id', 'timestamp', 'qty', 'cost'], { quantityColumn: 'qty', priceColumn: 'cost' })
        .ok,
    ).toBe(true);
    expect(lineItemLayout(['user_id', 'timestamp', 'amount'], { orderColumn: 'ref' })).toMatchObject({
      ok: false,
      error: "--order-column 'ref' is not a column of the header (user_id, timestamp, amount)",
    });
    expect(lineItemLayout(['user_id', 'timestamp', 'amount'], { quantityColumn: 'amount' })).toMatchObject({
      ok: false,
      error: '--quantity-column and --price-column go together (the amount is quantity × price)',
    });
  });

  it('churn and btyd read the same file into the same orders and the same spend per user', async () => {
    const path = join(tmp.dir, 'retail.csv');
    writeFileSync(path, `${RETAIL}\n`);
    const loaded = await loadTransactions(path);
    try {
      expect(loaded).toMatchObject({ transactions: 7, orders: 4, users: 2 });
      const rows = await loaded.warehouse.query<{ user_id: string; n: bigint | number; spend: number }>(
        'SELECT user_id, count(*) AS n, sum(amount) AS spend FROM events GROUP BY user_id ORDER BY user_id',
      );
      const churnSide = rows.map((r) => [r.user_id, Number(r.n), Math.round(r.spend * 100) / 100]);
      const btyd = await readCsvOrders(path);
      if (!btyd.ok) throw new Error(btyd.error);
      const perUser = new Map<string, [number, number]>();
      for (const t of btyd.value.transactions) {
        const [n, s] = perUser.get(t.customerId) ?? [0, 0];
        perUser.set(t.customerId, [n + 1, s + t.amount]);
      }
      const btydSide = [...perUser]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([u, [n, s]]) => [u, n, Math.round(s * 100) / 100]);
      expect(churnSide).toEqual([
        ['13047', 2, 18.5],
        ['17850', 2, 32.89],
      ]);
      expect(btydSide).toEqual(churnSide);
    } finally {
      loaded.warehouse.close();
    }
  });
});

/**
 * A line-item log big enough to evaluate: 80 customers ordering every 6–20 days from January,
 * 2–4 lines an order, an occasional cancelled line; about half stop at a date spread over the
 * half year. Data ends 2024-06-30.
 */
const lineItemLog = (): { path: string; orders: number; lines: number } => {
  const out = ['InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID'];
  let invoice = 500000;
  let orders = 0;
  const end = Date.UTC(2024, 5, 30);
  for (let c = 0; c < 80; c++) {
    const every = 6 + (c % 15);
    const stop = c % 2 === 0 ? Date.UTC(2024, 1, 1) + ((c * 37) % 140) * 86_400_000 : end;
    for (let t = Date.UTC(2024, 0, 1 + (c % 7), 9); t <= stop; t += every * 86_400_000) {
      invoice++;
      orders++;
      const at = new Date(t).toISOString().slice(0, 19);
      const lines = 2 + ((invoice + c) % 3);
      for (let l = 0; l < lines; l++)
        out.push(`${invoice},S${l},${1 + l},${at},${(2.5 + l).toFixed(2)},${10000 + c}`);
      if (invoice % 9 === 0) {
        const later = new Date(t + 86_400_000).toISOString().slice(0, 19);
        out.push(`C${invoice},S0,-1,${later},2.50,${10000 + c}`);
      }
    }
  }
  const path = join(tmp.dir, 'line-items.csv');
  writeFileSync(path, `${out.join('\n')}\n`);
  return { path, orders, lines: out.length - 1 };
};

describe('the reports count orders on a line-item log', () => {
  it('churn evaluate --json: orders differ from rows, the interval is between orders', async () => {
    const log = lineItemLog();
    const c = capture();
    const code = await runChurnEvaluate(
      { transactions: log.path, cutoff: '2024-05-15', horizonDays: '30', activeDays: '60', json: true },
      c.io,
    );
    expect(c.err.join('')).toBe('');
    expect(code).toBe(0);
    const r = JSON.parse(c.out.join('')) as { data: Record<string, unknown>; n: number };
    expect(r.data).toMatchObject({
      lines: log.lines,
      orders: log.orders,
      groupedBy: "order column 'InvoiceNo'",
    });
    expect(r.data['orders']).toBeLessThan(log.lines / 2);
    expect(r.data['refundLines']).toBeGreaterThan(0);
    // Customers order every 6–20 days; between rows the median would be 0.
    expect(r.data['medianOrderIntervalDays']).toBeGreaterThanOrEqual(6);
    expect(r.data['medianOrderIntervalDays']).toBeLessThanOrEqual(20);
    const text = capture();
    expect(
      await runChurnEvaluate(
        { transactions: log.path, cutoff: '2024-05-15', horizonDays: '30', activeDays: '60' },
        text.io,
      ),
    ).toBe(0);
    expect(text.out.join('')).toContain(
      `Data: ${log.lines.toLocaleString('en-US')} rows → ${log.orders.toLocaleString('en-US')} orders`,
    );
  }, 60_000);

  it('btyd reads the same log (refunds no longer refused) and reports the same orders', async () => {
    const log = lineItemLog();
    const c = capture();
    const code = await runBtyd({ input: log.path, json: true, top: '0', timeUnit: 'day' }, c.io);
    expect(c.err.join('')).toBe('');
    expect(code).toBe(0);
    const r = JSON.parse(c.out.join('')) as { orders: Record<string, unknown> };
    expect(r.orders).toMatchObject({ lines: log.lines, orders: log.orders });
    const churn = capture();
    await runChurnEvaluate(
      { transactions: log.path, cutoff: '2024-05-15', horizonDays: '30', activeDays: '60', json: true },
      churn.io,
    );
    const data = (JSON.parse(churn.out.join('')) as { data: Record<string, unknown> }).data;
    expect(r.orders['spend']).toBe(data['spend']);
    expect(r.orders['users']).toBe(data['users']);
  }, 60_000);
});
