import { Agent, request } from 'undici';
import { rmSync } from 'node:fs';
import { startChildServer } from '../test/support/child-server.ts';
import { basicAuth } from '../test/support/runtime.ts';

const KEY = 'rk_bench_key';

export interface HttpIngestResult {
  events: number;
  batches: number;
  seconds: number;
  eventsPerSecond: number;
  p50ms: number;
  p99ms: number;
  storedEvents: number;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;

/**
 * Ingestion over HTTP on loopback: a separate server process (as deployed), this process as
 * the client with keep-alive connections, batches of 100, every 200 counted only after commit.
 */
export const benchHttpIngest = async (
  dataDir: string,
  batches: number,
  concurrency = 16,
): Promise<HttpIngestResult> => {
  rmSync(dataDir, { recursive: true, force: true });
  const server = await startChildServer({ REKINDLE_DATA_DIR: dataDir, REKINDLE_WRITE_KEY: KEY });
  const now = Date.now();
  const makeBody = (b: number) =>
    JSON.stringify({
      batch: Array.from({ length: 100 }, (_, i) => ({
        type: 'track',
        userId: `u${(b * 7919 + i * 104729) % 1_000_000}`,
        event: i % 10 === 0 ? 'order' : 'view_item',
        messageId: `bench-${b}-${i}`,
        timestamp: new Date(now - i * 1000).toISOString(),
        properties: {
          product_id: `p${i % 500}`,
          category: 'tea',
          amount: i % 10 === 0 ? 88.5 : undefined,
          page: 'detail',
        },
        context: { device: { type: 'ios' } },
      })),
    });
  const dispatcher = new Agent({ connections: concurrency, pipelining: 1 });
  const auth = basicAuth(KEY);
  const latencies: number[] = [];
  // Bodies are serialised before the clock starts: the client's JSON work is not the server's cost.
  const bodies = Array.from({ length: batches }, (_, b) => makeBody(b));
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    for (;;) {
      const b = next++;
      if (b >= batches) return;
      const body = bodies[b];
      const t = performance.now();
      const res = await request(`${server.url}/v1/batch`, {
        method: 'POST',
        dispatcher,
        headers: { 'content-type': 'application/json', authorization: auth },
        body,
      });
      await res.body.dump();
      if (res.statusCode !== 200) throw new Error(`batch ${b}: HTTP ${res.statusCode}`);
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  await dispatcher.close();
  server.child.kill('SIGTERM');
  await server.exited;
  const { Warehouse } = await import('../src/storage/warehouse/warehouse.ts');
  const wh = await Warehouse.open(`${dataDir}/warehouse.duckdb`);
  const storedEvents = Number(await wh.scalar('SELECT count(*) FROM events'));
  wh.close();
  latencies.sort((a, b) => a - b);
  return {
    events: batches * 100,
    batches,
    seconds,
    eventsPerSecond: (batches * 100) / seconds,
    p50ms: percentile(latencies, 0.5),
    p99ms: percentile(latencies, 0.99),
    storedEvents,
  };
};
