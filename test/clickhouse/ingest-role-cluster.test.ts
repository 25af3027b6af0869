import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ClickHouseWarehouse } from '../../src/storage/clickhouse/clickhouse-warehouse.ts';
import { startDevServer, type DevServer } from '../../src/storage/clickhouse/http-front/server.ts';
import { openClickHouseIngestSink } from '../../src/storage/clickhouse/ingest-sink.ts';
import type { ClickHouseTarget } from '../../src/storage/clickhouse/target.ts';
import { migrate } from '../../src/storage/control/migrate.ts';
import { openSqlClient } from '../../src/storage/control/sql-client.ts';
import { addWriteKey } from '../../src/storage/control/write-keys.ts';
import { startChildServer, type ChildServer } from '../support/child-server.ts';
import { postgresForTest } from '../support/postgres-for-clickhouse.ts';
import { basicAuth } from '../support/runtime.ts';
import { tempDir } from '../support/tmp.ts';

/**
 * Two `rekindle serve` processes on one PostgreSQL control plane and one ClickHouse (chDB behind
 * the HTTP front): every acknowledged event is in ClickHouse exactly once, whichever process took
 * it, when requests are retried on both, and when one process is killed -9 under load.
 */
const KEY = 'rk_chserve_test_key';
const tmp = tempDir('rekindle-chserve-');
const schema = `chserve_${randomBytes(4).toString('hex')}`;
const database = `chserve_${randomBytes(4).toString('hex')}`;

let pgUrl = '';
let stopPg: (() => Promise<void>) | undefined;
let front: DevServer;
let target: ClickHouseTarget;
let wh: ClickHouseWarehouse;
const children: ChildServer[] = [];

beforeAll(async () => {
  const postgres = await postgresForTest();
  pgUrl = postgres.url;
  stopPg = postgres.stop;
  const control = await openSqlClient({ databaseUrl: pgUrl, pgliteDir: '', schema });
  await migrate(control);
  await addWriteKey(control, KEY, 'chserve test');
  await control.close();
  front = await startDevServer({ path: join(tmp.dir, 'chdb'), port: 0 });
  target = { kind: 'server', url: front.url, database, username: 'default', password: '' };
  // Tables and projections made once, before the processes start.
  wh = await ClickHouseWarehouse.open(target);
  await openClickHouseIngestSink(wh);
});

afterAll(async () => {
  for (const c of children)
    if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
  await wh?.close();
  await front?.close();
  const admin = await openSqlClient({ databaseUrl: pgUrl, pgliteDir: '' });
  await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.close();
  await stopPg?.();
  tmp.cleanup();
});

const startIngestProcess = async (i: number): Promise<ChildServer> => {
  const dir = join(tmp.dir, `p${i}`);
  mkdirSync(dir, { recursive: true });
  const url = new URL(pgUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const child = await startChildServer(
    {
      REKINDLE_DATA_DIR: dir,
      DATABASE_URL: url.toString(),
      REKINDLE_WAREHOUSE: `${front.url}/?database=${database}`,
    },
    ['--port', '0', '--role', 'ingest'],
  );
  children.push(child);
  return child;
};

type Body = { batch: Record<string, unknown>[] };

const batchOf = (ids: readonly string[]): Body => ({
  batch: ids.map((id, i) => ({
    type: 'track',
    userId: `u${i % 37}`,
    event: 'view_item',
    messageId: id,
    timestamp: '2026-12-01T10:00:00.000Z',
    properties: { product_id: `p${i % 11}` },
  })),
});

/** The status, or 0 when the connection failed (a killed process). */
const send = async (server: ChildServer, body: Body): Promise<number> => {
  try {
    const res = await fetch(`${server.url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth(KEY) },
      body: JSON.stringify(body),
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
};

const stored = async (prefix: string): Promise<Map<string, number>> => {
  const rows = await wh.db.query<{ message_id: string; n: number }>(
    `SELECT message_id, count() AS n FROM events WHERE startsWith(message_id, {p:String}) GROUP BY message_id`,
    { p: prefix },
  );
  return new Map(rows.map((r) => [r.message_id, r.n]));
};

const ids = (prefix: string, b: number, n = 100): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}-${b}-${i}`);

describe('the ingest role: two processes on PostgreSQL and one ClickHouse', () => {
  it(
    'says it serves ingestion only, and stores retries on both processes once',
    { timeout: 240_000 },
    async () => {
      const [a, b] = await Promise.all([startIngestProcess(0), startIngestProcess(1)]);
      if (!a || !b) throw new Error('no processes');
      for (const p of [a, b]) expect(p.output().stdout).toMatch(/ingest role on ClickHouse.*ingestion only/);
      const health = await fetch(`${a.url}/healthz`);
      expect(await health.json()).toEqual({ ok: true, role: 'ingest' });
      // Nothing but ingestion is served: the management API is not there.
      expect((await fetch(`${a.url}/v1/campaigns`)).status).toBe(404);
      expect((await send(a, { batch: [] })).valueOf()).toBe(400);
      const unauth = await fetch(`${a.url}/v1/track`, {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json' },
      });
      expect(unauth.status).toBe(401);

      const acked = new Set<string>();
      const ack = (status: number, body: Body) => {
        expect(status).toBe(200);
        for (const m of body.batch) acked.add(String(m.messageId));
      };
      const procs = [a, b];
      for (let k = 0; k < 40; k++) {
        const first = procs[k % 2] as ChildServer;
        const other = procs[(k + 1) % 2] as ChildServer;
        const body = batchOf(ids('dup', k));
        if (k % 4 === 0) {
          // The same request on both processes at the same moment (a client that timed out and retried).
          const [s1, s2] = await Promise.all([send(first, body), send(other, body)]);
          ack(s1, body);
          ack(s2, body);
        } else if (k % 4 === 1) {
          // Acknowledged by one, retried on the other later.
          ack(await send(first, body), body);
          ack(await send(other, body), body);
        } else if (k % 4 === 2) {
          // A new batch on the other process that repeats half of an acknowledged one.
          ack(await send(first, body), body);
          const mixed = batchOf([...ids('dup', k).slice(0, 50), ...ids('dup', 1000 + k, 50)]);
          ack(await send(other, mixed), mixed);
        } else {
          // Retried on the same process: its dedup window answers.
          ack(await send(first, body), body);
          const res = await fetch(`${first.url}/v1/batch`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: basicAuth(KEY) },
            body: JSON.stringify(body),
          });
          expect(await res.json()).toMatchObject({ accepted: 0, duplicates: 100 });
        }
      }
      const inClickHouse = await stored('dup-');
      expect(acked.size).toBe(40 * 100 + 10 * 50);
      expect([...acked].filter((id) => !inClickHouse.has(id))).toEqual([]);
      expect([...inClickHouse].filter(([, n]) => n !== 1)).toEqual([]);
      expect(inClickHouse.size).toBe(acked.size);
    },
  );

  it(
    'commits concurrent requests to one process in fewer groups than requests, each stored once',
    { timeout: 240_000 },
    async () => {
      const [a] = children.length >= 1 ? children : [await startIngestProcess(0)];
      if (!a) throw new Error('no process');
      // Each insert into a MergeTree table takes the next block number, and a merged part keeps
      // the range it covers: the highest block number counts the inserts, whatever was merged.
      const inserts = async (): Promise<number> => {
        const [row] = await wh.db.query<{ n: number }>(
          `SELECT toUInt64(max(max_block_number)) AS n FROM system.parts
            WHERE database = {db:String} AND table = 'events'`,
          { db: database },
        );
        return Number(row?.n ?? 0);
      };
      const before = await inserts();
      const REQUESTS = 48;
      const bodies = Array.from({ length: REQUESTS }, (_, k) => batchOf(ids('grp', k)));
      const statuses = await Promise.all(bodies.map((body) => send(a, body)));
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
      const groups = (await inserts()) - before;
      expect(groups).toBeGreaterThan(0);
      expect(groups).toBeLessThan(REQUESTS / 2);
      const inClickHouse = await stored('grp-');
      expect(inClickHouse.size).toBe(REQUESTS * 100);
      expect([...inClickHouse].filter(([, n]) => n !== 1)).toEqual([]);
      // The same requests again, at once: all duplicates, nothing inserted into events.
      const again = await Promise.all(
        bodies.slice(0, 8).map(async (body) => {
          const res = await fetch(`${a.url}/v1/batch`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: basicAuth(KEY) },
            body: JSON.stringify(body),
          });
          return (await res.json()) as unknown;
        }),
      );
      for (const r of again) expect(r).toMatchObject({ accepted: 0, duplicates: 100 });
      expect((await stored('grp-')).size).toBe(REQUESTS * 100);
      process.stdout.write(`${REQUESTS} concurrent requests committed in ${groups} inserts into events\n`);
    },
  );

  it(
    'loses nothing acknowledged and stores nothing twice when one process is killed -9 under load',
    { timeout: 240_000 },
    async () => {
      const [a, b] =
        children.length >= 2 ? children : await Promise.all([startIngestProcess(0), startIngestProcess(1)]);
      if (!a || !b) throw new Error('no processes');
      const acked = new Set<string>();
      let next = 0;
      let killedAt = -1;
      let retriedElsewhere = 0;
      const TOTAL = 300;
      const worker = async (w: number) => {
        while (next < TOTAL) {
          const k = next++;
          const body = batchOf(ids('kill', k));
          // Round robin over the processes; a batch without an answer is retried on the other one.
          let at = (k + w) % 2 === 0 ? a : b;
          for (;;) {
            const status = await send(at, body);
            if (status === 200) break;
            expect([0, 503]).toContain(status);
            retriedElsewhere++;
            at = at === a ? b : a;
          }
          for (const m of body.batch) acked.add(String(m.messageId));
          if (k === 60 && killedAt < 0) {
            killedAt = acked.size;
            a.child.kill('SIGKILL');
          }
        }
      };
      await Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
      expect(await a.exited).toBeNull();
      expect(killedAt).toBeGreaterThan(0);
      const inClickHouse = await stored('kill-');
      expect(acked.size).toBe(TOTAL * 100);
      expect([...acked].filter((id) => !inClickHouse.has(id))).toEqual([]);
      expect([...inClickHouse].filter(([, n]) => n !== 1)).toEqual([]);
      expect(inClickHouse.size).toBe(TOTAL * 100);
      process.stdout.write(
        `kill -9 after ${killedAt} acknowledged events; ${retriedElsewhere} requests retried on the survivor\n`,
      );
    },
  );
});
