import { rmSync } from 'node:fs';
import type { EventRow } from '../src/core/events/rows.ts';
import { Warehouse } from '../src/storage/warehouse/warehouse.ts';

/** The floor under HTTP ingestion: committing the same rows straight through the DuckDB appender. */
export const benchAppender = async (path: string, events: number, groupSize = 5000) => {
  rmSync(path, { force: true });
  rmSync(`${path}.wal`, { force: true });
  const wh = await Warehouse.open(path);
  const now = Date.now();
  const row = (n: number): EventRow => ({
    messageId: `raw-${n}`,
    userId: `u${(n * 7919) % 1_000_000}`,
    anonymousId: null,
    event: n % 10 === 0 ? 'order' : 'view_item',
    ts: now - (n % 100) * 1000,
    receivedAt: now,
    amount: n % 10 === 0 ? 88.5 : null,
    currency: null,
    productId: `p${n % 500}`,
    category: 'tea',
    orderId: null,
    platform: 'ios',
    properties: '{"page":"detail"}',
    source: 'http',
  });
  const started = performance.now();
  for (let start = 0; start < events; start += groupSize) {
    const rows: EventRow[] = [];
    for (let n = start; n < Math.min(events, start + groupSize); n++) rows.push(row(n));
    await wh.commit({ events: rows, identifies: [], rejections: [] });
  }
  const seconds = (performance.now() - started) / 1000;
  wh.close();
  return { events, seconds, eventsPerSecond: events / seconds, groupSize };
};
