import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseDb } from '../../src/storage/clickhouse/client.ts';
import { testClickHouseTarget } from '../support/clickhouse-target.ts';
import { tempDir } from '../support/tmp.ts';

/**
 * chDB applies a call's settings with `SET` on its one session; a setting one call gave must
 * not stay for the next (a dedup token left behind would swallow the next, different insert).
 */
const tmp = tempDir('rekindle-ch-settings-');
let db: ClickHouseDb;

beforeAll(async () => {
  db = await ClickHouseDb.open(testClickHouseTarget(`${tmp.dir}/chdb`, 'client_settings'));
  await db.command(
    `CREATE TABLE t (a String) ENGINE = MergeTree ORDER BY a SETTINGS non_replicated_deduplication_window = 100`,
  );
});
afterAll(async () => {
  await db.close();
  tmp.cleanup();
});

describe('ClickHouseDb settings', () => {
  it('stores a retry with one token once, and later inserts without a token all', async () => {
    await db.insert('t', [{ a: 'x' }], { dedupToken: 'k' });
    await db.insert('t', [{ a: 'x' }], { dedupToken: 'k' });
    await db.insert('t', [{ a: 'y' }]);
    await db.insert('t', [{ a: 'z' }]);
    const rows = await db.query<{ a: string }>('SELECT a FROM t ORDER BY a');
    expect(rows.map((r) => r.a)).toEqual(['x', 'y', 'z']);
  });

  it('does not leave a setting of one call in force for the next', async () => {
    await db.query('SELECT 1', {}, { max_threads: 1 });
    const [row] = await db.query<{ value: string; default: string }>(
      "SELECT value, default FROM system.settings WHERE name = 'max_threads'",
    );
    expect(row?.value).toBe(row?.default);
    expect(row?.value).not.toBe('1');
    const [token] = await db.query<{ value: string }>(
      "SELECT value FROM system.settings WHERE name = 'insert_deduplication_token'",
    );
    expect(token?.value).toBe('');
  });
});
