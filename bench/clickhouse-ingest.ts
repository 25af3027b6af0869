import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { processBatch } from '../src/ingest/process-batch.ts';
import { ClickHouseDb } from '../src/storage/clickhouse/client.ts';
import { ClickHouseWarehouse } from '../src/storage/clickhouse/clickhouse-warehouse.ts';
import { openClickHouseIngestSink } from '../src/storage/clickhouse/ingest-sink.ts';
import { dedupToken, eventRowOf } from '../src/storage/clickhouse/ingest-rows.ts';
import { ChdbMissingError, loadChdb } from '../src/storage/clickhouse/engine-loader.ts';
import { migrate } from '../src/storage/control/migrate.ts';
import { openSqlClient } from '../src/storage/control/sql-client.ts';
import { addWriteKey } from '../src/storage/control/write-keys.ts';
import { startChildServer, type ChildServer } from '../test/support/child-server.ts';
import { basicAuth } from '../test/support/runtime.ts';

/**
 * HTTP ingestion into ClickHouse (chDB behind `rekindle clickhouse-dev-server`, its own process)
 * with ONE `rekindle serve` process and with TWO behind a round robin of connections, beside the
 * same-run baseline: the same rows inserted straight into `events` with `ClickHouseDb.insert`
 * (batches of 100, the same connections), no Rekindle in between. Every run has its own database
 * on a fresh front (its own chDB directory: no background merges of an earlier run); every run's
 * events are counted in ClickHouse before its figure is reported.
 */

const KEY = 'rk_bench_ch_key';
const BIN = fileURLToPath(new URL('../bin/rekindle.js', import.meta.url));

export interface ClickHouseIngestRun {
  events: number;
  seconds: number;
  eventsPerSecond: number;
  p50ms: number;
  p99ms: number;
  /** Cores the chDB front and the Rekindle process(es) used while it ran (Linux; NaN elsewhere). */
  frontCores: number;
  serveCores: number;
}

export interface ClickHouseIngestBenchResult {
  connections: number;
  baseline: ClickHouseIngestRun;
  one: ClickHouseIngestRun;
  two: ClickHouseIngestRun;
  /** two / one. */
  ratio: number;
  control: string;
}

export interface ClickHouseIngestBenchOptions {
  work: string;
  /** At most this many events per run (default 1 M)… */
  maxEvents: number;
  /** …or as many as fit this long (default 60 s). */
  seconds: number;
  connections: number;
  postgresUrl: string;
  log: (line: string) => void;
}

/** Why this benchmark cannot run here (chDB not installed: `npm run clickhouse:install`), or undefined. */
export const chdbMissing = (): string | undefined => {
  try {
    loadChdb();
    return undefined;
  } catch (e) {
    if (e instanceof ChdbMissingError) return e.message;
    throw e;
  }
};

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;

const startFront = async (path: string): Promise<{ child: ChildProcess; url: string }> => {
  const child = spawn(process.execPath, [BIN, 'clickhouse-dev-server', '--path', path, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`front did not start: ${err}`)), 60_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`front exited with ${code}: ${err}`)));
  });
  return { child, url };
};

/** Sends batches until `bodies` run out or `seconds` pass; `send` resolves after the 200. */
const load = async (
  batches: number,
  seconds: number,
  connections: number,
  send: (b: number, worker: number) => Promise<void>,
  pids: { front: number | undefined; serve: readonly (number | undefined)[] },
): Promise<ClickHouseIngestRun> => {
  const latencies: number[] = [];
  let next = 0;
  const cpu = () => ({
    front: cpuSeconds(pids.front),
    serve: pids.serve.reduce<number>((sum, p) => sum + cpuSeconds(p), 0),
  });
  const cpuBefore = cpu();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async (w: number) => {
    for (;;) {
      if (performance.now() >= deadline) return;
      const b = next++;
      if (b >= batches) return;
      const t = performance.now();
      await send(b, w);
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: connections }, (_, w) => worker(w)));
  const elapsed = (performance.now() - started) / 1000;
  const cpuAfter = cpu();
  latencies.sort((a, b) => a - b);
  const events = latencies.length * 100;
  return {
    events,
    seconds: elapsed,
    eventsPerSecond: events / elapsed,
    p50ms: percentile(latencies, 0.5),
    p99ms: percentile(latencies, 0.99),
    frontCores: (cpuAfter.front - cpuBefore.front) / elapsed,
    serveCores: (cpuAfter.serve - cpuBefore.serve) / elapsed,
  };
};

/** CPU seconds a process has used (utime + stime of /proc/<pid>/stat); NaN where unreadable. */
const cpuSeconds = (pid: number | undefined): number => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
};

const countEvents = async (db: ClickHouseDb): Promise<number> => {
  const [r] = await db.query<{ c: number }>('SELECT count() AS c FROM events');
  return r?.c ?? -1;
};

export const benchClickHouseIngest = async (
  o: ClickHouseIngestBenchOptions,
): Promise<ClickHouseIngestBenchResult> => {
  const dir = join(o.work, 'clickhouse-ingest');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const batches = Math.ceil(o.maxEvents / 100);
  const now = Date.now();
  const messagesOf = (b: number) =>
    Array.from({ length: 100 }, (_, i) => ({
      type: 'track',
      userId: `u${(b * 7919 + i * 104729) % 1_000_000}`,
      event: i % 10 === 0 ? 'order' : 'view_item',
      messageId: `chbench-${b}-${i}`,
      timestamp: new Date(now - i * 1000).toISOString(),
      properties: {
        product_id: `p${i % 500}`,
        category: 'tea',
        amount: i % 10 === 0 ? 88.5 : undefined,
        page: 'detail',
      },
      context: { device: { type: 'ios' } },
    }));
  // Bodies are serialised before the clock starts: the client's JSON work is not the server's.
  o.log(`    preparing ${batches} batches…`);
  const bodies = Array.from({ length: batches }, (_, b) => JSON.stringify({ batch: messagesOf(b) }));

  // One front per run, started before and stopped after it.
  let front = await startFront(join(dir, 'chdb-direct'));
  const nextFront = async (name: string) => {
    front.child.kill('SIGTERM');
    await new Promise((r) => front.child.once('exit', r));
    front = await startFront(join(dir, `chdb-${name}`));
  };
  // The control plane: PostgreSQL (a schema of this run) where it answers, as deployed.
  const schema = `bench_chingest_${process.pid}`;
  let controlUrl: string | undefined;
  try {
    const admin = await openSqlClient({ databaseUrl: o.postgresUrl, pgliteDir: '', schema });
    await migrate(admin);
    await addWriteKey(admin, KEY, 'bench');
    await admin.close();
    const u = new URL(o.postgresUrl);
    u.searchParams.set('options', `-c search_path=${schema}`);
    controlUrl = u.toString();
  } catch (e) {
    o.log(`    PostgreSQL not reachable (${e instanceof Error ? e.message : String(e)}): PGlite per process`);
  }
  const target = (database: string) =>
    ({ kind: 'server', url: front.url, database, username: 'default', password: '' }) as const;
  const prepare = async (database: string): Promise<ClickHouseWarehouse> => {
    const wh = await ClickHouseWarehouse.open(target(database));
    await openClickHouseIngestSink(wh);
    return wh;
  };
  const children: ChildServer[] = [];
  const serveOn = async (database: string, i: number) => {
    const dataDir = join(dir, `p-${database}-${i}`);
    const child = await startChildServer(
      {
        REKINDLE_DATA_DIR: dataDir,
        REKINDLE_WAREHOUSE: `${front.url}/?database=${database}`,
        REKINDLE_WRITE_KEY: KEY,
        ...(controlUrl === undefined ? {} : { DATABASE_URL: controlUrl }),
      },
      ['--port', '0', '--role', 'ingest'],
    );
    children.push(child);
    return child;
  };
  const auth = basicAuth(KEY);
  const http = async (servers: readonly ChildServer[], seconds: number): Promise<ClickHouseIngestRun> => {
    // A round robin of connections: each server gets its share of the keep-alive connections.
    const per = Math.ceil(o.connections / servers.length);
    const agents = servers.map(() => new Agent({ connections: per, pipelining: 1 }));
    try {
      return await load(
        batches,
        seconds,
        o.connections,
        async (b, w) => {
          const at = w % servers.length;
          const res = await request(`${(servers[at] as ChildServer).url}/v1/batch`, {
            method: 'POST',
            dispatcher: agents[at],
            headers: { 'content-type': 'application/json', authorization: auth },
            body: bodies[b],
          });
          await res.body.dump();
          if (res.statusCode !== 200) throw new Error(`batch ${b}: HTTP ${res.statusCode}`);
        },
        { front: front.child.pid, serve: servers.map((x) => x.child.pid) },
      );
    } finally {
      for (const a of agents) await a.close();
    }
  };
  try {
    o.log('    baseline: ClickHouseDb.insert of the same rows into events…');
    const base = await prepare('bench_direct');
    const rowsOf = (b: number) =>
      processBatch(messagesOf(b), { receivedAt: Date.now(), source: 'http' }).events.map(eventRowOf);
    // The rows are made before the clock starts, as the bodies are.
    const rows = Array.from({ length: batches }, (_, b) => rowsOf(b));
    const direct = await ClickHouseDb.open(target('bench_direct'));
    const baseline = await load(
      batches,
      o.seconds,
      o.connections,
      async (b) => {
        const r = rows[b] ?? [];
        const ids = r.map((x) => String(x['message_id']));
        await direct.insert('events', r, { dedupToken: dedupToken('events', ids) });
      },
      { front: front.child.pid, serve: [] },
    );
    if ((await countEvents(direct)) !== baseline.events) throw new Error('baseline: events missing');
    await direct.close();
    await base.close();
    rows.length = 0;
    o.log(`    ${Math.round(baseline.eventsPerSecond)} events/s`);

    o.log('    one rekindle serve process…');
    await nextFront('one');
    const wh1 = await prepare('bench_one');
    const one = await http([await serveOn('bench_one', 0)], o.seconds);
    if ((await countEvents(wh1.db)) !== one.events) throw new Error('one process: events missing or doubled');
    await wh1.close();
    o.log(`    ${Math.round(one.eventsPerSecond)} events/s`);
    for (const c of children.splice(0)) {
      c.child.kill('SIGTERM');
      await c.exited;
    }

    o.log('    two rekindle serve processes, connections round robin…');
    await nextFront('two');
    const wh2 = await prepare('bench_two');
    const pair = await Promise.all([serveOn('bench_two', 0), serveOn('bench_two', 1)]);
    const two = await http(pair, o.seconds);
    if ((await countEvents(wh2.db)) !== two.events)
      throw new Error('two processes: events missing or doubled');
    await wh2.close();
    o.log(`    ${Math.round(two.eventsPerSecond)} events/s`);
    return {
      connections: o.connections,
      baseline,
      one,
      two,
      ratio: two.eventsPerSecond / one.eventsPerSecond,
      control: controlUrl === undefined ? 'PGlite per process' : 'PostgreSQL',
    };
  } finally {
    for (const c of children) {
      c.child.kill('SIGTERM');
      await c.exited;
    }
    front.child.kill('SIGTERM');
    await new Promise((r) => front.child.once('exit', r));
    if (controlUrl !== undefined) {
      const admin = await openSqlClient({ databaseUrl: o.postgresUrl, pgliteDir: '' }).catch(() => undefined);
      await admin?.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      await admin?.close();
    }
    rmSync(dir, { recursive: true, force: true });
  }
};

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export const clickhouseIngestRows = (r: ClickHouseIngestBenchResult): string[] => {
  const shared = `2 cores shared by the one chDB front, the Rekindle process(es) and the load generator (the front is the bottleneck when its CPU nears 2 cores); control plane ${r.control}`;
  const cores = (x: ClickHouseIngestRun) =>
    Number.isNaN(x.frontCores)
      ? ''
      : `; CPU: front ${x.frontCores.toFixed(2)} cores, Rekindle ${x.serveCores.toFixed(2)}`;
  const run = (x: ClickHouseIngestRun) =>
    `**${fmt(x.eventsPerSecond)} events/s** (${fmt(x.events)} events in ${x.seconds.toFixed(0)} s; p50 ${x.p50ms.toFixed(0)} ms, p99 ${x.p99ms.toFixed(0)} ms per batch${cores(x)})`;
  const base = `\`ClickHouseDb.insert\` of the same rows into \`events\`, batches of 100, ${r.connections} at once: ${fmt(r.baseline.eventsPerSecond)} events/s (${fmt(r.baseline.events)} events${cores(r.baseline)})`;
  return [
    `| ClickHouse ingestion over HTTP, ONE \`rekindle serve\` (ingest role) → chDB behind \`rekindle clickhouse-dev-server\` (batches of 100, ${r.connections} connections, 200 only after the inserts; ${shared}) | ${fmt(r.one.events)} events | ${run(r.one)} | ${base} | ${(r.one.eventsPerSecond / r.baseline.eventsPerSecond).toFixed(2)}× | — |`,
    `| ClickHouse ingestion over HTTP, TWO \`rekindle serve\` processes, connections round robin (same load; ${shared}) | ${fmt(r.two.events)} events | ${run(r.two)} | one process, same run: ${fmt(r.one.eventsPerSecond)} events/s | **${r.ratio.toFixed(2)}×** | two ≥ 1.6× one |`,
  ];
};
