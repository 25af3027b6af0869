import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { EventRow } from '../src/core/events/rows.ts';
import { importFile } from '../src/ingest/import/import-file.ts';
import type { NormalisedBatch } from '../src/ingest/import/normalise-stage.ts';
import { packBatch, unpackBatch } from '../src/ingest/import/packed-batch.ts';
import { Warehouse } from '../src/storage/warehouse/warehouse.ts';
import { tempDir } from './support/tmp.ts';

const tmp = tempDir('rekindle-import-packed-');
afterAll(() => tmp.cleanup());

const batchOf = (events: EventRow[]): NormalisedBatch => ({
  kind: 'batch',
  records: events.length + 1,
  events,
  identifies: [],
  eventLines: events.map((_, i) => i + 2),
  identifyLines: [],
  rejected: 1,
  rejections: [{ index: 99, field: 'event', reason: 'is required', raw: 'x' }],
  bytesRead: 1234,
});

const nullableText = fc.option(fc.string({ unit: 'grapheme' }), { nil: null });
const eventRow: fc.Arbitrary<EventRow> = fc.record({
  messageId: fc.string({ unit: 'grapheme', minLength: 1 }),
  userId: fc.string({ unit: 'grapheme' }),
  anonymousId: nullableText,
  event: fc.string(),
  ts: fc.integer({ min: -62135596800000, max: 253402300799999 }),
  receivedAt: fc.integer({ min: 0, max: 253402300799999 }),
  amount: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: null }),
  currency: nullableText,
  productId: nullableText,
  category: nullableText,
  orderId: nullableText,
  platform: nullableText,
  properties: fc.json(),
  source: fc.constantFrom('import' as const, 'http' as const),
});

describe('packed batches (worker → importing thread)', () => {
  it('rebuild every row with the same values, nulls, empty strings, -0 and non-BMP text', () => {
    fc.assert(
      fc.property(fc.array(eventRow, { maxLength: 40 }), (events) => {
        const batch = batchOf(events);
        const { packed, transfer } = packBatch(batch);
        // What crosses the thread boundary is a structured clone; do the same here.
        const crossed = structuredClone(packed, { transfer });
        const back = unpackBatch(crossed);
        expect(back).toEqual(batch);
        back.events.forEach((r, i) => expect(Object.is(r.amount, events[i]?.amount)).toBe(true));
      }),
      { numRuns: 200 },
    );
  });

  it('keeps a row whose every optional column is null or empty', () => {
    const row: EventRow = {
      messageId: 'm',
      userId: '',
      anonymousId: null,
      event: '',
      ts: 0,
      receivedAt: 1,
      amount: 0,
      currency: '',
      productId: null,
      category: null,
      orderId: '',
      platform: null,
      properties: '{}',
      source: 'import',
    };
    expect(unpackBatch(packBatch(batchOf([row, { ...row, amount: null }])).packed).events).toEqual([
      row,
      { ...row, amount: null },
    ]);
  });

  it('stores the same rows whether the file is read on a worker thread or not', async () => {
    const lines = [
      'type,message_id,user_id,anonymous_id,event,timestamp,amount,currency,product_id,category,order_id,platform,properties,traits',
    ];
    for (let i = 0; i < 2000; i++) {
      const props = i % 3 === 0 ? '"{""note"":""é𝄞, \\""q\\"" ""}"' : '';
      lines.push(
        `track,m${i % 1950},u${i % 37},${i % 5 === 0 ? `a${i}` : ''},${i % 2 === 0 ? 'view' : 'order'},2026-10-0${1 + (i % 9)}T00:00:0${i % 10}Z,${i % 4 === 0 ? (i / 7).toString() : ''},${i % 4 === 0 ? 'CNY' : ''},${i % 6 === 0 ? `p${i}` : ''},,${i % 8 === 0 ? `o${i}` : ''},${i % 2 === 0 ? 'ios' : ''},${props},`,
      );
    }
    const path = join(tmp.dir, 'rows.csv');
    writeFileSync(path, lines.join('\n'));
    const now = () => Date.UTC(2026, 10, 20);
    const stored: unknown[][] = [];
    for (const worker of [false, true]) {
      const wh = await Warehouse.open(join(tmp.dir, `wh-${String(worker)}.duckdb`));
      try {
        const report = await importFile(wh, { path, now, worker, chunkSize: 700 });
        expect(report).toMatchObject({ records: 2000, accepted: 1950, duplicates: 50, rejected: 0 });
        stored.push(
          await wh.query(
            `SELECT message_id, user_id, anonymous_id, event, ts, received_at, amount, currency, product_id,
                    category, order_id, platform, properties, source FROM events ORDER BY message_id`,
          ),
        );
      } finally {
        wh.close();
      }
    }
    expect(stored[0]).toHaveLength(1950);
    expect(stored[1]).toEqual(stored[0]);
  });
});
