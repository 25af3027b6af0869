import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventRow, IdentifyRow } from '../../src/core/events/rows.ts';
import { IngestQueue } from '../../src/ingest/ingest-queue.ts';
import type { IngestSink } from '../../src/ingest/ingest-sink.ts';
import type { ClickHouseWarehouse } from '../../src/storage/clickhouse/clickhouse-warehouse.ts';
import { openClickHouseIngestSink } from '../../src/storage/clickhouse/ingest-sink.ts';
import { chdbDir, event, identify, openClickHouse } from './ingest-support.ts';

/**
 * A group commit of the ingest role cut after some of its inserts (here: `events` is missing, as
 * when the process dies between its last two inserts), then its requests retried in other groups,
 * whose tokens differ: the stored-ids check answers what the cut commit completed as duplicates
 * and stores the rest, each event and identify once.
 */
const dir = chdbDir();
let ch: ClickHouseWarehouse;
let sink: IngestSink;
// After the rows' receivedAt by more than the dedup window: a fresh queue knows no id by itself.
const clock = (): number => Date.UTC(2026, 5, 1);

beforeAll(async () => {
  ch = await openClickHouse(dir);
  sink = await openClickHouseIngestSink(ch);
});
afterAll(async () => {
  await ch.close();
});

interface Request {
  events: EventRow[];
  identifies: IdentifyRow[];
}

const T0 = Date.UTC(2026, 0, 1);
const request = (tag: string): Request => ({
  events: [
    event({ messageId: `${tag}-buy`, userId: `${tag}-u`, anonymousId: `${tag}-anon`, ts: T0, amount: 5 }),
    event({
      messageId: `${tag}-grp`,
      userId: `${tag}-u`,
      ts: T0 + 1,
      event: 'group',
      properties: JSON.stringify({ groupId: `${tag}-g` }),
    }),
  ],
  identifies: [identify({ messageId: `${tag}-id`, userId: `${tag}-u`, ts: T0 + 2, traits: { plan: 'pro' } })],
});

const counts = async (table: string, prefix: string): Promise<Map<string, number>> =>
  new Map(
    (
      await ch.db.query<{ message_id: string; n: number }>(
        `SELECT message_id, toUInt32(count()) AS n FROM ${table}
          WHERE startsWith(message_id, {p:String}) GROUP BY message_id`,
        { p: prefix },
      )
    ).map((r) => [r.message_id, Number(r.n)]),
  );

const submit = (queue: IngestQueue, r: Request) => queue.submit({ ...r, rejections: [] });

describe('the ClickHouse ingest role: a group cut mid-commit, retried in other groups', () => {
  it('stores each event and identify once, and answers what the cut commit completed as duplicates', async () => {
    const [r1, r2, r3] = [request('cut-a'), request('cut-b'), request('cut-c')];
    // One group holding r1 and r2, cut before its last insert: the events table is away.
    await ch.db.command('RENAME TABLE events TO events_away');
    let cut;
    try {
      cut = await sink.commit({
        events: [...r1.events, ...r2.events],
        identifies: [...r1.identifies, ...r2.identifies],
        rejections: [],
        rejectedAt: clock(),
        rejectionSource: 'http',
      });
    } finally {
      await ch.db.command('RENAME TABLE events_away TO events');
    }
    expect(cut.unavailable).not.toBeNull();
    expect((await counts('events', 'cut-')).size).toBe(0);
    expect([...(await counts('profile_history', 'cut-')).keys()].sort()).toEqual([
      'cut-a-grp',
      'cut-a-id',
      'cut-b-grp',
      'cut-b-id',
    ]);

    // Retried in another process (a fresh queue): r1 alone, r2 with a new request r3.
    const other = await IngestQueue.openOn(sink, { clock });
    const [o1, o23] = await Promise.all([
      submit(other, r1),
      submit(other, {
        events: [...r2.events, ...r3.events],
        identifies: [...r2.identifies, ...r3.identifies],
      }),
    ]);
    // The identifies reached profile_history, their last table: duplicates. The events did not,
    // although the group call's trait row is in profile_history under its id: stored now.
    expect(o1).toEqual({ accepted: 2, duplicates: 1, refused: [] });
    expect(o23).toEqual({ accepted: 5, duplicates: 1, refused: [] });

    const events = await counts('events', 'cut-');
    expect(events.size).toBe(6);
    expect([...events].filter(([, n]) => n !== 1)).toEqual([]);
    const history = await counts('profile_history', 'cut-');
    for (const id of ['cut-a-id', 'cut-b-id', 'cut-c-id']) expect(history.get(id)).toBe(1);

    // And once more in a third process: everything is a duplicate, nothing is inserted.
    const third = await IngestQueue.openOn(sink, { clock });
    for (const r of [r1, r2, r3])
      expect(await submit(third, r)).toEqual({ accepted: 0, duplicates: 3, refused: [] });
    expect([...(await counts('events', 'cut-'))].filter(([, n]) => n !== 1)).toEqual([]);
  });
});
