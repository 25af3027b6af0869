import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindForClickHouse } from '../../src/storage/clickhouse/clickhouse-sql.ts';
import { inList, jsonList } from '../../src/storage/warehouse/id-list.ts';
import { openEngineWarehouse, type EngineWarehouse } from '../support/warehouse-engines.ts';

describe('bindForClickHouse', () => {
  it('types $n from its value and leaves quoted $ alone', () => {
    const b = bindForClickHouse("SELECT $1, $2, '$3', `$4`, $3, $10", [1, 'a', null, 0, 0, 0, 0, 0, 0, 2.5]);
    expect(b.sql).toBe("SELECT {p1:Int64}, {p2:String}, '$3', `$4`, {p3:Nullable(String)}, {p10:Float64}");
    expect(b.params['p10']).toBe(2.5);
    expect(b.params['p2']).toBe('a');
  });
  it('refuses a placeholder without a value', () => {
    expect(() => bindForClickHouse('SELECT $2', [1])).toThrow(/\$2 has no value/);
  });
});

describe.each(['duckdb', 'clickhouse'] as const)('WarehouseSql on %s', (engine) => {
  let w: EngineWarehouse;
  beforeAll(async () => {
    w = await openEngineWarehouse(engine, 'seam');
  });
  afterAll(async () => w.close());

  it('answers times as Date and counts as numbers', async () => {
    const d = w.sql.dialect;
    const rows = await w.sql.query<{ t: Date; n: unknown; s: string; z: null }>(
      `SELECT ${d.timeFromMs('$1')} AS t, ${d.msFromTime(d.timeFromMs('$1'))} AS n, $2 AS s, NULL AS z`,
      [Date.UTC(2026, 1, 3, 4, 5, 6, 789), 'ü\u{1F600}'],
    );
    expect(rows).toHaveLength(1);
    const r = rows[0]!;
    expect(r.t).toBeInstanceOf(Date);
    expect(r.t.getTime()).toBe(Date.UTC(2026, 1, 3, 4, 5, 6, 789));
    expect(Number(r.n)).toBe(Date.UTC(2026, 1, 3, 4, 5, 6, 789));
    expect(r.s).toBe('ü\u{1F600}');
    expect(r.z).toBeNull();
  });

  it('appends rows in a transaction and reads them back', async () => {
    const table = 'seam_append';
    const d = w.sql.dialect;
    await w.sql.write(
      d.name === 'duckdb'
        ? `CREATE TABLE ${table} (id VARCHAR, seen_at TIMESTAMP, v DOUBLE)`
        : `CREATE TABLE ${table} (id String, seen_at DateTime64(3, 'UTC'), v Nullable(Float64)) ENGINE = MergeTree ORDER BY id`,
    );
    await w.sql.transaction(async (tx) => {
      await tx.append(table, (row) => {
        for (let i = 0; i < 3; i++) {
          row.varchar(`u${i}`);
          row.timestamp(Date.UTC(2026, 0, 1 + i));
          row.double(i === 1 ? null : i / 2);
          row.end();
        }
      });
    });
    const rows = await w.sql.query<{ id: string; seen_at: Date; v: number | null }>(
      `SELECT id, seen_at, v FROM ${table} WHERE seen_at >= ${d.timeFromMs('$1')} ORDER BY id`,
      [Date.UTC(2026, 0, 2)],
    );
    expect(rows.map((r) => [r.id, r.seen_at.getTime(), r.v])).toEqual([
      ['u1', Date.UTC(2026, 0, 2), null],
      ['u2', Date.UTC(2026, 0, 3), 1],
    ]);
    expect(Number(await w.sql.scalar(`SELECT count(*) FROM ${table}`))).toBe(3);
  });

  it('unpacks a JSON id list', async () => {
    const rows = await w.sql.query<{ v: string }>(
      `SELECT v FROM (SELECT 'a' AS v UNION ALL SELECT 'b' UNION ALL SELECT 'c') AS t WHERE v IN (${inList('$1', w.sql.dialect)}) ORDER BY v`,
      [jsonList(['c', 'a', "x'y"])],
    );
    expect(rows.map((r) => r.v)).toEqual(['a', 'c']);
  });

  it('answers a profile time kept as an aggregate state as a Date', async () => {
    await w.commit({
      events: [],
      identifies: [
        {
          messageId: 'seam-i1',
          userId: 'seam-u1',
          ts: Date.UTC(2026, 0, 5),
          receivedAt: Date.UTC(2026, 0, 5),
          columns: {},
          traits: {},
          source: 'http',
        },
      ],
    });
    const [p] = await w.sql.query<{ first_seen: unknown }>(
      `SELECT first_seen FROM profiles WHERE user_id = $1`,
      ['seam-u1'],
    );
    expect(p?.first_seen).toBeInstanceOf(Date);
  });
});
