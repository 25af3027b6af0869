import { Worker } from 'node:worker_threads';
import { loadConfig } from '../src/config.ts';
import type { OutgoingMessage } from '../src/core/delivery/message.ts';
import { webhookAdapter } from '../src/delivery/adapters/webhook.ts';
import { startDeliveryWorker } from '../src/delivery/worker.ts';
import { OUTBOX_COLUMNS } from '../src/storage/control/outbox.ts';
import { openRuntime } from '../src/runtime.ts';
import { insertCampaign } from '../src/storage/control/campaigns.ts';
import { csvRow } from '../src/storage/control/sql-client.ts';

export interface DeliveryBench {
  messages: number;
  workerPerSecond: number;
  workerSeconds: number;
  barePerSecond: number;
  bareSeconds: number;
  duplicates: number;
  concurrency: number;
  engine: 'PGlite' | 'PostgreSQL';
}

// The vendor runs on its own thread, as a real provider runs elsewhere: its HTTP server does not
// share the event loop of the code under test (nor of the bare loop it is compared with).
const VENDOR_THREAD = `
const { createServer } = require('node:http');
const { parentPort } = require('node:worker_threads');
const seen = new Set();
let requests = 0;
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    requests++;
    seen.add(String(req.headers['idempotency-key']));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"id":"x"}');
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (m) => {
  if (m === 'count') parentPort.postMessage({ requests, unique: seen.size });
  if (m === 'close') server.close(() => process.exit(0));
});
`;

/** A vendor API on loopback that answers 200 at once and counts requests and distinct keys. */
const fakeVendor = async () => {
  const worker = new Worker(VENDOR_THREAD, { eval: true });
  const next = () => new Promise<Record<string, number>>((r) => worker.once('message', r));
  const { port } = await next();
  const counts = async () => {
    const reply = next();
    worker.postMessage('count');
    return reply;
  };
  return {
    url: `http://127.0.0.1:${port}/send`,
    requests: async () => (await counts())['requests'] ?? 0,
    close: async () => {
      worker.postMessage('close');
      await new Promise((r) => worker.once('exit', r));
    },
  };
};

/**
 * 100 000 messages through the delivery workers (claim under a lease, compose, send with the
 * idempotency key, record status + message log; PGlite) to a loopback vendor, beside a bare
 * HTTP loop over the same adapter, concurrency and vendor with no database at all.
 */
export const benchDelivery = async (
  dir: string,
  n: number,
  log: (s: string) => void,
  o: { postgresUrl?: string } = {},
): Promise<DeliveryBench> => {
  const loops = 2;
  const perLoop = 64;
  const concurrency = loops * perLoop;
  const vendor = await fakeVendor();

  const adapter = webhookAdapter({ providerId: 'bare', channel: 'webhook', url: vendor.url, secret: 's' });
  const message = (i: number): OutgoingMessage => ({
    idempotencyKey: `bare:${i}`,
    workspaceId: 'default',
    campaignId: 'cmp_bench',
    runId: 'run1',
    step: 'main',
    variant: null,
    channel: 'webhook',
    class: 'marketing',
    recipient: { userId: `u${i}` },
    content: { channel: 'webhook', url: vendor.url, body: `{"user": "u${i}"}` },
  });
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await adapter.send(message(next++), new AbortController().signal);
    }),
  );
  const bareSeconds = (performance.now() - t0) / 1000;
  await adapter.close();
  log(`    bare HTTP loop: ${Math.round(n / bareSeconds)} msgs/s`);

  const rt = await openRuntime(
    loadConfig({}, { dataDir: dir, logLevel: 'error', databaseUrl: o.postgresUrl }),
    o.postgresUrl ? { controlSchema: `bench_delivery_${process.pid}` } : {},
  );
  const owner = await rt.control.query<{ id: string }>(
    `INSERT INTO users (workspace_id, name, role) VALUES ('default', 'bench-owner', 'operator') RETURNING id`,
  );
  await insertCampaign(rt.control, {
    id: 'cmp_bench',
    workspaceId: 'default',
    name: 'delivery bench',
    ownerId: Number(owner[0]?.id),
    at: Date.now(),
    definition: {
      audienceId: 'aud',
      class: 'marketing',
      timing: { kind: 'one_off', at: new Date().toISOString() },
      channels: ['webhook'],
      content: [{ channel: 'webhook', url: vendor.url, body: '{"user": {{ user.user_id | json }}}' }],
      priority: 50,
      category: 'recall',
      variants: [],
      holdoutShare: 0,
      outsideWindow: 'hold',
    },
  });
  const at = new Date(Date.now() - 60_000).toISOString();
  let csv = '';
  for (let i = 0; i < n; i++)
    csv += csvRow([
      `cmp_bench:run1:main:u${i}`,
      'default',
      'cmp_bench',
      'run1',
      'main',
      `u${i}`,
      'webhook',
      'marketing',
      null,
      at,
      5,
      at,
    ]);
  await rt.control.copyCsv('outbox', OUTBOX_COLUMNS, csv);
  const before = await vendor.requests();
  const handle = {
    id: 'vendor',
    channel: 'webhook' as const,
    ratePerSecond: 0,
    priority: 0,
    adapter: webhookAdapter({ providerId: 'vendor', channel: 'webhook', url: vendor.url, secret: 's' }),
  };
  const t1 = performance.now();
  const worker = startDeliveryWorker(
    rt,
    { providersFor: async () => [handle] },
    {
      loops,
      concurrency: perLoop,
      batchSize: 2000,
      idleMs: 10,
    },
  );
  while (worker.stats.sent + worker.stats.dead < n) await new Promise((r) => setTimeout(r, 20));
  const workerSeconds = (performance.now() - t1) / 1000;
  await worker.stop();
  await handle.adapter.close();
  const sent = await rt.control.query<{ n: string }>(
    `SELECT count(*) AS n FROM outbox WHERE status = 'sent'`,
  );
  if (Number(sent[0]?.n) !== n) throw new Error(`expected ${n} sent, found ${sent[0]?.n}`);
  const duplicates = (await vendor.requests()) - before - n;
  await rt.close();
  await vendor.close();
  log(`    delivery workers: ${Math.round(n / workerSeconds)} msgs/s`);
  return {
    messages: n,
    workerSeconds,
    workerPerSecond: n / workerSeconds,
    bareSeconds,
    barePerSecond: n / bareSeconds,
    duplicates,
    concurrency,
    engine: o.postgresUrl ? 'PostgreSQL' : 'PGlite',
  };
};

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

export const deliveryBenchRows = (r: DeliveryBench): string[] => [
  `| Delivery: outbox → webhook provider on loopback (\`startDeliveryWorker\`: claim under a lease, compose, send with \`Idempotency-Key\` + signature, waves of up to 64 marked started before their calls, status and message log written as each wave ends; control plane on ${r.engine}; ${r.concurrency} in flight; the fake vendor on its own thread) | ${fmt(r.messages)} messages | **${fmt(r.workerPerSecond)} msgs/s** (${r.workerSeconds.toFixed(1)} s, ${r.duplicates} duplicate calls) | bare HTTP loop, same adapter, concurrency and fake vendor, no database: ${fmt(r.barePerSecond)} msgs/s | ${(r.barePerSecond / r.workerPerSecond).toFixed(2)}× | ≥ 5,000 msgs/s |`,
];
