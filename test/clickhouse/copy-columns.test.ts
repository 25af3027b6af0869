import { describe, expect, it } from 'vitest';
import { baseType, isNullable, planTableCopy } from '../../src/storage/clickhouse/copy-columns.ts';

/** The pure part of the warehouse copy: how each DuckDB column is read for its ClickHouse type. */
describe('planTableCopy', () => {
  it('unwraps Nullable, LowCardinality and SimpleAggregateFunction', () => {
    expect(baseType('LowCardinality(Nullable(String))')).toBe('String');
    expect(baseType("Nullable(DateTime64(3, 'UTC'))")).toBe("DateTime64(3, 'UTC')");
    expect(baseType("SimpleAggregateFunction(min, DateTime64(3, 'UTC'))")).toBe("DateTime64(3, 'UTC')");
    expect(isNullable('LowCardinality(Nullable(String))')).toBe(true);
    expect(isNullable('String')).toBe(false);
  });

  it('converts times to ms, JSON to text ({} where NULL has no place), numbers and booleans by cast', () => {
    const plan = planTableCopy(
      'events',
      [
        { name: 'ts', type: "DateTime64(3, 'UTC')" },
        { name: 'properties', type: 'String' },
        { name: 'value', type: 'Nullable(String)' },
        { name: 'amount', type: 'Nullable(Float64)' },
        { name: 'ok', type: 'Nullable(Bool)' },
        { name: 'seq', type: 'Nullable(Int64)' },
        { name: 'extra', type: 'Nullable(String)' },
      ],
      [
        { name: 'ts', type: 'TIMESTAMP' },
        { name: 'properties', type: 'JSON' },
        { name: 'value', type: 'JSON' },
        { name: 'amount', type: 'DOUBLE' },
        { name: 'ok', type: 'BOOLEAN' },
        { name: 'seq', type: 'BIGINT' },
      ],
    );
    if (!plan.ok) throw new Error(plan.error);
    expect(plan.value.select).toBe(
      'SELECT CAST("ts" AS TIMESTAMP_MS) AS "ts", coalesce(CAST("properties" AS VARCHAR), \'{}\') AS "properties", ' +
        'CAST("value" AS VARCHAR) AS "value", CAST("amount" AS DOUBLE) AS "amount", CAST("ok" AS BOOLEAN) AS "ok", ' +
        'CAST("seq" AS BIGINT) AS "seq", NULL AS "extra" FROM "events"',
    );
    expect(plan.value.outOfRange).toEqual([
      {
        column: 'ts',
        condition: `"ts" < TIMESTAMP '1900-01-01 00:00:00' OR "ts" >= TIMESTAMP '2300-01-01 00:00:00'`,
      },
    ]);
    expect(plan.value.structure.map((c) => c.name)).toEqual([
      'ts',
      'properties',
      'value',
      'amount',
      'ok',
      'seq',
      'extra',
    ]);
  });

  it('refuses what it cannot copy faithfully: a required column DuckDB lacks, an unknown type', () => {
    expect(planTableCopy('t', [{ name: 'id', type: 'String' }], [])).toEqual({
      ok: false,
      error: 't.id: not in the DuckDB table, and ClickHouse needs a value',
    });
    expect(
      planTableCopy('t', [{ name: 'm', type: 'Map(String, String)' }], [{ name: 'm', type: 'MAP' }]),
    ).toEqual({
      ok: false,
      error: 't.m: ClickHouse type Map(String, String) is not copied',
    });
    expect(planTableCopy('t', [], []).ok).toBe(false);
  });
});
