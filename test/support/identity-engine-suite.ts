import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClickHouseWarehouse } from '../../src/storage/clickhouse/clickhouse-warehouse.ts';
import type { WarehouseSql } from '../../src/storage/warehouse-sql.ts';
import { Warehouse } from '../../src/storage/warehouse/warehouse.ts';
import { testClickHouseTarget } from './clickhouse-target.ts';
import { httpRequests } from './http-requests.ts';
import type { WarehouseEngine } from './warehouse-engines.ts';

/**
 * Identity stitching (features.md A1) on either engine, with the same calls and the same expected
 * users: DuckDB links inside the commit; ClickHouse records the links and the leader's pass decides
 * them and moves the rows, run here after every call as the leader runs it between calls
 * (test/clickhouse/identity-stitching.test.ts has what only ClickHouse has: stale processes, cut
 * passes, races). Messages go through the same validation as HTTP (`processBatch`).
 */

const NOW = Date.UTC(2026, 5, 1, 10, 0, 0);
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

interface IdentityStore {
  sql: WarehouseSql;
  commit(batch: Parameters<Warehouse['commit']>[0]): Promise<{ refused: unknown[] }>;
  /** ClickHouse: the leader's stitching pass; DuckDB: nothing (it links at commit). */
  settle(now: number): Promise<void>;
  close(): Promise<void>;
}

let chdbPath: string | undefined;
let opened = 0;

const openStore = async (engine: WarehouseEngine): Promise<IdentityStore> => {
  if (engine === 'duckdb') {
    const w = await Warehouse.open(':memory:');
    return {
      sql: w,
      commit: (b) => w.commit(b),
      settle: async () => undefined,
      close: async () => w.close(),
    };
  }
  chdbPath ??= mkdtempSync(join(tmpdir(), 'rekindle-ch-identity-'));
  const w = await ClickHouseWarehouse.open(
    testClickHouseTarget(chdbPath, `identity_${process.pid}_${++opened}`),
  );
  return {
    sql: w,
    commit: (b) => w.commit(b),
    settle: async (now) => {
      await w.stitch({ now, marginMs: 0 });
    },
    close: () => w.close(),
  };
};

export const identitySuite = (engine: WarehouseEngine): void => {
  const open: IdentityStore[] = [];
  afterEach(async () => {
    for (const w of open.splice(0)) await w.close();
  });
  const store = async () => {
    const w = await openStore(engine);
    open.push(w);
    return w;
  };
  let seq = 0;
  const request = httpRequests(NOW);
  /** One HTTP request (its records share one received time), then what the leader does next. */
  const send = async (w: IdentityStore, messages: Record<string, unknown>[]) => {
    const r = await w.commit(request(messages));
    await w.settle(NOW + DAY + ++seq);
    return r;
  };
  const profiles = (w: IdentityStore) =>
    w.sql.query<{ user_id: string; first_seen: Date; city: string | null; traits: string }>(
      'SELECT user_id, first_seen, city, CAST(traits AS VARCHAR) AS traits FROM profiles ORDER BY user_id',
    );
  const eventsBy = async (w: IdentityStore) =>
    Object.fromEntries(
      (
        await w.sql.query<{ user_id: string; n: number }>(
          'SELECT user_id, count(*) AS n FROM events GROUP BY user_id ORDER BY user_id',
        )
      ).map((r) => [r.user_id, Number(r.n)]),
    );
  const links = (w: IdentityStore) =>
    w.sql.query<{ alias_id: string; linked_to: string; canonical_id: string; via: string }>(
      'SELECT alias_id, linked_to, canonical_id, via FROM identity_links ORDER BY alias_id',
    );

  describe(`identity stitching (${engine})`, () => {
    it('anonymous events then an identify with both ids: one user, all events, the anonymous profile folded in', async () => {
      const w = await store();
      await send(w, [
        { type: 'page', anonymousId: 'anon-1', name: 'Home', timestamp: iso(NOW - 40 * DAY) },
        { type: 'track', anonymousId: 'anon-1', event: 'view', timestamp: iso(NOW - 39 * DAY) },
        {
          type: 'identify',
          anonymousId: 'anon-1',
          traits: { city: 'Hangzhou', coupon: 'A' },
          timestamp: iso(NOW - 39 * DAY),
        },
      ]);
      await send(w, [
        { type: 'identify', userId: 'u1', traits: { coupon: 'B' }, timestamp: iso(NOW - 2 * DAY) },
      ]);
      expect((await profiles(w)).map((p) => p.user_id)).toEqual(['anon-1', 'u1']);
      await send(w, [
        { type: 'identify', userId: 'u1', anonymousId: 'anon-1', timestamp: iso(NOW - DAY) },
        // Later calls with only the anonymous id land on the user.
        { type: 'track', anonymousId: 'anon-1', event: 'view', timestamp: iso(NOW - DAY) },
      ]);
      await send(w, [{ type: 'screen', anonymousId: 'anon-1', name: 'Cart', timestamp: iso(NOW) }]);
      expect(await eventsBy(w)).toEqual({ u1: 4 });
      const ps = await profiles(w);
      expect(ps.map((p) => p.user_id)).toEqual(['u1']);
      expect(ps[0]?.first_seen).toEqual(new Date(NOW - 40 * DAY));
      expect(ps[0]?.city).toBe('Hangzhou');
      expect(JSON.parse(ps[0]?.traits ?? '')).toMatchObject({ coupon: 'B', city: 'Hangzhou' });
      expect(await w.sql.query('SELECT DISTINCT user_id FROM profile_history ORDER BY user_id')).toEqual([
        { user_id: 'u1' },
      ]);
      expect(await links(w)).toEqual([
        { alias_id: 'anon-1', linked_to: 'u1', canonical_id: 'u1', via: 'identify' },
      ]);
    });

    it('in one batch, anonymous events before the identify still join the user (commit order does not matter)', async () => {
      const w = await store();
      await send(w, [
        { type: 'track', anonymousId: 'a', event: 'view', timestamp: iso(NOW - 3 * DAY) },
        { type: 'track', userId: 'u', anonymousId: 'a', event: 'order', timestamp: iso(NOW - 2 * DAY) },
        { type: 'track', anonymousId: 'a', event: 'view', timestamp: iso(NOW - DAY) },
      ]);
      expect(await eventsBy(w)).toEqual({ u: 3 });
      expect((await profiles(w)).map((p) => [p.user_id, p.first_seen])).toEqual([
        ['u', new Date(NOW - 3 * DAY)],
      ]);
    });

    it('a shared device: an anonymousId stays with its first user; a known user is never merged implicitly', async () => {
      const w = await store();
      await send(w, [{ type: 'identify', userId: 'u1', anonymousId: 'dev', timestamp: iso(NOW - 2 * DAY) }]);
      await send(w, [
        {
          type: 'identify',
          userId: 'u2',
          anonymousId: 'dev',
          traits: { city: 'X' },
          timestamp: iso(NOW - DAY),
        },
      ]);
      await send(w, [{ type: 'identify', userId: 'u3', anonymousId: 'u2', timestamp: iso(NOW) }]);
      expect(await links(w)).toEqual([
        { alias_id: 'dev', linked_to: 'u1', canonical_id: 'u1', via: 'identify' },
      ]);
      expect((await profiles(w)).map((p) => p.user_id)).toEqual(['u1', 'u2', 'u3']);
    });

    it('alias chain a→b then b→c leaves everything on c; scores dropped, reasons and warnings moved', async () => {
      const w = await store();
      await send(w, [
        { type: 'track', userId: 'a', event: 'login', timestamp: iso(NOW - 5 * DAY) },
        { type: 'track', userId: 'b', event: 'login', timestamp: iso(NOW - 4 * DAY) },
        { type: 'track', userId: 'c', event: 'login', timestamp: iso(NOW - 3 * DAY) },
        {
          type: 'identify',
          userId: 'a',
          traits: { city: 'A-city', membership: 'gold' },
          timestamp: iso(NOW - 5 * DAY),
        },
        { type: 'identify', userId: 'c', traits: { city: 'C-city' }, timestamp: iso(NOW - 3 * DAY) },
      ]);
      await w.sql.write(
        `INSERT INTO user_scores (user_id, lifecycle_stage) VALUES ('a', 'new'), ('b', 'new')`,
      );
      await w.sql.write(
        `INSERT INTO churn_reasons VALUES ('r1', 'a', 'economic', NULL, now(), now(), 'op', 'api')`,
      );
      await w.sql.write(
        `INSERT INTO warning_state VALUES ('rule', 'a', 'warning', now()), ('rule', 'c', 'warning', now())`,
      );
      await send(w, [{ type: 'alias', previousId: 'a', userId: 'b', timestamp: iso(NOW - 2 * DAY) }]);
      await send(w, [{ type: 'alias', previousId: 'b', userId: 'c', timestamp: iso(NOW - DAY) }]);
      // Replies from SDKs that still know only `a`.
      await send(w, [{ type: 'track', userId: 'a', event: 'login', timestamp: iso(NOW) }]);
      expect(await eventsBy(w)).toEqual({ c: 6 });
      const ps = await profiles(w);
      expect(ps.map((p) => p.user_id)).toEqual(['c']);
      expect(ps[0]).toMatchObject({ city: 'C-city', first_seen: new Date(NOW - 5 * DAY) });
      expect(await w.sql.query('SELECT membership FROM profiles')).toEqual([{ membership: 'gold' }]);
      expect(await links(w)).toEqual([
        { alias_id: 'a', linked_to: 'b', canonical_id: 'c', via: 'alias' },
        { alias_id: 'b', linked_to: 'c', canonical_id: 'c', via: 'alias' },
      ]);
      expect(await w.sql.query('SELECT user_id FROM user_scores')).toEqual([]);
      expect(await w.sql.query('SELECT user_id FROM churn_reasons')).toEqual([{ user_id: 'c' }]);
      expect(await w.sql.query('SELECT rule_id, user_id FROM warning_state')).toEqual([
        { rule_id: 'rule', user_id: 'c' },
      ]);
    });

    it('an alias that would make a cycle is refused with a precise reason and recorded; nothing moves', async () => {
      const w = await store();
      await send(w, [{ type: 'alias', previousId: 'a', userId: 'b', timestamp: iso(NOW - 2 * DAY) }]);
      await send(w, [{ type: 'alias', previousId: 'b', userId: 'c', timestamp: iso(NOW - DAY) }]);
      const r = await send(w, [{ type: 'alias', previousId: 'c', userId: 'a', timestamp: iso(NOW) }]);
      const reason = "would make a cycle: userId 'a' is already merged into 'c'";
      expect(r.refused).toEqual([{ kind: 'event', at: 0, field: 'previousId', reason }]);
      expect(await w.sql.query('SELECT field, reason FROM ingest_rejections')).toEqual([
        { field: 'previousId', reason },
      ]);
      expect((await links(w)).map((l) => [l.alias_id, l.canonical_id])).toEqual([
        ['a', 'c'],
        ['b', 'c'],
      ]);
      expect(await eventsBy(w)).toEqual({ c: 2 });
      // Restating a link that holds already is no cycle and changes nothing.
      expect((await send(w, [{ type: 'alias', previousId: 'a', userId: 'c' }])).refused).toEqual([]);
      expect((await links(w)).length).toBe(2);
    });

    it('parallel batches linking the same ids lose no event', async () => {
      const w = await store();
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
      await Promise.all(batches);
      await w.settle(NOW + 2 * DAY);
      expect(await eventsBy(w)).toEqual({ main: 36 });
      expect((await profiles(w)).map((p) => p.user_id)).toEqual(['main']);
    });
  });
};
