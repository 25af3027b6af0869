import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { roleFor } from '../../src/cli/serve-role.ts';

/** Which part of Rekindle `serve` runs: the whole product by default, ingestion alone on ClickHouse when asked. */
describe('serve role by warehouse', () => {
  it('reads REKINDLE_WAREHOUSE: unset or duckdb is DuckDB, an address is ClickHouse, a bad one names the variable', () => {
    expect(loadConfig({}).clickhouseWarehouse).toBeUndefined();
    expect(loadConfig({ REKINDLE_WAREHOUSE: 'duckdb' }).clickhouseWarehouse).toBeUndefined();
    expect(
      loadConfig({ REKINDLE_WAREHOUSE: 'clickhouse://u:pw@ch.internal:9000/events_db' }).clickhouseWarehouse,
    ).toEqual({
      kind: 'server',
      url: 'http://ch.internal:9000',
      database: 'events_db',
      username: 'u',
      password: 'pw',
    });
    expect(
      loadConfig({ REKINDLE_WAREHOUSE: 'http://127.0.0.1:8123/?database=dev' }).clickhouseWarehouse,
    ).toMatchObject({
      kind: 'server',
      database: 'dev',
    });
    expect(() => loadConfig({ REKINDLE_WAREHOUSE: 'mysql://secret@x/db' })).toThrow(
      /^REKINDLE_WAREHOUSE: unknown scheme 'mysql:'/,
    );
  });

  it('runs the whole product on either warehouse; --role ingest only on ClickHouse', () => {
    const ch = {
      kind: 'server',
      url: 'http://h:8123',
      database: 'r',
      username: 'default',
      password: '',
    } as const;
    expect(roleFor(undefined, undefined)).toEqual({ ok: true, value: 'all' });
    expect(roleFor(undefined, 'all')).toEqual({ ok: true, value: 'all' });
    const duckIngest = roleFor(undefined, 'ingest');
    expect(duckIngest.ok).toBe(false);
    if (!duckIngest.ok) expect(duckIngest.error).toMatch(/^--role ingest serves a ClickHouse warehouse/);
    expect(roleFor(ch, undefined)).toEqual({ ok: true, value: 'all' });
    expect(roleFor(ch, 'all')).toEqual({ ok: true, value: 'all' });
    expect(roleFor(ch, 'ingest')).toEqual({ ok: true, value: 'ingest' });
  });
});
