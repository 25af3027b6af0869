import { afterAll, beforeAll, describe, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startDevServer, type DevServer } from '../../src/storage/clickhouse/http-front/server.ts';
import { parseClickHouseTarget } from '../../src/storage/clickhouse/target.ts';
import { openSqlClient } from '../../src/storage/control/sql-client.ts';
import { clusterKillScenario } from '../support/cluster-kill-scenario.ts';
import { postgresForTest } from '../support/postgres-for-clickhouse.ts';
import { tempDir } from '../support/tmp.ts';

/**
 * Issue 19, point 4 on the production shape: three `rekindle serve` processes (the whole product)
 * on one PostgreSQL and ONE ClickHouse — chDB behind the ClickHouse HTTP front in this process,
 * or the server at CLICKHOUSE_URL. The leader is killed -9 mid-slot and again mid-delivery at the
 * default settings; the slot is planned once and every message delivered once.
 */
const tmp = tempDir('rekindle-chcluster-');
const schema = `chcluster_${randomBytes(4).toString('hex')}`;
const database = `chcluster_${randomBytes(4).toString('hex')}`;

let pgUrl = '';
let stopPg: (() => Promise<void>) | undefined;
let front: DevServer | undefined;
let address = '';

beforeAll(async () => {
  const postgres = await postgresForTest();
  pgUrl = postgres.url;
  stopPg = postgres.stop;
  const server = process.env['CLICKHOUSE_URL'];
  if (server !== undefined && server !== '') {
    const t = parseClickHouseTarget(server);
    if (!t.ok || t.value.kind !== 'server') throw new Error(`CLICKHOUSE_URL: not a server address`);
    const u = new URL(t.value.url);
    u.username = t.value.username;
    u.password = t.value.password;
    u.searchParams.set('database', database);
    address = u.toString();
  } else {
    front = await startDevServer({ path: join(tmp.dir, 'chdb'), port: 0 });
    address = `${front.url}/?database=${database}`;
  }
});

afterAll(async () => {
  await front?.close();
  const admin = await openSqlClient({ databaseUrl: pgUrl, pgliteDir: '' });
  await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.close();
  await stopPg?.();
  tmp.cleanup();
});

describe('three rekindle serve processes on PostgreSQL and one ClickHouse', () => {
  it(
    'kill -9 of the leader mid-slot and again mid-delivery: taken over within seconds, planned once, delivered once',
    { timeout: 400_000 },
    () =>
      clusterKillScenario({
        baseUrl: pgUrl,
        schema,
        tmpDir: tmp.dir,
        warehouse: { kind: 'clickhouse', address },
      }),
  );
});
