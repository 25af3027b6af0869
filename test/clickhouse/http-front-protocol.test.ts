import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '@clickhouse/client';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClickHouseDb } from '../../src/storage/clickhouse/client.ts';
import { startDevServer, type DevServer } from '../../src/storage/clickhouse/http-front/server.ts';
import { tempDir } from '../support/tmp.ts';

/**
 * The chDB HTTP front answers `@clickhouse/client` as a ClickHouse server does: DDL, parameterised
 * reads, inserts with deduplication tokens, errors with their codes, compression, /ping.
 */
describe('ClickHouse HTTP front over chDB', () => {
  const tmp = tempDir('rekindle-chfront-');
  let front: DevServer;
  let db: ClickHouseDb;

  beforeAll(async () => {
    front = await startDevServer({ path: tmp.dir, port: 0, sessions: 4 });
    db = await ClickHouseDb.open({
      kind: 'server',
      url: front.url,
      database: 'front_test',
      username: 'default',
      password: '',
    });
    await db.command(
      `CREATE TABLE IF NOT EXISTS t (id String, n Int64, at DateTime64(3, 'UTC'), tags Array(String))
       ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100`,
    );
  });

  afterAll(async () => {
    await db?.close();
    await front?.close();
    tmp.cleanup();
  });

  const count = async (): Promise<number> => {
    const [r] = await db.query<{ c: number }>('SELECT count() AS c FROM t');
    return r?.c ?? -1;
  };

  it('answers /ping and a GET without a query like a server', async () => {
    const ping = await fetch(`${front.url}/ping`);
    expect(ping.status).toBe(200);
    expect(await ping.text()).toBe('Ok.\n');
    const client = createClient({ url: front.url });
    expect((await client.ping()).success).toBe(true);
    expect((await client.ping({ select: true })).success).toBe(true);
    await client.close();
  });

  it('stores an insert retried with its dedup token once, and the next insert without a token in full', async () => {
    const before = await count();
    const rows = [
      { id: 'a', n: 1, at: '2026-12-07 10:00:00.000', tags: ['x'] },
      { id: 'b', n: 2, at: '2026-12-07 10:00:00.001', tags: [] },
    ];
    await db.insert('t', rows, { dedupToken: 'batch-1' });
    await db.insert('t', rows, { dedupToken: 'batch-1' });
    expect(await count()).toBe(before + 2);
    // The token of the previous request must not stick to the engine session that ran it.
    for (let i = 0; i < 8; i++)
      await db.insert('t', [{ id: `free-${i}`, n: i, at: '2026-12-07 11:00:00', tags: [] }]);
    expect(await count()).toBe(before + 10);
    await db.insert('t', rows, { dedupToken: 'batch-2' });
    expect(await count()).toBe(before + 12);
  });

  it('binds parameters of every kind the warehouse uses, quotes and unicode included', async () => {
    const odd = "it's a \\ back'slash — 中文 \t tab";
    await db.insert('t', [
      { id: odd, n: -9_007_199_254_740_991, at: '2026-12-07 12:00:00.5', tags: [odd, 'y'] },
    ]);
    const rows = await db.query<{ id: string; n: number; tags: string[] }>(
      `SELECT id, n, tags FROM t
        WHERE id = {id:String} AND has(tags, {tag:String}) AND id IN {ids:Array(String)}
          AND at >= {from:DateTime64(3, 'UTC')} AND n < {max:Int64}`,
      { id: odd, tag: 'y', ids: [odd, 'zzz'], from: '2026-12-07 12:00:00.000', max: 0 },
    );
    expect(rows).toEqual([{ id: odd, n: -9_007_199_254_740_991, tags: [odd, 'y'] }]);
    // Settings travel per request: the same session answers the next request with the defaults.
    const [quoted] = await db.query<{ c: string | number }>(
      'SELECT count() AS c FROM t',
      {},
      {
        output_format_json_quote_64bit_integers: 1,
      },
    );
    expect(typeof quoted?.c).toBe('string');
    const [plain] = await db.query<{ c: string | number }>('SELECT count() AS c FROM t');
    expect(typeof plain?.c).toBe('number');
  });

  it('surfaces an error as a ClickHouse error with its code, and keeps serving', async () => {
    await expect(db.query('SELECT * FROM no_such_table')).rejects.toMatchObject({
      code: '60',
      type: 'UNKNOWN_TABLE',
    });
    await expect(db.query('SELEC 1')).rejects.toMatchObject({ code: '62', type: 'SYNTAX_ERROR' });
    await expect(db.query('SELECT 1', {}, { no_such_setting: 1 } as never)).rejects.toMatchObject({
      code: '115',
    });
    const res = await fetch(`${front.url}/?database=front_test`, {
      method: 'POST',
      body: 'SELECT * FROM nope',
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-clickhouse-exception-code')).toBe('60');
    expect(await res.text()).toMatch(/^Code: 60\. DB::Exception: /);
    expect(await count()).toBeGreaterThan(0);
  });

  it('runs parallel inserts and reads from several clients', async () => {
    const before = await count();
    await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        db.insert(
          't',
          Array.from({ length: 50 }, (_, j) => ({
            id: `p${i}-${j}`,
            n: j,
            at: '2026-12-07 13:00:00',
            tags: [],
          })),
          { dedupToken: `parallel-${i}` },
        ),
      ),
    );
    expect(await count()).toBe(before + 24 * 50);
  });

  it('takes a binary INSERT body (Parquet, as `insertParquetFile` streams it)', async () => {
    // A Parquet file made by the engine itself, then inserted back under other ids.
    const res = await fetch(`${front.url}/?database=front_test`, {
      method: 'POST',
      body: "SELECT 'pq-' || toString(number) AS id, toInt64(number) AS n, toDateTime64('2026-12-07 15:00:00', 3, 'UTC') AS at, ['q'] AS tags FROM numbers(500) FORMAT Parquet",
    });
    expect(res.status).toBe(200);
    const file = join(tmp.dir, 'rows.parquet');
    writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    await db.insertParquetFile('t', file, [
      { name: 'id', type: 'String' },
      { name: 'n', type: 'Int64' },
      { name: 'at', type: "DateTime64(3, 'UTC')" },
      { name: 'tags', type: 'Array(String)' },
    ]);
    const [r] = await db.query<{ c: number; s: number }>(
      "SELECT count() AS c, sum(n) AS s FROM t WHERE startsWith(id, 'pq-')",
    );
    expect(r).toEqual({ c: 500, s: (499 * 500) / 2 });
  });

  it('compresses a response when asked (gzip) and reads a gzipped request body', async () => {
    const client = createClient({
      url: front.url,
      database: 'front_test',
      compression: { response: true, request: true },
    });
    await client.insert({
      table: 't',
      values: [{ id: 'gz', n: 7, at: '2026-12-07 14:00:00', tags: ['g'] }],
      format: 'JSONEachRow',
    });
    const rs = await client.query({ query: "SELECT n FROM t WHERE id = 'gz'", format: 'JSONEachRow' });
    expect(await rs.json()).toEqual([{ n: 7 }]);
    await client.close();
  });
});
