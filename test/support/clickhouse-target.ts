import { randomBytes } from 'node:crypto';
import { parseClickHouseTarget, type ClickHouseTarget } from '../../src/storage/clickhouse/target.ts';

/**
 * Where a ClickHouse test runs: the server at CLICKHOUSE_URL when it is set (a database of the
 * test's own, named after it and made unique), otherwise chDB in this process at `chdbPath`.
 */
export const testClickHouseTarget = (chdbPath: string, name: string): ClickHouseTarget => {
  const url = process.env['CLICKHOUSE_URL'];
  if (url === undefined || url === '') return { kind: 'chdb', path: chdbPath, database: name };
  const parsed = parseClickHouseTarget(url);
  if (!parsed.ok) throw new Error(`CLICKHOUSE_URL: ${parsed.error}`);
  return { ...parsed.value, database: `${name}_${randomBytes(4).toString('hex')}` };
};

/** Whether the ClickHouse tests run against a server (CLICKHOUSE_URL) rather than chDB. */
export const onClickHouseServer = (): boolean => (process.env['CLICKHOUSE_URL'] ?? '') !== '';
