import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventRow } from '../../src/core/events/rows.ts';
import { bucketOf } from '../../src/core/audience/bucket.ts';
import { compileAudience } from '../../src/core/audience/compiler.ts';
import { portraitQuery } from '../../src/core/audience/portrait-sql.ts';
import { evaluateReference, type ReferenceData } from '../../src/core/audience/reference-evaluator.ts';
import type { AudienceNode } from '../../src/core/audience/schema.ts';
import { formatAudienceError } from '../../src/core/audience/schema.ts';
import { countQuery, sampleQuery } from '../../src/core/audience/sql.ts';
import { HOUR_MS } from '../../src/core/audience/time.ts';
import { DAY_MS } from '../../src/core/time/units.ts';
import type { CompiledQuery } from '../../src/core/sql/params.ts';
import { clickhouseDialect, namedParams } from '../../src/core/sql/dialect.ts';
import { ClickHouseDb } from '../../src/storage/clickhouse/client.ts';
import { applyClickHouseDdl } from '../../src/storage/clickhouse/ddl.ts';
import { loadReferenceData } from '../../src/storage/warehouse/reference-data.ts';
import { Warehouse } from '../../src/storage/warehouse/warehouse.ts';
import { copyWarehouseToClickHouse } from '../support/clickhouse-copy.ts';
import { testClickHouseTarget } from '../support/clickhouse-target.ts';
import { tempDir } from '../support/tmp.ts';
import { recordBuilders } from '../support/record-builders.ts';

/**
 * The ClickHouse text the one audience compiler writes for representative nodes (a window, a JSON
 * trait under `not`, a JSON array, a sequence with `without`, a bucket), and what that text
 * answers on chDB: the members the reference evaluator and DuckDB give on the same data.
 */

const NOW = Date.UTC(2024, 5, 1);
const ago = (days: number, hours = 0) => NOW - days * DAY_MS + hours * HOUR_MS;
const ALL = ['alice', 'bob', 'carol', 'dave'];

const { track, identify } = recordBuilders(NOW);

const identifies = [
  identify('alice', ago(100), { city: 'Shanghai', nickname: "O'Brien", tags: ['vip', 'new'] }),
  identify('bob', ago(10), { city: 'Shanghai', nickname: 'Bob', tags: ['new'] }),
  identify('carol', ago(200), { city: 'Beijing', tags: 'vip-list' }),
  identify('dave', ago(3), { plan: 'gold' }),
];
const events: EventRow[] = [
  track('alice', 'login', ago(5)),
  track('alice', 'order', ago(4), { amount: 30 }),
  track('bob', 'login', ago(5)),
  track('bob', 'view', ago(5, 2)),
  track('bob', 'order', ago(4), { amount: 5 }),
  track('carol', 'login', ago(50)),
  track('carol', 'order', ago(45), { amount: 20 }),
];

const tmp = tempDir('rekindle-ch-audience-sql-');
let wh: Warehouse;
let ch: ClickHouseDb;
let reference: ReferenceData;

beforeAll(async () => {
  wh = await Warehouse.open(`${tmp.dir}/warehouse.duckdb`);
  await wh.commit({ events, identifies, rejections: [] });
  reference = await loadReferenceData(wh);
  ch = await ClickHouseDb.open(testClickHouseTarget(`${tmp.dir}/chdb`, 'audience_sql'));
  await applyClickHouseDdl(ch);
  await copyWarehouseToClickHouse(wh, ch);
});
afterAll(async () => {
  await ch.close();
  wh.close();
  tmp.cleanup();
});

const compile = (node: unknown): CompiledQuery => {
  const r = compileAudience(node, { now: NOW, dialect: clickhouseDialect });
  if (!r.ok) throw new Error(r.error.map(formatAudienceError).join('\n'));
  return r.value;
};

/** Members on chDB; they must equal DuckDB's and the reference evaluator's. */
const members = async (node: unknown): Promise<string[]> => {
  const q = compile(node);
  const onClickHouse = (await ch.query<{ user_id: string }>(q.sql, namedParams(q)))
    .map((r) => r.user_id)
    .sort();
  const duck = compileAudience(node, { now: NOW });
  if (!duck.ok) throw new Error('DuckDB does not compile it');
  const onDuckDb = (await wh.query<{ user_id: string }>(duck.value.sql, duck.value.params)).map(
    (r) => r.user_id,
  );
  expect(onClickHouse).toEqual(onDuckDb.sort());
  expect(onClickHouse).toEqual([...evaluateReference(node as AudienceNode, reference, { now: NOW })].sort());
  return onClickHouse;
};

const UNIVERSE =
  "SELECT p.user_id FROM profiles p WHERE least(p.first_seen, coalesce(p.register_time, p.first_seen)) <= fromUnixTimestamp64Milli({p1:Int64}, 'UTC')";
const NOW_TS = "fromUnixTimestamp64Milli({p1:Int64}, 'UTC')";

describe('ClickHouse SQL of the audience compiler', () => {
  it('did in a window: a semi-join over events with typed time parameters', async () => {
    const node = { kind: 'did', event: 'order', window: { type: 'last_days', days: 30 } };
    expect(compile(node)).toEqual({
      sql:
        `${UNIVERSE} AND (p.user_id IN (SELECT e.user_id FROM events e WHERE e.event = {p2:String} ` +
        `AND e.ts <= ${NOW_TS} AND e.ts >= fromUnixTimestamp64Milli({p3:Int64}, 'UTC')))`,
      params: [NOW, 'order', NOW - 30 * DAY_MS],
    });
    expect(await members(node)).toEqual(['alice', 'bob']);
  });

  it('a JSON trait under not: one key parameter per path segment, NULL made false with ifNull', async () => {
    const node = {
      kind: 'not',
      child: { kind: 'attribute', attribute: 'nickname', op: 'eq', value: "O'Brien" },
    };
    expect(compile(node)).toEqual({
      sql: `${UNIVERSE} AND (NOT ifNull((JSONExtract(p.traits, {p2:String}, 'Nullable(String)') = {p3:String}), false))`,
      params: [NOW, 'nickname', "O'Brien"],
    });
    // dave has no nickname: unknown is not O'Brien.
    expect(await members(node)).toEqual(['bob', 'carol', 'dave']);
  });

  it('contains on a JSON value: an element of an array, a substring of a text', async () => {
    const node = { kind: 'attribute', attribute: 'tags', op: 'contains', value: 'vip' };
    expect(compile(node).sql).toBe(
      `${UNIVERSE} AND (CASE WHEN JSONType(p.traits, {p2:String}) = 'Array' ` +
        `THEN has(arrayMap(json_el -> JSONExtract(json_el, 'Nullable(String)'), ` +
        `JSONExtractArrayRaw(ifNull(p.traits, ''), {p2:String})), {p3:String}) ` +
        `ELSE (position(JSONExtract(p.traits, {p2:String}, 'Nullable(String)'), {p3:String}) > 0) END)`,
    );
    expect(await members(node)).toEqual(['alice', 'carol']);
  });

  it('a sequence with within and without: ASOF joins, a plain CTE, NULLs for the missing right side', async () => {
    const node = {
      kind: 'sequence',
      steps: [{ event: 'login' }, { event: 'order' }],
      within: { value: 2, unit: 'days' },
      without: { event: 'view' },
    };
    const step = (i: number, p: number) =>
      `FROM events q${i} WHERE q${i}.event = {p${p}:String} AND q${i}.ts <= ${NOW_TS}`;
    expect(compile(node)).toEqual({
      sql:
        `${UNIVERSE} AND (p.user_id IN (WITH m AS (SELECT m.* FROM (SELECT c1.user_id, c1.t0, q1.ts AS t ` +
        `FROM (SELECT q0.user_id, q0.ts AS t0, q0.ts AS t ${step(0, 2)}) c1 ` +
        `ASOF JOIN (SELECT q1.user_id, q1.ts ${step(1, 3)}) q1 ON c1.user_id = q1.user_id AND c1.t < q1.ts) m ` +
        `WHERE toUnixTimestamp64Milli(m.t) - toUnixTimestamp64Milli(m.t0) <= {p4:Int64}) ` +
        `SELECT m.user_id FROM m ASOF LEFT JOIN (SELECT x.user_id, x.ts FROM events x WHERE x.event = {p5:String} ` +
        `AND x.ts <= ${NOW_TS} AND x.user_id IN (SELECT user_id FROM m)) x ON m.user_id = x.user_id AND m.t0 < x.ts ` +
        `WHERE x.ts IS NULL OR x.ts >= m.t SETTINGS join_use_nulls = 1))`,
      params: [NOW, 'login', 'order', 2 * DAY_MS, 'view'],
    });
    // bob viewed between login and order; carol ordered 5 days after logging in.
    expect(await members(node)).toEqual(['alice']);
  });

  it('a bucket: the first 4 bytes of MD5 read big-endian, as bucketOf computes them', async () => {
    const node = { kind: 'bucket', salt: 'a', min: 0, max: 49 };
    expect(compile(node)).toEqual({
      sql:
        `${UNIVERSE} AND ((reinterpretAsUInt32(reverse(substring(MD5(concat({p2:String}, p.user_id)), 1, 4))) % 100) ` +
        `BETWEEN {p3:Int64} AND {p4:Int64})`,
      params: [NOW, 'a:', 0, 49],
    });
    const expected = ALL.filter((u) => bucketOf(u, 'a') <= 49);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(ALL.length);
    expect(await members(node)).toEqual(expected);
    // Every bucket of every user agrees with the JS computation, not only the split above.
    for (const salt of ['a', 'b', "q'", '盐']) {
      const q = compile({ kind: 'bucket', salt, min: 0, max: 0 });
      for (const u of ALL) {
        const b = bucketOf(u, salt);
        const one = compile({ kind: 'bucket', salt, min: b, max: b });
        const rows = await ch.query<{ user_id: string }>(one.sql, namedParams(one));
        expect(rows.map((r) => r.user_id)).toContain(u);
      }
      expect(q.params[1]).toBe(`${salt}:`);
    }
  });

  it('count, sample and portrait wrap the ClickHouse query with typed parameters', async () => {
    const q = compile({ kind: 'and', children: [] });
    const [count] = await ch.query<{ n: number }>(countQuery(q).sql, namedParams(q));
    expect(count?.n).toBe(4);
    const s = sampleQuery(q, 2, clickhouseDialect);
    expect(s.sql).toMatch(/ORDER BY cityHash64\(sp\.user_id\), sp\.user_id LIMIT \{p2:Int64\}$/);
    const sample = await ch.query<{ user_id: string; city: string | null }>(s.sql, namedParams(s));
    expect(sample).toHaveLength(2);
    const portrait = portraitQuery(q, 'city', 1, clickhouseDialect);
    const rows = await ch.query<{ bucket: string; value: string | null; users: number }>(
      portrait.sql,
      namedParams(portrait),
    );
    expect(rows.map((r) => [r.bucket, r.value, Number(r.users)])).toEqual([
      ['value', 'Shanghai', 2],
      ['other', null, 1],
      ['unknown', null, 1],
    ]);
  });
});
