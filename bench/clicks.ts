import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Pool } from 'undici';
import { linkCode } from '../src/core/tracking/link-code.ts';
import { migrate } from '../src/storage/control/migrate.ts';
import { saveShortLinks } from '../src/storage/control/short-links.ts';
import { csvRow, openSqlClient } from '../src/storage/control/sql-client.ts';
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
}

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
  return { url, stop: () => child.kill('SIGKILL') };
};

/**
 * Short-link redirects on `rekindle serve` (its own process, PGlite control plane as by default):
 * `messages` planned messages with one link each, every link clicked `clicksPerLink` times in a
 * shuffled order by `connections` concurrent clients; each redirect is answered only after its
 * click is stored. Beside it, the same clients against a bare Fastify 302 in its own process.
 */
export const benchClicks = async (
  dataDir: string,
  options: { messages?: number; clicksPerLink?: number; connections?: number } = {},
): Promise<ClickBench> => {
  const messages = options.messages ?? 5000;
  const perLink = options.clicksPerLink ?? 2;
  const connections = options.connections ?? 32;
  rmSync(dataDir, { recursive: true, force: true });
  const db = await openSqlClient({ pgliteDir: join(dataDir, 'control') });
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
  try {
    bareResult = await load(bare.url, paths, connections);
  } finally {
    bare.stop();
  }

  const server = await startChildServer({
    REKINDLE_DATA_DIR: dataDir,
    REKINDLE_SCORE_EVERY_MINUTES: '0',
    REKINDLE_PLANNER_POLL_SECONDS: '0',
    REKINDLE_ATTRIBUTE_EVERY_MINUTES: '0',
    REKINDLE_FACT_SHIP_MS: '0',
  });
  let ours;
  try {
    // Unknown codes answer 404; a few warm the server's code paths before measuring.
    for (const p of warm.slice(0, 20)) await (await fetch(`${server.url}${p}`)).arrayBuffer();
    ours = await load(server.url, paths, connections);
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  const check = await openSqlClient({ pgliteDir: join(dataDir, 'control') });
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
  return {
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

export const clickBenchRows = (r: ClickBench): string[] => [
  `| Short-link click → 302 (\`GET /l/:code\`, \`rekindle serve\` on PGlite; lookup + click stored + first click logged before the answer), ${r.connections} concurrent clients | ${r.clicks.toLocaleString('en-US')} clicks on ${(r.clicks / 2).toLocaleString('en-US')} links | **p50 ${r.p50ms.toFixed(1)} ms, p99 ${r.p99ms.toFixed(1)} ms** (${Math.round(r.clicksPerSecond).toLocaleString('en-US')} clicks/s) | bare Fastify route answering 302 with no lookup, same clients: p50 ${r.bareP50ms.toFixed(1)} ms, p99 ${r.bareP99ms.toFixed(1)} ms (${Math.round(r.bareClicksPerSecond).toLocaleString('en-US')} /s) | ${(r.p50ms / r.bareP50ms).toFixed(1)}× (p50) | p99 < 100 ms |`,
];

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await benchClicks(join(process.cwd(), 'data', 'bench', 'clicks'), {
    messages: Number(process.env['BENCH_MESSAGES'] ?? 5000),
  });
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
}
