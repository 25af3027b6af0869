import type { EventRow, IdentifyRow } from '../../src/core/events/rows.ts';
import type { Rejection } from '../../src/storage/warehouse/warehouse.ts';

export const EVENTS_PER_BATCH = 8;
const T0 = Date.UTC(2026, 0, 1);

/** Batch n of the durability test: its events across two months, an identify, a rejection. */
export const durableBatch = (
  n: number,
): { events: EventRow[]; identifies: IdentifyRow[]; rejections: Rejection[]; rejectedAt: number } => ({
  events: Array.from({ length: EVENTS_PER_BATCH }, (_, i) => ({
    messageId: `b${n}-e${i}`,
    userId: `u${n % 50}`,
    anonymousId: null,
    event: 'buy',
    ts: T0 + n * 60_000 + i * 15 * 86_400_000,
    receivedAt: T0 + n * 60_000,
    amount: n + i / 10,
    currency: 'CNY',
    productId: null,
    category: null,
    orderId: `o${n}-${i}`,
    platform: null,
    properties: JSON.stringify({ n, i }),
    source: 'http',
  })),
  identifies: [
    {
      messageId: `b${n}-i`,
      userId: `u${n % 50}`,
      ts: T0 + n * 60_000,
      receivedAt: T0 + n * 60_000,
      columns: { city: `c${n}` },
      traits: { city: `c${n}`, batch: n },
      source: 'http',
    },
  ],
  rejections: [{ index: 99, field: 'event', reason: `bad in ${n}`, raw: null }],
  rejectedAt: T0 + n * 60_000,
});
