import { afterEach, describe, expect, it } from 'vitest';
import { processBatch } from '../../src/ingest/process-batch.ts';
import type { ClickHouseWarehouse } from '../../src/storage/clickhouse/clickhouse-warehouse.ts';
import { eventRowOf } from '../../src/storage/clickhouse/ingest-rows.ts';
import { chdbDir, openClickHouse } from './ingest-support.ts';
import { httpRequests } from '../support/http-requests.ts';

/**
 * Identity stitching on the ClickHouse warehouse (features.md A1), what only ClickHouse has (the
 * scenarios both engines share are test/support/identity-engine-suite.ts): links decided as of
 * the call's arrival, a process that wrote under an alias before it learnt of the link, a pass cut
 * midway, an alias cycle that two commits accepted before any pass, commits racing passes, pruning.
 */

const NOW = Date.UTC(2026, 5, 1, 10, 0, 0);
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

const dir = chdbDir();
const open: ClickHouseWarehouse[] = [];
afterEach(async () => {
  for (const w of open.splice(0)) await w.close();
});

const warehouse = async (): Promise<ClickHouseWarehouse> => {
  const w = await openClickHouse(dir);
  open.push(w);
  return w;
};

/** One HTTP request: its records share one received time, later than every earlier request's. */
const request = httpRequests(NOW);
const send = (w: ClickHouseWarehouse, messages: Record<string, unknown>[]) => w.commit(request(messages));
const stitch = (
  w: ClickHouseWarehouse,
  over: Parameters<ClickHouseWarehouse['stitch']>[0] = { now: NOW + DAY },
) => w.stitch(over);

const profiles = (w: ClickHouseWarehouse) =>
  w.query<{ user_id: string; first_seen: Date; city: string | null; traits: string }>(
    'SELECT user_id, first_seen, city, traits FROM profiles ORDER BY user_id',
  );
const eventsBy = async (w: ClickHouseWarehouse) =>
  Object.fromEntries(
    (
      await w.query<{ user_id: string; n: number }>(
        'SELECT user_id, count() AS n FROM events GROUP BY user_id ORDER BY user_id',
      )
    ).map((r) => [r.user_id, Number(r.n)]),
  );
const links = (w: ClickHouseWarehouse) =>
  w.query<{ alias_id: string; linked_to: string; canonical_id: string; via: string }>(
    'SELECT alias_id, linked_to, canonical_id, via FROM identity_links ORDER BY alias_id',
  );

describe('identity stitching on ClickHouse: many processes, no transaction', () => {
  it('an id sent as a userId only after the call that links it is still linked (the call decides as of its arrival)', async () => {
    const w = await warehouse();
    await send(w, [{ type: 'track', anonymousId: 'a', event: 'view', timestamp: iso(NOW - 2 * DAY) }]);
    await send(w, [{ type: 'identify', userId: 'u', anonymousId: 'a', timestamp: iso(NOW - DAY) }]);
    // Before any pass, `a` is sent as a userId (DuckDB had linked it already at this point).
    await send(w, [{ type: 'track', userId: 'a', event: 'order', timestamp: iso(NOW) }]);
    await stitch(w, { now: NOW + DAY, marginMs: 0 });
    expect(await links(w)).toEqual([{ alias_id: 'a', linked_to: 'u', canonical_id: 'u', via: 'identify' }]);
    expect(await eventsBy(w)).toEqual({ u: 2 });
  });

  it('rows a process wrote under an alias before it learnt of the link are swept to the canonical id, once', async () => {
    const w = await warehouse();
    await send(w, [{ type: 'identify', userId: 'u', anonymousId: 'anon', timestamp: iso(NOW - DAY) }]);
    await stitch(w, { now: NOW + DAY, marginMs: 0 });
    // Another process, whose view of the links is older, stores events and a profile under `anon`.
    const stale = Array.from({ length: 25 }, (_, i) => ({
      messageId: `stale-${i}`,
      userId: 'anon',
      anonymousId: 'anon',
      event: 'view',
      ts: NOW - i * 1000,
      receivedAt: NOW,
      amount: null,
      currency: null,
      productId: null,
      category: null,
      orderId: null,
      platform: null,
      properties: '{}',
      source: 'http' as const,
    }));
    await w.db.insert('events', stale.map(eventRowOf));
    await w.write(
      `INSERT INTO profile_state (user_id, first_seen) VALUES ('anon', toDateTime64('2026-01-01 00:00:00', 3, 'UTC'))`,
    );
    const first = await stitch(w, { now: NOW + DAY + 1, marginMs: 0 });
    expect(first.sweep.copied['events']).toBe(25);
    // A second pass (or one repeated after a cut) copies nothing again.
    const second = await stitch(w, { now: NOW + DAY + 2, marginMs: 0 });
    expect(second.sweep.aliasesWithRows).toBe(0);
    expect(await eventsBy(w)).toEqual({ u: 25 });
    expect((await profiles(w)).map((p) => [p.user_id, p.first_seen])).toEqual([
      ['u', new Date(Date.UTC(2026, 0, 1))],
    ]);
  });

  it('a young profile row of an alias is folded at once but deleted only after the margin', async () => {
    const w = await warehouse();
    await send(w, [
      { type: 'identify', userId: 'anon', traits: { city: 'Early' }, timestamp: iso(NOW - 2 * DAY) },
    ]);
    await send(w, [{ type: 'alias', previousId: 'anon', userId: 'u', timestamp: iso(NOW - DAY) }]);
    await stitch(w, { now: NOW + DAY, marginMs: 60_000 });
    // Folded into u already; anon's state stays until it is older than the margin.
    expect((await profiles(w)).map((p) => [p.user_id, p.city])).toEqual([
      ['anon', 'Early'],
      ['u', 'Early'],
    ]);
    await stitch(w, { now: NOW + DAY + 1, marginMs: 0 });
    expect((await profiles(w)).map((p) => [p.user_id, p.city])).toEqual([['u', 'Early']]);
  });

  it('a pass cut after writing links, or after the outcomes, is completed by the next pass', async () => {
    for (const step of ['links', 'outcomes'] as const) {
      const w = await warehouse();
      await send(w, [
        { type: 'track', anonymousId: 'a', event: 'view', timestamp: iso(NOW - 3 * DAY) },
        { type: 'identify', userId: 'x', traits: { city: 'X' }, timestamp: iso(NOW - 3 * DAY) },
      ]);
      await send(w, [
        { type: 'identify', userId: 'u', anonymousId: 'a', timestamp: iso(NOW - 2 * DAY) },
        { type: 'alias', previousId: 'x', userId: 'u', timestamp: iso(NOW - DAY) },
      ]);
      await expect(
        stitch(w, {
          now: NOW + DAY,
          marginMs: 0,
          cut: (s) => {
            if (s === step) throw new Error(`cut after ${s}`);
          },
        }),
      ).rejects.toThrow(`cut after ${step}`);
      await stitch(w, { now: NOW + DAY + 1, marginMs: 0 });
      expect(await eventsBy(w)).toEqual({ u: 2 });
      expect((await profiles(w)).map((p) => [p.user_id, p.city])).toEqual([['u', 'X']]);
      expect((await links(w)).map((l) => [l.alias_id, l.canonical_id])).toEqual([
        ['a', 'u'],
        ['x', 'u'],
      ]);
      expect(Number(await w.scalar('SELECT count() FROM identity_link_outcomes'))).toBe(2);
    }
  });

  it('a cycle two commits accepted before any pass is refused by the pass: the later alias, with the reason', async () => {
    const w = await warehouse();
    await send(w, [{ type: 'track', userId: 'a', event: 'login', timestamp: iso(NOW - 3 * DAY) }]);
    await send(w, [{ type: 'alias', previousId: 'a', userId: 'b', timestamp: iso(NOW - 2 * DAY) }]);
    // Accepted at commit: no link is stored yet.
    expect(
      (await send(w, [{ type: 'alias', previousId: 'b', userId: 'a', timestamp: iso(NOW - DAY) }])).refused,
    ).toEqual([]);
    const report = await stitch(w, { now: NOW + DAY, marginMs: 0 });
    expect(report).toMatchObject({ linked: 1, refused: 1 });
    const reason = "would make a cycle: userId 'a' is already merged into 'b'";
    expect(await w.query('SELECT field, reason FROM ingest_rejections')).toEqual([
      { field: 'previousId', reason },
    ]);
    expect(await links(w)).toEqual([{ alias_id: 'a', linked_to: 'b', canonical_id: 'b', via: 'alias' }]);
    // The refused alias's event is gone, as DuckDB never stores it; the accepted one is kept.
    expect(await w.query(`SELECT user_id FROM events WHERE event = 'alias' ORDER BY user_id`)).toEqual([
      { user_id: 'b' },
    ]);
    expect(await eventsBy(w)).toEqual({ b: 2 });
  });

  it('prunes requests and outcomes decided a week before the latest, by data time, and keeps the links', async () => {
    const w = await warehouse();
    await send(w, [{ type: 'identify', userId: 'u1', anonymousId: 'old-anon', timestamp: iso(NOW - DAY) }]);
    await stitch(w, { now: NOW + DAY, marginMs: 0 });
    // A call received eight days later: the first request is now more than 7 days older than it.
    const later = NOW + 8 * DAY;
    const p = processBatch(
      [{ messageId: 'late-1', type: 'identify', userId: 'u2', anonymousId: 'new-anon' }],
      {
        receivedAt: later,
        source: 'http',
      },
    );
    await w.commit({
      events: p.events,
      identifies: p.identifies,
      rejections: p.rejections,
      rejectedAt: later,
    });
    await stitch(w, { now: later + 1000, marginMs: 0, prune: true });
    expect(await w.query('SELECT alias_id FROM identity_link_requests')).toEqual([{ alias_id: 'new-anon' }]);
    expect(await w.query('SELECT alias_id, outcome FROM identity_link_outcomes')).toEqual([
      { alias_id: 'new-anon', outcome: 'linked' },
    ]);
    expect((await links(w)).map((l) => l.alias_id)).toEqual(['new-anon', 'old-anon']);
  });

  it('parallel commits racing passes lose no event and store none twice', async () => {
    const w = await warehouse();
    const batches = Array.from({ length: 12 }, (_, k) =>
      send(w, [
        { type: 'track', anonymousId: `anon-${k % 3}`, event: 'view', timestamp: iso(NOW - DAY) },
        {
          type: 'identify',
          userId: `user-${k % 2}`,
          anonymousId: `anon-${k % 3}`,
          timestamp: iso(NOW - DAY),
        },
        { type: 'alias', previousId: `user-${k % 2}`, userId: 'main', timestamp: iso(NOW - DAY + k) },
        { type: 'track', userId: `user-${k % 2}`, event: 'order', timestamp: iso(NOW) },
      ]),
    );
    const passes = [1, 2, 3].map((i) => stitch(w, { now: NOW + DAY + i, marginMs: 0 }));
    await Promise.all([...batches, ...passes.slice(0, 1)]);
    await Promise.all(passes.slice(1));
    await stitch(w, { now: NOW + DAY + 10, marginMs: 0 });
    expect(await eventsBy(w)).toEqual({ main: 36 });
    expect((await profiles(w)).map((p) => p.user_id)).toEqual(['main']);
  });
});
