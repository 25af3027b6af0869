import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { processBatch } from '../../src/ingest/process-batch.ts';
import { Warehouse } from '../../src/storage/warehouse/warehouse.ts';
import { tempDir } from '../support/tmp.ts';

/**
 * Identity stitching and "every user is a user" (features.md A1) on a real DuckDB warehouse:
 * messages go through the same validation as HTTP (`processBatch`) and the same commit.
 */

const NOW = Date.UTC(2026, 5, 1, 10, 0, 0);
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

const cleanups: (() => void)[] = [];
const open: Warehouse[] = [];
afterEach(() => {
  for (const w of open.splice(0)) w.close();
  cleanups.splice(0).forEach((c) => c());
});

const warehouse = async (): Promise<Warehouse> => {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const w = await Warehouse.open(join(dir, 'w.duckdb'));
  open.push(w);
  return w;
};

let seq = 0;
const send = async (w: Warehouse, messages: Record<string, unknown>[]) => {
  const p = processBatch(
    messages.map((m) => ({ messageId: `m${++seq}`, ...m })),
    { receivedAt: NOW, source: 'http' },
  );
  expect(p.errors).toEqual([]);
  return w.commit({ events: p.events, identifies: p.identifies, rejections: p.rejections, rejectedAt: NOW });
};

const profiles = (w: Warehouse) =>
  w.query<{ user_id: string; first_seen: Date; updated_at: Date; city: string | null; traits: string }>(
    'SELECT user_id, first_seen, updated_at, city, traits::VARCHAR AS traits FROM profiles ORDER BY user_id',
  );
describe('a user exists from the first event', () => {
  it('a track-only user gets a profile first seen at the earliest event; an older event moves first_seen back', async () => {
    const w = await warehouse();
    await send(w, [
      { type: 'track', userId: 'u1', event: 'login', timestamp: iso(NOW - 3 * DAY) },
      { type: 'track', userId: 'u1', event: 'login', timestamp: iso(NOW - 5 * DAY) },
    ]);
    expect(await profiles(w)).toEqual([
      {
        user_id: 'u1',
        first_seen: new Date(NOW - 5 * DAY),
        updated_at: new Date(NOW - 5 * DAY),
        city: null,
        traits: '{}',
      },
    ]);
    await send(w, [{ type: 'track', userId: 'u1', event: 'login', timestamp: iso(NOW - 9 * DAY) }]);
    await send(w, [{ type: 'track', userId: 'u1', event: 'login', timestamp: iso(NOW - DAY) }]);
    expect((await profiles(w))[0]?.first_seen).toEqual(new Date(NOW - 9 * DAY));
  });

  it('a profile removed by another write comes back with the next event (no stale memory)', async () => {
    const w = await warehouse();
    await send(w, [{ type: 'track', userId: 'u1', event: 'login', timestamp: iso(NOW - 3 * DAY) }]);
    await w.write(`DELETE FROM profiles WHERE user_id = 'u1'`);
    await send(w, [{ type: 'track', userId: 'u1', event: 'login', timestamp: iso(NOW - DAY) }]);
    expect((await profiles(w)).map((p) => [p.user_id, p.first_seen])).toEqual([['u1', new Date(NOW - DAY)]]);
  });

  it('identifies after events apply in their own time order, whatever the events times', async () => {
    const w = await warehouse();
    await send(w, [{ type: 'track', userId: 'u1', event: 'login', timestamp: iso(NOW - DAY) }]);
    // Both identifies are older than the event; the later of them must win.
    await send(w, [
      { type: 'identify', userId: 'u1', traits: { city: 'Beijing' }, timestamp: iso(NOW - 10 * DAY) },
    ]);
    await send(w, [
      { type: 'identify', userId: 'u1', traits: { city: 'Shanghai' }, timestamp: iso(NOW - 8 * DAY) },
    ]);
    await send(w, [
      { type: 'identify', userId: 'u1', traits: { city: 'Old' }, timestamp: iso(NOW - 20 * DAY) },
    ]);
    const [p] = await profiles(w);
    expect(p).toMatchObject({
      city: 'Shanghai',
      first_seen: new Date(NOW - 20 * DAY),
      updated_at: new Date(NOW - 8 * DAY),
    });
  });

  it('a group call is the event `group` and the trait group_id', async () => {
    const w = await warehouse();
    await send(w, [{ type: 'group', userId: 'u1', groupId: 'acme', traits: { name: 'Acme' } }]);
    const [e] = await w.query<{ event: string; p: string }>(
      'SELECT event, properties::VARCHAR AS p FROM events',
    );
    expect(e).toEqual({ event: 'group', p: '{"groupId":"acme","traits":{"name":"Acme"}}' });
    expect(JSON.parse((await profiles(w))[0]?.traits ?? '')).toEqual({ group_id: 'acme' });
  });
});

// Identity stitching itself: test/support/identity-engine-suite.ts (run on DuckDB by
// test/identity-engines.test.ts, on ClickHouse by test/clickhouse/identity-engines.test.ts).
