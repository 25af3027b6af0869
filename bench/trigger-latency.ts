import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openSqlClient } from '../src/storage/control/sql-client.ts';
import { Warehouse } from '../src/storage/warehouse/warehouse.ts';
import { startChildServer } from '../test/support/child-server.ts';
import { basicAuth } from '../test/support/runtime.ts';

const KEY = 'rk_bench_trigger_key';
const BIN = join(process.cwd(), 'bin', 'rekindle.js');

export interface TriggerLatencyBench {
  events: number;
  planned: number;
  p50ms: number;
  p99ms: number;
  maxMs: number;
  /** Baseline: acknowledging the same events over HTTP (200 = committed), per batch. */
  ackP50ms: number;
  ackP99ms: number;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;

/**
 * Triggered campaigns: a `rekindle serve` process with an approved "order paid" campaign, and
 * events sent in small batches at a steady rate. Latency per event = the outbox row's creation
 * minus the event's arrival (both on the server's clock), read from the stores after the run.
 */
export const benchTriggerLatency = async (
  dataDir: string,
  events = 1000,
  perBatch = 10,
): Promise<TriggerLatencyBench> => {
  rmSync(dataDir, { recursive: true, force: true });
  const cli = (...args: string[]) =>
    execFileSync(process.execPath, [BIN, ...args], {
      env: { ...process.env, REKINDLE_DATA_DIR: dataDir, LOG_LEVEL: 'error' },
      encoding: 'utf8',
    }).trim();
  const op = cli('users', 'create', 'olga', '--role', 'operator').split('\n').pop() ?? '';
  const rev = cli('users', 'create', 'rita', '--role', 'reviewer').split('\n').pop() ?? '';
  const server = await startChildServer({
    REKINDLE_DATA_DIR: dataDir,
    REKINDLE_WRITE_KEY: KEY,
    REKINDLE_TRIGGER_POLL_MS: '250',
    REKINDLE_SCORE_EVERY_MINUTES: '0',
  });
  const acks: number[] = [];
  try {
    const api = async (token: string, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const json = (await res.json()) as Record<string, unknown>;
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const track = async (batch: unknown[]) => {
      const res = await fetch(`${server.url}/v1/batch`, {
        method: 'POST',
        headers: { authorization: basicAuth(KEY), 'content-type': 'application/json' },
        body: JSON.stringify({ batch }),
      });
      if (res.status !== 200) throw new Error(`batch: ${res.status}`);
      await res.arrayBuffer();
    };
    const users = Array.from({ length: events }, (_, i) => `buyer${i}`);
    for (let i = 0; i < users.length; i += 500)
      await track(
        users.slice(i, i + 500).map((u) => ({
          type: 'identify',
          userId: u,
          traits: { push_token: `tok-${u}`, timezone: 'Asia/Shanghai', acquisition_channel: 'organic' },
        })),
      );
    const aud = await api(op, 'POST', '/v1/audiences', {
      name: 'Buyers with the app',
      definition: { kind: 'attribute', attribute: 'push_token', op: 'exists' },
    });
    const c = await api(op, 'POST', '/v1/campaigns', {
      name: 'Thanks for your order',
      definition: {
        audienceId: aud['id'],
        class: 'transactional',
        timing: { kind: 'triggered', event: 'order_paid', delayMinutes: 0 },
        channels: ['push'],
        content: [
          {
            channel: 'push',
            title: '订单已支付',
            body: '我们正在为您备货',
            landingUrl: 'https://example.com/o',
          },
        ],
        holdoutShare: 0,
      },
    });
    await api(op, 'POST', `/v1/campaigns/${String(c['id'])}/submit`, {});
    await api(rev, 'POST', `/v1/campaigns/${String(c['id'])}/review`, { decision: 'approve', version: 1 });
    await new Promise((r) => setTimeout(r, 500));

    for (let i = 0; i < users.length; i += perBatch) {
      const t = performance.now();
      await track(
        users.slice(i, i + perBatch).map((u, k) => ({
          type: 'track',
          userId: u,
          event: 'order_paid',
          messageId: `paid-${i + k}`,
          properties: { order_id: `o-${i + k}`, amount: 99 },
        })),
      );
      acks.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 20)); // a steady stream, not one burst
    }
    // Let the last look finish.
    await new Promise((r) => setTimeout(r, 1500));
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  const control = await openSqlClient({ pgliteDir: join(dataDir, 'control') });
  const planned = await control.query<{ user_id: string; created_at: Date }>(
    'SELECT user_id, created_at FROM outbox',
  );
  await control.close();
  const wh = await Warehouse.open(join(dataDir, 'warehouse.duckdb'));
  const arrived = await wh.query<{ user_id: string; received_at: Date }>(
    `SELECT user_id, received_at FROM events WHERE event = 'order_paid'`,
  );
  wh.close();
  const arrival = new Map(arrived.map((r) => [r.user_id, r.received_at.getTime()]));
  const latencies = planned
    .map((p) => new Date(p.created_at).getTime() - (arrival.get(p.user_id) ?? Number.NaN))
    .filter((x) => Number.isFinite(x))
    .sort((x, y) => x - y);
  const sortedAcks = [...acks].sort((x, y) => x - y);
  return {
    events,
    planned: planned.length,
    p50ms: percentile(latencies, 0.5),
    p99ms: percentile(latencies, 0.99),
    maxMs: latencies.at(-1) ?? Number.NaN,
    ackP50ms: percentile(sortedAcks, 0.5),
    ackP99ms: percentile(sortedAcks, 0.99),
  };
};

export const triggerBenchRows = (r: TriggerLatencyBench): string[] => [
  `| Triggered campaign latency: event arrival → message in the outbox (\`rekindle serve\`, "order paid" campaign, batches of 10 every ~20 ms) | ${r.events.toLocaleString('en-US')} events, ${r.planned.toLocaleString('en-US')} planned | **p99 ${Math.round(r.p99ms)} ms** (p50 ${Math.round(r.p50ms)} ms, max ${Math.round(r.maxMs)} ms) | acknowledging the same batches over HTTP (durable): p50 ${r.ackP50ms.toFixed(1)} ms, p99 ${r.ackP99ms.toFixed(1)} ms | — | p99 < 1 s |`,
];

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await benchTriggerLatency(
    join(process.cwd(), 'data', 'bench', 'trigger'),
    Number(process.env['BENCH_EVENTS'] ?? 1000),
  );
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
}
