import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Warehouse } from '../src/storage/warehouse/warehouse.ts';
import type { EventRow } from '../src/core/events/rows.ts';
import { tempDir } from './support/tmp.ts';

const event = (i: number): EventRow => ({
  messageId: `m${i}`,
  userId: `u${i % 7}`,
  anonymousId: null,
  event: 'login',
  ts: Date.UTC(2026, 0, 1) + i,
  receivedAt: Date.UTC(2026, 0, 1) + i,
  amount: null,
  currency: null,
  productId: null,
  category: null,
  orderId: null,
  platform: null,
  properties: '{}',
  source: 'http',
});

describe('Warehouse.commit', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  it('runs concurrent commits one after another, so none is lost and a failure rolls back alone', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const w = await Warehouse.open(join(dir, 'w.duckdb'));
    try {
      const bad = { ...event(999), userId: null as unknown as string };
      const results = await Promise.allSettled([
        ...Array.from({ length: 20 }, (_, k) =>
          w.commit({
            events: Array.from({ length: 50 }, (_, i) => event(k * 50 + i)),
            identifies: [],
            rejections: [],
          }),
        ),
        w.commit({ events: [bad], identifies: [], rejections: [] }),
        w.checkpoint(),
      ]);
      expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
      expect(Number(await w.scalar('SELECT count(*) FROM events'))).toBe(1000);
    } finally {
      w.close();
    }
  });
});

describe('Warehouse.compactEvents', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  it('sorts events by (event, ts), keeps every row and the constraints, and writes go on after', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const path = join(dir, 'w.duckdb');
    const w = await Warehouse.open(path);
    const names = ['pay', 'login', 'order'];
    const rows = Array.from({ length: 300 }, (_, i) => ({
      ...event(i),
      event: names[i % 3]!,
      ts: Date.UTC(2026, 0, 1) + ((i * 7919) % 300) * 1000,
    }));
    await w.commit({ events: rows, identifies: [], rejections: [] });
    const before = await w.query('SELECT * FROM events ORDER BY message_id');
    expect(await w.compactEvents()).toBe(300);
    const stored = await w.query<{ event: string; ts: Date }>('SELECT event, ts FROM events');
    const sorted = [...stored].sort(
      (a, b) => a.event.localeCompare(b.event) || a.ts.getTime() - b.ts.getTime(),
    );
    expect(stored).toEqual(sorted);
    expect(await w.query('SELECT * FROM events ORDER BY message_id')).toEqual(before);
    await expect(
      w.commit({
        events: [{ ...event(1000), userId: null as unknown as string }],
        identifies: [],
        rejections: [],
      }),
    ).rejects.toThrow();
    await w.commit({ events: [event(1001)], identifies: [], rejections: [] });
    w.close();
    const reopened = await Warehouse.open(path);
    expect(Number(await reopened.scalar('SELECT count(*) FROM events'))).toBe(301);
    reopened.close();
  });
});
