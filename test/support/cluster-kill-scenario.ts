import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { expect } from 'vitest';
import { createSavedAudience } from '../../src/audience/saved-audiences.ts';
import { loadConfig } from '../../src/config.ts';
import { createProviderAs } from '../../src/delivery/providers/provider-service.ts';
import { providersOf } from '../../src/delivery/providers/provider-runtime.ts';
import { openRuntime } from '../../src/runtime.ts';
import { currentLeader } from '../../src/storage/control/cluster.ts';
import { openSqlClient } from '../../src/storage/control/sql-client.ts';
import { startChildServer, type ChildServer } from './child-server.ts';
import { approvedCampaign, plannerActors } from './planner-scenario.ts';
import { profile, seed } from './score-scenario.ts';

/**
 * Three `rekindle serve` processes on one PostgreSQL control plane (issue 19, point 4;
 * docs/cluster.md), kill -9 of the leader mid-slot and again mid-delivery: taken over within
 * seconds, the slot planned once, every message delivered once. Run on DuckDB (a copy of the
 * seeded file per process: test/cluster-leader.test.ts) and on one shared ClickHouse
 * (test/clickhouse/cluster-clickhouse.test.ts).
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const until = async (what: string, cond: () => Promise<boolean> | boolean, ms = 30_000, step = 25) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await sleep(step);
  }
  throw new Error(`timed out waiting for ${what}`);
};

/** The planner's lock of the default workspace (src/storage/control/planner-inputs.ts). */
const PLANNER_LOCK_KEY = "hashtext('rekindle-planner:' || 'default')";

const USERS = 3_000;

export interface ClusterKillOptions {
  /** PostgreSQL (the control plane), and the schema of this run. */
  baseUrl: string;
  schema: string;
  tmpDir: string;
  warehouse: { kind: 'duckdb' } | { kind: 'clickhouse'; address: string };
}

export const clusterKillScenario = async (o: ClusterKillOptions): Promise<void> => {
  const { schema, baseUrl, tmpDir, warehouse } = o;
  const seedDir = join(tmpDir, 'seed');
  const warehouseEnv: Record<string, string> =
    warehouse.kind === 'clickhouse' ? { REKINDLE_WAREHOUSE: warehouse.address } : {};
  let firstArrival: (() => void) | undefined;
  const receiver = await startReceiver(() => firstArrival?.());

  // One seeded installation: users, an audience, a webhook provider, a one-off campaign due now.
  const rt = await openRuntime(
    loadConfig(warehouseEnv, {
      dataDir: seedDir,
      databaseUrl: baseUrl,
      logLevel: 'error',
      allowPrivateTargets: true,
    }),
    {
      controlSchema: schema,
    },
  );
  let campaignId = '';
  try {
    const now = Date.now();
    // Noon where the users live, so no quiet hours hold their messages back.
    const offset = 12 - new Date(now).getUTCHours();
    const timezone = offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
    await seed(
      rt.warehouse,
      Array.from({ length: USERS }, (_, i) =>
        profile(`u${i}`, now - 100 * 86_400_000, { acquisition_channel: 'cluster', timezone }),
      ),
    );
    const actors = await plannerActors(rt.control);
    const aud = await createSavedAudience(rt, actors.op, {
      name: 'Cluster users',
      definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: 'cluster' },
    });
    if (!aud.ok) throw new Error('audience');
    const p = await createProviderAs(providersOf(rt).context, actors.admin, {
      kind: 'webhook',
      name: 'cluster-hook',
      ratePerSecond: 500,
      config: { url: receiver.url, deduplicatesByKey: true },
      secrets: { secret: 'whsec-0123456789abcdef' },
    });
    if (!p.ok) throw new Error(JSON.stringify(p.error));
    const c = await approvedCampaign(rt, actors, 'Cluster slot', {
      audienceId: aud.value.id,
      timing: { kind: 'one_off', at: new Date(now - 60_000).toISOString() },
      channels: ['webhook'],
      content: [{ channel: 'webhook', body: '{"user": "{{ user.user_id }}"}' }],
      holdoutShare: 0,
      priority: 50,
    });
    campaignId = c.id;
  } finally {
    await rt.close();
  }

  // Each process has its own data directory with the same master key (the provider's sealed
  // secret). On DuckDB it also holds a copy of the seeded warehouse (one DuckDB file is opened by
  // one process); on ClickHouse all three share the one warehouse.
  const copied =
    warehouse.kind === 'duckdb' ? ['warehouse.duckdb', 'warehouse.duckdb.wal', 'master.key'] : ['master.key'];
  const dirOf = (i: number) => {
    const dir = join(tmpDir, `p${i}`);
    mkdirSync(dir, { recursive: true });
    for (const f of copied) if (existsSync(join(seedDir, f))) copyFileSync(join(seedDir, f), join(dir, f));
    return dir;
  };
  const url = new URL(baseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  // Defaults everywhere (leader poll 2 s, planner poll 10 s, delivery lease 60 s, batch 1000),
  // scoring, attribution and alerts included; only private targets are allowed (the receiver).
  const env = (i: number) => ({
    REKINDLE_DATA_DIR: dirOf(i),
    DATABASE_URL: url.toString(),
    REKINDLE_ALLOW_PRIVATE_TARGETS: '1',
    ...warehouseEnv,
  });

  // The test holds the planner's lock: the leader's slot will stop inside its commit, after
  // it took the slot's snapshot: killed there, it has half planned the slot.
  const blocker = new pg.Client({ connectionString: baseUrl });
  await blocker.connect();
  await blocker.query(`SELECT pg_advisory_lock(${PLANNER_LOCK_KEY})`);
  const db = await openSqlClient({ databaseUrl: baseUrl, pgliteDir: '', schema });
  const children: ChildServer[] = [];
  try {
    children.push(...(await Promise.all([0, 1, 2].map((i) => startChildServer(env(i))))));
    const childOf = (pid: number | undefined) => children.find((ch) => ch.child.pid === pid);
    const alive = () => children.filter((ch) => ch.child.exitCode === null && ch.child.signalCode === null);

    await until('a leader', async () => childOf((await currentLeader(db))?.pid) !== undefined);
    const first = await currentLeader(db);
    const leader1 = childOf(first?.pid);
    if (!leader1 || !first) throw new Error('no leader');
    // Only the leader plans: one backend waits on the planner lock, inside the slot's commit.
    const waiting = () =>
      db.query<{ pid: number }>(
        `SELECT l.pid FROM pg_locks l WHERE l.locktype = 'advisory' AND NOT l.granted
           AND l.objid = (${PLANNER_LOCK_KEY})::oid`,
      );
    await until('the leader to stop inside the slot', async () => (await waiting()).length > 0, 60_000);
    await sleep(1_000);
    expect(await waiting()).toHaveLength(1);
    expect(await db.query('SELECT 1 FROM audience_snapshots')).not.toHaveLength(0);
    expect(await db.query('SELECT 1 FROM outbox')).toHaveLength(0);

    const takeover = async (from: { owner: string }) => {
      const killedAt = Date.now();
      const dead = childOf((await currentLeader(db))?.pid);
      dead?.child.kill('SIGKILL');
      await dead?.exited;
      let next: Awaited<ReturnType<typeof currentLeader>>;
      await until(
        'another leader',
        async () => {
          next = await currentLeader(db);
          return next !== undefined && next.owner !== from.owner;
        },
        30_000,
        10,
      );
      const ms = Date.now() - killedAt;
      if (!next) throw new Error('no new leader');
      expect(childOf(next.pid)).toBeDefined();
      expect(alive().map((ch) => ch.child.pid)).toContain(next.pid);
      return { ms, next };
    };

    // 1. kill -9 the leader half-way through planning the slot.
    const t1 = await takeover(first);
    process.stderr.write(
      `${warehouse.kind}: kill -9 of the leader mid-slot: a new leader after ${t1.ms} ms\n`,
    );
    expect(t1.ms).toBeLessThan(10_000);
    // 2. The new leader plans the slot (its scheduler's poll); kill -9 it as the first messages arrive.
    const arrived = new Promise<void>((r) => (firstArrival = r));
    await blocker.query(`SELECT pg_advisory_unlock(${PLANNER_LOCK_KEY})`);
    await arrived;
    const t2 = await takeover(t1.next);
    process.stderr.write(
      `${warehouse.kind}: kill -9 of the leader as the first messages arrived (${receiver.delivered.size} delivered): ` +
        `a new leader after ${t2.ms} ms\n`,
    );
    expect(t2.ms).toBeLessThan(10_000);
    expect(alive()).toHaveLength(1);

    // Every message ends sent: the dead leader's claims come back after the default lease (60 s).
    const statuses = () =>
      db.query<{ status: string; n: string }>(
        'SELECT status, count(*) AS n FROM outbox WHERE campaign_id = $1 GROUP BY status',
        [campaignId],
      );
    await until(
      'every message sent',
      async () => {
        const s = await statuses();
        return s.length === 1 && s[0]?.status === 'sent';
      },
      150_000,
      250,
    );

    // Planned once: one run of the slot, one outbox row per user, nobody lost.
    const runs = await db.query<{ id: string; messages: number }>(
      'SELECT id, messages FROM campaign_runs WHERE campaign_id = $1',
      [campaignId],
    );
    expect(runs).toHaveLength(1);
    const outbox = await db.query<{ idempotency_key: string; user_id: string }>(
      'SELECT idempotency_key, user_id FROM outbox WHERE campaign_id = $1',
      [campaignId],
    );
    expect(outbox).toHaveLength(USERS);
    expect(Number(runs[0]?.messages)).toBe(USERS);
    expect(new Set(outbox.map((r) => r.user_id)).size).toBe(USERS);
    // Delivered once: every planned message reached the receiver, as one message per key.
    const keys = new Set(outbox.map((r) => r.idempotency_key));
    expect(receiver.delivered.size).toBe(USERS);
    for (const k of receiver.delivered.keys()) expect(keys.has(k)).toBe(true);
    expect([...receiver.delivered.values()].every((n) => n === 1)).toBe(true);
    const log = await db.query<{ entries: string; keys: string }>(
      `SELECT count(*) AS entries, count(DISTINCT idempotency_key) AS keys FROM message_log
         WHERE campaign_id = $1 AND kind = 'sent'`,
      [campaignId],
    );
    expect(Number(log[0]?.entries)).toBe(USERS);
    expect(Number(log[0]?.keys)).toBe(USERS);
    // A call the killed leader had in flight went again to the vendor with the same key (it
    // de-duplicates them); no other message was requested twice.
    const repeated = [...receiver.requests.values()].filter((n) => n > 1);
    process.stderr.write(
      `requests repeated with the same key after the kill: ${repeated.length} (of ${USERS})\n`,
    );
    expect(repeated.every((n) => n === 2)).toBe(true);
    expect(repeated.length).toBeLessThanOrEqual(2 * 64);
  } finally {
    for (const ch of children) if (ch.child.exitCode === null) ch.child.kill('SIGKILL');
    await Promise.all(children.map((ch) => ch.exited));
    await blocker.end().catch(() => undefined);
    await db.close();
    await receiver.close();
  }
};

/**
 * A vendor on loopback that de-duplicates by the `Idempotency-Key` header, as the webhook
 * provider's `deduplicatesByKey` promises: `requests` counts every call per key, `delivered`
 * the messages that reached a user (the first call per key).
 */
const startReceiver = async (onFirst: () => void) => {
  const requests = new Map<string, number>();
  const delivered = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const key = String(req.headers['idempotency-key'] ?? '');
      requests.set(key, (requests.get(key) ?? 0) + 1);
      if (!delivered.has(key)) {
        delivered.set(key, 1);
        if (delivered.size === 1) onFirst();
      }
      // A vendor that takes a little while: waves are in flight when a process dies.
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: `vendor-${key}` }));
      }, 20);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    delivered,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
};
