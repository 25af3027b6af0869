import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Pool } from 'undici';
import { linkCode } from '../src/core/tracking/link-code.ts';
import { DEFAULT_POSTGRES_URL } from './audiences.ts';
import { migrate } from '../src/storage/control/migrate.ts';
import { saveShortLinks } from '../src/storage/control/short-links.ts';
import { csvRow, openSqlClient, type SqlClient } from '../src/storage/control/sql-client.ts';
import { bindMasterKeys, workspaceSecret } from '../src/storage/control/workspace-secrets.ts';
import { loadMasterKeys } from '../src/lib/secret-box.ts';
import { startChildServer } from '../test/support/child-server.ts';

export interface ClickBench {
  clicks: number;
  connections: number;
  p50ms: number;
  p99ms: number;
  clicksPerSecond: number;
  stored: number;
  /** Baseline: a bare Fastify route answering 302 with no lookup, same clients, same run. */
  bareP50ms: number;
  bareP99ms: number;
  bareClicksPerSecond: number;
  /**
   * The server process's CPU time per click during the load (user + system, from /proc), and the
   * bare route's: a figure a busy machine disturbs less than latency and throughput.
   */
  cpuUsPerClick: number;
  bareCpuUsPerClick: number;
  /** The control plane: PGlite (the embedded default) or PostgreSQL. */
  control: 'pglite' | 'postgres';
  /** The same server killed with SIGKILL in the middle of a second load, then restarted. */
  kill: KillResult;
  /** The same benchmark with the control plane on PostgreSQL (when a server answers). */
  postgres?: ClickBench | { error: string };
}

export interface KillResult {
  /** Clicks sent (each link once) before the kill stopped the load. */
  sent: number;
  /** Answered 302 before the kill. */
  acknowledged: number;
  /** Acknowledged clicks found exactly once after the restart. */
  foundOnce: number;
  /** Acknowledged clicks missing after the restart. */
  lost: number;
  /** Links with more than one stored click (each was clicked once). */
  doubled: number;
  /** Unanswered when the server died, and of those stored (journaled before the kill, not yet answered). */
  inFlight: number;
  inFlightStored: number;
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); NaN elsewhere. */
const cpuSeconds = (pid: number | undefined): number => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
};

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;

/** `paths` requested over `connections` keep-alive connections; the latency of each. */
const load = async (base: string, paths: readonly string[], connections: number) => {
  const pool = new Pool(base, { connections, pipelining: 1 });
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < paths.length) {
      const path = paths[next++] ?? '/';
      const t = performance.now();
      const res = await pool.request({
        method: 'GET',
        path,
        headers: { 'user-agent': 'MicroMessenger/8.0' },
      });
      await res.body.dump();
      if (res.statusCode !== 302) throw new Error(`${path}: ${res.statusCode}`);
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    perSecond: paths.length / seconds,
  };
};

const BARE = `
import Fastify from 'fastify';
const app = Fastify({ logger: false });
app.get('/l/:code', async (_req, reply) => reply.code(302).header('location', 'https://shop.example.com/back').send());
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write('listening on ' + address + '\\n');
`;

const startBare = async () => {
  const child = spawn(process.execPath, ['--input-type=module', '-e', BARE], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`bare server exited with ${code}`)));
  });
  return { url, pid: child.pid, stop: () => child.kill('SIGKILL') };
};

/**
 * Durability across kill -9: every link clicked once by `connections` clients; the server is
 * SIGKILLed once `killAfter` clicks were answered, restarted (the journal is stored before it
 * listens) and killed again; then each acknowledged click must be stored exactly once.
 */
const killDuring = async (
  env: Record<string, string>,
  codes: readonly string[],
  connections: number,
  killAfter: number,
  openControl: () => Promise<SqlClient>,
): Promise<KillResult> => {
  const before = await openControl();
  // A clean slate: the clicks of the measured load are not this phase's.
  await before.exec('DELETE FROM link_clicks; DELETE FROM message_first_clicks; DELETE FROM message_log');
  await before.close();
  const server = await startChildServer(env);
  const pool = new Pool(server.url, { connections, pipelining: 1 });
  const answered = new Set<string>();
  const sent = new Set<string>();
  let next = 0;
  let killed = false;
  const worker = async () => {
    while (!killed && next < codes.length) {
      const code = codes[next++] ?? '';
      sent.add(code);
      try {
        const res = await pool.request({ method: 'GET', path: `/l/${code}` });
        await res.body.dump();
        if (res.statusCode !== 302) throw new Error(`/l/${code}: ${res.statusCode}`);
        answered.add(code);
        if (answered.size >= killAfter && !killed) {
          killed = true;
          server.child.kill('SIGKILL');
        }
      } catch (e) {
        if (!killed) throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  await server.exited;
  await pool.destroy();
  const again = await startChildServer(env);
  again.child.kill('SIGKILL');
  await again.exited;
  const check = await openControl();
  const rows = await check.query<{ code: string; n: number }>(
    'SELECT code, count(*)::int AS n FROM link_clicks GROUP BY code',
  );
  await check.close();
  const stored = new Map(rows.map((r) => [r.code, r.n]));
  const acked = [...answered];
  const unanswered = [...sent].filter((c) => !answered.has(c));
  return {
    sent: sent.size,
    acknowledged: acked.length,
    foundOnce: acked.filter((c) => stored.get(c) === 1).length,
    lost: acked.filter((c) => !stored.has(c)).length,
    doubled: rows.filter((r) => r.n > 1).length,
    inFlight: unanswered.length,
    inFlightStored: unanswered.filter((c) => stored.has(c)).length,
  };
};

/**
 * Short-link redirects on `rekindle serve` (its own process, PGlite control plane as by default):
 * `messages` planned messages with one link each, every link clicked `clicksPerLink` times in a
 * shuffled order by `connections` concurrent clients; each redirect is answered only after its
 * click is stored. Beside it, the same clients against a bare Fastify 302 in its own process.
 */
const benchClicksOn = async (
  dataDir: string,
  options: {
    messages?: number;
    clicksPerLink?: number;
    connections?: number;
    /** A PostgreSQL server for the control plane (a schema of its own, dropped after); else PGlite. */
    postgresUrl?: string;
  } = {},
): Promise<ClickBench> => {
  const messages = options.messages ?? 5000;
  const perLink = options.clicksPerLink ?? 2;
  const connections = options.connections ?? 32;
  rmSync(dataDir, { recursive: true, force: true });
  const schema = `bench_clicks_${process.pid}`;
  const pgUrl = options.postgresUrl;
  const openControl = () =>
    pgUrl
      ? openSqlClient({ databaseUrl: pgUrl, pgliteDir: '', schema })
      : openSqlClient({ pgliteDir: join(dataDir, 'control') });
  const controlEnv: Record<string, string> = {};
  if (pgUrl) {
    const url = new URL(pgUrl);
    url.searchParams.set('options', `-c search_path=${schema}`);
    controlEnv['DATABASE_URL'] = url.toString();
    const admin = await openControl();
    await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
    await admin.close();
  }
  const db = await openControl();
  await migrate(db);
  // The server started below seals and opens workspace secrets with this data directory's key.
  bindMasterKeys(db, loadMasterKeys(process.env, dataDir));
  const secret = await workspaceSecret(db, 'default', 'tracking');
  const at = new Date(Date.UTC(2026, 10, 1)).toISOString();
  const keys = Array.from({ length: messages }, (_, i) => `bench:r1:0:user${i}`);
  await db.copyCsv(
    'outbox',
    [
      'idempotency_key',
      'workspace_id',
      'campaign_id',
      'run_id',
      'step',
      'user_id',
      'channel',
      'class',
      'send_at',
      'cost_cents',
      'status',
      'created_at',
    ],
    keys
      .map((k, i) =>
        csvRow([k, 'default', 'bench', 'r1', '0', `user${i}`, 'sms', 'marketing', at, 5, 'sent', at]),
      )
      .join(''),
  );
  const codes = keys.map((k) => linkCode(secret, k, 0));
  await saveShortLinks(
    db,
    keys.map((k, i) => ({
      code: codes[i] ?? '',
      workspaceId: 'default',
      idempotencyKey: k,
      url: `https://shop.example.com/back?m=${i}`,
    })),
    Date.parse(at),
  );
  await db.close();

  const paths: string[] = [];
  for (let r = 0; r < perLink; r++) for (const c of codes) paths.push(`/l/${c}`);
  // A fixed shuffle: first and repeat clicks interleave as they would in real traffic.
  let seed = 7;
  for (let i = paths.length - 1; i > 0; i--) {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = seed % (i + 1);
    [paths[i], paths[j]] = [paths[j] ?? '', paths[i] ?? ''];
  }
  const warm = paths.slice(0, 200).map(() => '/l/AAAAAAAAAAAA');

  const bare = await startBare();
  let bareResult;
  let bareCpu = Number.NaN;
  let oursCpu = Number.NaN;
  try {
    const cpu = cpuSeconds(bare.pid);
    bareResult = await load(bare.url, paths, connections);
    bareCpu = cpuSeconds(bare.pid) - cpu;
  } finally {
    bare.stop();
  }

  const env = {
    ...controlEnv,
    REKINDLE_DATA_DIR: dataDir,
    REKINDLE_SCORE_EVERY_MINUTES: '0',
    REKINDLE_PLANNER_POLL_SECONDS: '0',
    REKINDLE_ATTRIBUTE_EVERY_MINUTES: '0',
    REKINDLE_FACT_SHIP_MS: '0',
  };
  const server = await startChildServer(env);
  let ours;
  try {
    // Unknown codes answer 404; a few warm the server's code paths before measuring.
    for (const p of warm.slice(0, 20)) await (await fetch(`${server.url}${p}`)).arrayBuffer();
    const cpu = cpuSeconds(server.child.pid);
    ours = await load(server.url, paths, connections);
    oursCpu = cpuSeconds(server.child.pid) - cpu;
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  const check = await openControl();
  const stored = Number(
    (await check.query<{ n: number }>('SELECT count(*)::int AS n FROM link_clicks'))[0]?.n ?? 0,
  );
  const firsts = Number(
    (await check.query<{ n: number }>("SELECT count(*)::int AS n FROM message_log WHERE kind = 'clicked'"))[0]
      ?.n ?? 0,
  );
  await check.close();
  if (stored !== paths.length) throw new Error(`stored ${stored} of ${paths.length} clicks`);
  if (firsts !== messages) throw new Error(`logged ${firsts} first clicks for ${messages} messages`);
  // Each link once, in the shuffled order of the measured load's first half; killed halfway.
  const once = paths.slice(0, codes.length).map((p) => p.slice('/l/'.length));
  const unique = [...new Set(once)];
  const kill = await killDuring(env, unique, connections, Math.floor(unique.length / 2), openControl);
  if (pgUrl) {
    const admin = await openControl();
    await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.close();
  }
  return {
    control: pgUrl ? 'postgres' : 'pglite',
    cpuUsPerClick: (oursCpu / paths.length) * 1e6,
    bareCpuUsPerClick: (bareCpu / paths.length) * 1e6,
    kill,
    clicks: paths.length,
    connections,
    p50ms: ours.p50,
    p99ms: ours.p99,
    clicksPerSecond: ours.perSecond,
    stored,
    bareP50ms: bareResult.p50,
    bareP99ms: bareResult.p99,
    bareClicksPerSecond: bareResult.perSecond,
  };
};

/**
 * The click benchmark on the embedded default (PGlite), then on PostgreSQL
 * (`BENCH_POSTGRES_URL`, else the local server) when one answers.
 */
export const benchClicks = async (
  dataDir: string,
  options: { messages?: number; clicksPerLink?: number; connections?: number; postgresUrl?: string } = {},
): Promise<ClickBench> => {
  const embedded = await benchClicksOn(dataDir, { ...options, postgresUrl: undefined });
  const pgUrl = options.postgresUrl ?? process.env['BENCH_POSTGRES_URL'] ?? DEFAULT_POSTGRES_URL;
  try {
    return {
      ...embedded,
      postgres: await benchClicksOn(`${dataDir}-pg`, { ...options, postgresUrl: pgUrl }),
    };
  } catch (e) {
    return { ...embedded, postgres: { error: e instanceof Error ? e.message : String(e) } };
  }
};

const CONTROL = { pglite: 'PGlite', postgres: 'PostgreSQL' } as const;

const rowsOf = (r: ClickBench): string[] => {
  const k = r.kill;
  const on = CONTROL[r.control];
  return [
    `| Short-link click → 302 (\`GET /l/:code\`, \`rekindle serve\` on ${on}; link lookup, then the click written to the local journal with its group's \`fdatasync\` before the answer; stored in the control plane in batches, first click logged), ${r.connections} concurrent clients | ${r.clicks.toLocaleString('en-US')} clicks on ${(r.clicks / 2).toLocaleString('en-US')} links | **p50 ${r.p50ms.toFixed(1)} ms, p99 ${r.p99ms.toFixed(1)} ms, ${Math.round(r.clicksPerSecond).toLocaleString('en-US')} clicks/s** (server CPU ${Math.round(r.cpuUsPerClick)} µs per click) | bare Fastify route answering 302 with no lookup, same clients: p50 ${r.bareP50ms.toFixed(1)} ms, p99 ${r.bareP99ms.toFixed(1)} ms, ${Math.round(r.bareClicksPerSecond).toLocaleString('en-US')} /s (CPU ${Math.round(r.bareCpuUsPerClick)} µs per click) | ${(r.p50ms / r.bareP50ms).toFixed(1)}× (p50), ${(r.clicksPerSecond / r.bareClicksPerSecond).toFixed(2)}× (clicks/s) | p50 ≤ 3 ms, ≥ 10,000 clicks/s |`,
    `| Short-link clicks across kill -9 (\`rekindle serve\` on ${on}, ${r.connections} clients, each link clicked once; SIGKILL after ${k.acknowledged.toLocaleString('en-US')} answers, restart, count) | ${k.sent.toLocaleString('en-US')} clicks sent before the kill | **${k.acknowledged.toLocaleString('en-US')} acknowledged, ${k.foundOnce.toLocaleString('en-US')} found once after the restart: ${k.lost} lost, ${k.doubled} doubled** (${k.inFlight} unanswered when killed, ${k.inFlightStored} of them stored) | — | — | 0 lost, 0 doubled |`,
  ];
};

export const clickBenchRows = (r: ClickBench): string[] => [
  ...rowsOf(r),
  ...(r.postgres === undefined
    ? []
    : 'error' in r.postgres
      ? [
          `| Short-link click → 302 on PostgreSQL | — | not measured: ${r.postgres.error.split('\n')[0] ?? ''} | — | — | — |`,
        ]
      : rowsOf(r.postgres)),
];

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await benchClicks(join(process.cwd(), 'data', 'bench', 'clicks'), {
    messages: Number(process.env['BENCH_MESSAGES'] ?? 5000),
    ...(process.env['BENCH_PG_URL'] ? { postgresUrl: process.env['BENCH_PG_URL'] } : {}),
  });
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n${clickBenchRows(r).join('\n')}\n`);
}
