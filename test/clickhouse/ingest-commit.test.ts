import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventRow, IdentifyRow } from '../../src/core/events/rows.ts';
import { ClickHouseWarehouse } from '../../src/storage/clickhouse/clickhouse-warehouse.ts';
import { chTime, dedupToken, eventRowOf } from '../../src/storage/clickhouse/ingest-rows.ts';
import { forgetPushTokens } from '../../src/storage/warehouse/forgotten-push-tokens.ts';
import { Warehouse } from '../../src/storage/warehouse/warehouse.ts';
import { chdbDir, event, identify, openClickHouse, readTables } from './ingest-support.ts';

const dir = chdbDir();
let ch: ClickHouseWarehouse;
const ducks: Warehouse[] = [];

beforeEach(async () => {
  ch = await openClickHouse(dir);
});
afterEach(async () => {
  await ch.close();
});
afterAll(() => {
  for (const d of ducks) d.close();
});

const duck = async (): Promise<Warehouse> => {
  const d = await Warehouse.open(':memory:');
  ducks.push(d);
  return d;
};

const count = async (table: string): Promise<number> =>
  ((await ch.db.query<{ n: number }>(`SELECT count() AS n FROM ${table}`))[0] as { n: number }).n;

const T0 = Date.UTC(2026, 2, 1);
const batchOf = (tag: string, n: number) => ({
  events: Array.from({ length: n }, (_, i) =>
    // 20 days apart: the events table is partitioned by month, so one insert writes several parts.
    event({ messageId: `${tag}-e${i}`, userId: `u${i % 3}`, ts: T0 + i * 20 * 86_400_000, amount: i }),
  ),
  identifies: [
    identify({
      messageId: `${tag}-i0`,
      userId: 'u0',
      ts: T0 + 500,
      columns: { city: `city-${tag}` },
      traits: { city: `city-${tag}`, tag },
    }),
  ],
  rejections: [{ index: 9, field: 'event', reason: 'is required', raw: '{"type":"track"}' }],
  rejectedAt: T0 + 60_000,
});

describe('ClickHouseWarehouse.commit: retries', () => {
  it('stores a batch committed three times once (every table)', async () => {
    const b = batchOf('a', 5);
    for (let i = 0; i < 3; i++) expect((await ch.commit(b)).refused).toEqual([]);
    expect(await count('events')).toBe(5);
    expect(await count('profile_history')).toBe(2);
    expect(await count('ingest_rejections')).toBe(1);
    const d = await duck();
    await d.commit(b);
    expect(await readTables(ch.db)).toEqual(await readTables(d));
  });

  it('completes a commit that stopped midway, without storing anything twice', async () => {
    const b = batchOf('b', 4);
    // A first try that got as far as the events (its tokens, as commit makes them), then died.
    await ch.db.insert('events', b.events.map(eventRowOf), {
      dedupToken: dedupToken(
        'events',
        b.events.map((e) => e.messageId),
      ),
    });
    expect(await count('events')).toBe(4);
    await ch.commit(b);
    expect(await count('events')).toBe(4);
    expect(await count('profile_history')).toBe(2);
    expect(await count('ingest_rejections')).toBe(1);
    expect((await readTables(ch.db)).profiles).toHaveLength(3);
  });

  it('stores batches that share some message ids in full, as DuckDB commits them', async () => {
    // DuckDB drops a repeated id in the ingest queue's dedup window (ingest/dedup-window.ts),
    // never in commit; ClickHouse's tokens cover exact retries of a batch only.
    const a = {
      events: [
        event({ messageId: 'x1', userId: 'u', ts: T0 }),
        event({ messageId: 'x2', userId: 'u', ts: T0 }),
      ],
      identifies: [],
      rejections: [],
    };
    const b = {
      events: [
        event({ messageId: 'x2', userId: 'u', ts: T0 }),
        event({ messageId: 'x3', userId: 'u', ts: T0 }),
      ],
      identifies: [],
      rejections: [],
    };
    await ch.commit(a);
    await ch.commit(b);
    const d = await duck();
    await d.commit(a);
    await d.commit(b);
    expect(await count('events')).toBe(4);
    expect((await readTables(ch.db)).events).toEqual((await readTables(d)).events);
  });

  it('never takes a different batch for a retry: other ids, other rejections, another time', async () => {
    await ch.commit(batchOf('c', 2));
    await ch.commit(batchOf('d', 2));
    expect(await count('events')).toBe(4);
    // Rejection-only batches: told apart by their time and content.
    const bad = {
      events: [],
      identifies: [],
      rejections: [{ index: 0, field: 'type', reason: 'unknown', raw: null }],
    };
    await ch.commit({ ...bad, rejectedAt: T0 });
    await ch.commit({ ...bad, rejectedAt: T0 });
    await ch.commit({ ...bad, rejectedAt: T0 + 1 });
    await ch.commit({ ...bad, rejections: [{ ...bad.rejections[0]!, reason: 'other' }], rejectedAt: T0 });
    expect(await count('ingest_rejections')).toBe(2 + 3);
  });
});

describe('ClickHouseWarehouse.commit: records it refuses', () => {
  it('refuses a time outside 1900–2299 on its own, keeps why, and stores the rest', async () => {
    const events: EventRow[] = [
      event({ messageId: 'ok1', userId: 'u', ts: T0 }),
      event({ messageId: 'old', userId: 'u', ts: Date.UTC(1850, 0, 1) }),
      event({ messageId: 'far', userId: 'u', ts: Date.UTC(2300, 0, 1) }),
    ];
    const identifies: IdentifyRow[] = [
      identify({ messageId: 'i-ok', userId: 'u', ts: T0, columns: { city: 'A' }, traits: { city: 'A' } }),
      identify({
        messageId: 'i-reg',
        userId: 'u',
        ts: T0 + 1,
        columns: { register_time: Date.UTC(1800, 0, 1), city: 'B' },
        traits: { createdAt: '1800-01-01', city: 'B' },
      }),
    ];
    const r = await ch.commit({ events, identifies, rejections: [], rejectedAt: T0 });
    expect(r.refused.map((x) => [x.kind, x.at, x.field])).toEqual([
      ['event', 1, 'timestamp'],
      ['event', 2, 'timestamp'],
      ['identify', 1, 'traits.register_time'],
    ]);
    expect(r.refused[0]?.reason).toMatch(/1850-01-01T00:00:00.000Z is outside the range/);
    const t = await readTables(ch.db);
    expect(t.events.map((e) => e['message_id'])).toEqual(['ok1']);
    expect(t.profiles).toHaveLength(1);
    expect(t.profiles[0]?.['city']).toBe('A');
    const kept = await ch.db.query<{ record_index: number; field: string; raw: string }>(
      'SELECT record_index, field, raw FROM ingest_rejections ORDER BY record_index, field',
    );
    expect(kept.map((k) => [k.record_index, k.field])).toEqual([
      [1, 'timestamp'],
      [1, 'traits.register_time'],
      [2, 'timestamp'],
    ]);
    expect(JSON.parse(kept[0]?.raw ?? '{}')).toMatchObject({ messageId: 'old' });
  });

  it('refuses a lone UTF-16 surrogate on its own (ClickHouse would fail the whole insert)', async () => {
    const r = await ch.commit({
      events: [
        event({ messageId: 's1', userId: 'u\ud800', ts: T0 }),
        event({ messageId: 's2', userId: 'u', ts: T0, category: '😀 paired is fine' }),
      ],
      identifies: [
        identify({ messageId: 's3', userId: 'u', ts: T0, traits: { 'k\udc00': 1 } }),
        identify({ messageId: 's4', userId: 'u', ts: T0, traits: { ok: 'v\ud800' } }),
      ],
      rejections: [],
      rejectedAt: T0,
    });
    expect(r.refused.map((x) => [x.kind, x.at, x.field])).toEqual([
      ['event', 0, 'userId'],
      ['identify', 0, 'traits.k\uFFFD'],
    ]);
    const t = await readTables(ch.db);
    expect(t.events.map((e) => e['message_id'])).toEqual(['s2']);
    // A trait value is stored as JSON text, where the surrogate is an escape: kept as sent.
    expect(t.history.map((h) => h['message_id'])).toEqual(['s4']);
    expect(await count('ingest_rejections')).toBe(2);
  });

  it('stores an alias and records every link asked for, for the stitching pass to decide', async () => {
    const events = [
      event({ messageId: 'a1', userId: 'u', ts: T0, event: 'alias', properties: '{"previousId":"anon-1"}' }),
      event({ messageId: 'a2', userId: 'u', ts: T0, anonymousId: 'anon-2' }),
      // One request per anonymous id and batch: its first (the pass settles an id at its first).
      event({ messageId: 'a3', userId: 'v', ts: T0 + 1, anonymousId: 'anon-2' }),
    ];
    const r = await ch.commit({ events, identifies: [], rejections: [], rejectedAt: T0 });
    expect(r.refused).toEqual([]);
    expect(await count('events')).toBe(3);
    expect(
      await ch.db.query(
        'SELECT alias_id, user_id, via, message_id FROM identity_link_requests ORDER BY message_id',
      ),
    ).toEqual([
      { alias_id: 'anon-1', user_id: 'u', via: 'alias', message_id: 'a1' },
      { alias_id: 'anon-2', user_id: 'u', via: 'track', message_id: 'a2' },
    ]);
    expect(await count('ingest_rejections')).toBe(0);
  });
});

describe('ClickHouseWarehouse.commit: concurrency', () => {
  it('stores 20 batches committed at once by two writers, profiles as DuckDB folds them in time order', async () => {
    const batches = Array.from({ length: 20 }, (_, b) => ({
      events: Array.from({ length: 10 }, (_, i) =>
        event({
          messageId: `p${b}-e${i}`,
          userId: `u${(b + i) % 7}`,
          ts: T0 + ((b * 37 + i * 11) % 50) * 1000,
        }),
      ),
      identifies: Array.from({ length: 3 }, (_, i) => {
        const city = `c${b}-${i}`;
        return identify({
          messageId: `p${b}-i${i}`,
          userId: `u${(b * 3 + i) % 7}`,
          // Out of order on purpose, ties included; received_at tells ties apart.
          ts: T0 + ((b * 13 + i * 29) % 20) * 1000,
          receivedAt: T0 + 100_000 + b,
          columns: { city, ...(i === 1 ? { balance: b * 1.5 } : {}) },
          traits: { city, ...(i === 1 ? { balance: b * 1.5 } : {}), [`k${i}`]: b % 4 === 0 ? null : b },
        });
      }),
      rejections: [],
    }));
    // Two warehouses on the same data (two chDB sessions, as two processes have two clients)
    // take turns, all at once: no commit reads what another writes.
    const other = await ClickHouseWarehouse.open(ch.db.target);
    const results = await Promise.all(batches.map((b, i) => (i % 2 === 0 ? ch : other).commit(b))).finally(
      () => other.close(),
    );
    expect(results.every((r) => r.refused.length === 0)).toBe(true);
    expect(await count('events')).toBe(200);
    expect(await count('profile_history')).toBe(20 * 3 * 2 + 20);
    // DuckDB gets the same records in one batch, in time order (ts, received_at, message id).
    const key = (r: { ts: number; receivedAt: number; messageId: string }) =>
      `${String(r.ts).padStart(16, '0')}|${String(r.receivedAt).padStart(16, '0')}|${r.messageId}`;
    const d = await duck();
    await d.commit({
      events: batches.flatMap((b) => b.events),
      identifies: batches.flatMap((b) => b.identifies).sort((x, y) => (key(x) < key(y) ? -1 : 1)),
      rejections: [],
    });
    const got = await readTables(ch.db);
    const want = await readTables(d);
    expect(got.profiles).toHaveLength(7);
    expect(got).toEqual(want);
  });
});

describe('forgotten push tokens', () => {
  it('are cleared and never set again by a later commit, as on DuckDB', async () => {
    const d = await duck();
    const call = (id: string, user: string, ts: number, token: string) =>
      identify({
        messageId: id,
        userId: user,
        ts: T0 + ts,
        receivedAt: T0 + 1000 + Number(id.slice(1)),
        columns: { push_token: token, city: `c${ts}` },
        traits: { pushToken: token, city: `c${ts}` },
      });
    const both = async (identifies: IdentifyRow[]) => {
      await ch.commit({ events: [], identifies, rejections: [] });
      await d.commit({ events: [], identifies, rejections: [] });
      const got = (await readTables(ch.db)).profiles;
      expect(got).toEqual((await readTables(d)).profiles);
      return got;
    };
    await both([call('m1', 'p', 5, 'T1'), call('m2', 'p', 10, 'T'), call('m3', 'q', 10, 'T5')]);
    const refused = [
      { userId: 'p', pushToken: 'T' },
      { userId: 'q', pushToken: 'T2' },
      { userId: 'p', pushToken: 'T' },
    ];
    expect(await ch.forgetPushTokens(refused, T0 + 50)).toBe(1);
    expect(await d.transaction((tx) => forgetPushTokens(tx, refused, T0 + 50))).toBe(1);
    let got = await both([]);
    expect(got.find((p) => p['user_id'] === 'p')).toMatchObject({ push_token: null, city: 'c10' });
    expect(got.find((p) => p['user_id'] === 'q')).toMatchObject({ push_token: 'T5' });
    // Older than the profile was when the token was refused; the refused token itself.
    got = await both([call('m4', 'p', 7, 'T3'), call('m5', 'p', 20, 'T')]);
    expect(got.find((p) => p['user_id'] === 'p')).toMatchObject({ push_token: null, city: 'c20' });
    got = await both([call('m6', 'p', 30, 'T4')]);
    expect(got.find((p) => p['user_id'] === 'p')).toMatchObject({ push_token: 'T4' });
    expect(await count('forgotten_push_tokens')).toBe(2);
  });
});

describe('profiles_import (whole DuckDB rows, e.g. a copy)', () => {
  it('reads back as the row written', async () => {
    const d = await duck();
    await d.commit({
      events: [event({ messageId: 'q1', userId: 'v', ts: T0 })],
      identifies: [
        identify({
          messageId: 'q2',
          userId: 'v',
          ts: T0 + 5,
          columns: { city: 'Z', balance: -0.5, consent_sms: true, register_time: T0 - 10 },
          traits: { city: 'Z', balance: -0.5, consentSms: true, createdAt: 'x', nested: { a: [1, 'ü'] } },
        }),
      ],
      rejections: [],
    });
    const rows = await d.query<Record<string, unknown>>('SELECT * FROM profiles');
    await ch.db.insert(
      'profiles_import',
      rows.map((r) =>
        Object.fromEntries(
          Object.entries(r).map(([k, v]) => [k, v instanceof Date ? chTime(v.getTime()) : v]),
        ),
      ),
    );
    expect((await readTables(ch.db)).profiles).toEqual((await readTables(d)).profiles);
  });
});
