import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Channel } from '../src/core/channels/channels.ts';
import type { ProviderHandle, ProviderRegistry } from '../src/core/delivery/message.ts';
import { verifyUnsubscribe } from '../src/core/tracking/unsubscribe-token.ts';
import { webhookAdapter, webhookSignature } from '../src/delivery/adapters/webhook.ts';
import { cancelPendingMessages } from '../src/outbox/cancel.ts';
import { claimDue } from '../src/outbox/claim.ts';
import { applyReceipts } from '../src/delivery/providers/receipts.ts';
import { recordOutcomes } from '../src/outbox/record.ts';
import { startDeliveryWorker, type DeliveryWorkerOptions } from '../src/delivery/worker.ts';
import { writeOutboxBatches } from '../src/outbox/batches.ts';
import { readMessageLog } from '../src/storage/control/message-log.ts';
import { findShortLink } from '../src/storage/control/short-links.ts';
import { workspaceSecret } from '../src/storage/control/workspace-secrets.ts';
import {
  approvedCampaign,
  fillOutbox,
  startFakeProvider,
  webhookContent,
  type FakeProvider,
} from './support/delivery-fixtures.ts';
import { startTestServer, type TestServer } from './support/runtime.ts';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => {
  await srv.stop();
  srv.cleanup();
});

const SECRET = 'whsec-test';
const handle = (
  id: string,
  url: string,
  channel: Channel,
  ratePerSecond = 0,
  priority = 0,
): ProviderHandle => ({
  id,
  channel,
  ratePerSecond,
  priority,
  adapter: webhookAdapter({ providerId: id, channel, url, secret: SECRET, timeoutMs: 2000 }),
});
const registryOf = (handles: ProviderHandle[]): ProviderRegistry => ({
  providersFor: async (_ws, ch) => handles.filter((h) => h.channel === ch),
});

const fastRetry: DeliveryWorkerOptions = {
  idleMs: 20,
  retry: { maxAttempts: 3, baseDelayMs: 40, maxDelayMs: 200 },
};

let campaignSeq = 0;
/** A campaign with `n` due messages on `channel`; returns its id and keys. */
const planned = async (n: number, channel: Channel = 'webhook', url = 'http://127.0.0.1:1/unused') => {
  const id = `cmp_d${++campaignSeq}`;
  await approvedCampaign(srv.rt.control, id, [
    channel === 'webhook'
      ? webhookContent(url)
      : {
          channel: 'in_app',
          title: 'Hi',
          body: 'For {{ user.user_id }}: {{ data.coupon }}',
          landingUrl: 'https://shop.example/sale',
        },
  ]);
  const keys = Array.from({ length: n }, (_, i) => `${id}:run1:main:u${i}`);
  await fillOutbox(
    srv.rt.control,
    keys.map((key, i) => ({ key, campaignId: id, userId: `u${i}`, channel, sendAt: Date.now() - 1000 })),
  );
  return { id, keys };
};

const outboxOf = (campaignId: string) =>
  srv.rt.control.query<{
    idempotency_key: string;
    status: string;
    attempts: number;
    provider_id: string | null;
    provider_message_id: string | null;
    dead_reason: string | null;
  }>(
    `SELECT idempotency_key, status, attempts, provider_id, provider_message_id, dead_reason FROM outbox
     WHERE campaign_id = $1 ORDER BY idempotency_key`,
    [campaignId],
  );

const until = async (cond: () => Promise<boolean>, ms = 30_000) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out');
};
const allFinal = (campaignId: string) => async () =>
  (await outboxOf(campaignId)).every((r) => r.status === 'sent' || r.status === 'dead');

const logOf = async (campaignId: string) =>
  (await readMessageLog(srv.rt.control, 0, 100_000)).filter((e) => e.campaignId === campaignId);

const closedPort = async (): Promise<number> => {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
};

describe('delivery workers over the outbox', () => {
  let fake: FakeProvider;
  afterAll(async () => fake?.close());

  it('a receipt that arrives before the message is recorded is kept and applied when it is', async () => {
    const { id, keys } = await planned(1);
    const key = keys[0] as string;
    const now = Date.now();
    const [claimed] = await claimDue(srv.rt.control, now, now + 60_000, 10, 'claim-early-receipt');
    expect(claimed?.idempotencyKey).toBe(key);
    // The vendor calls back while the worker still holds the message ('sending', no provider yet).
    const early = await applyReceipts(
      srv.rt.control,
      { id: 'p-fast', workspaceId: 'default' },
      [{ providerMessageId: 'vendor-1', status: 'delivered', code: null, at: now + 5 }],
      now + 5,
    );
    expect(early).toEqual({ applied: 0, duplicates: 0, unknown: ['vendor-1'] });
    if (!claimed) throw new Error('nothing claimed');
    await recordOutcomes(
      srv.rt.control,
      [
        {
          row: claimed,
          decision: { kind: 'sent', providerId: 'p-fast', providerMessageId: 'vendor-1', attempts: 1 },
        },
      ],
      now + 10,
    );
    const [row] = await outboxOf(id);
    expect(row?.status).toBe('delivered');
    expect((await logOf(id)).map((e) => e.kind)).toEqual(['sent', 'delivered']);
    expect(await srv.rt.control.query('SELECT * FROM early_receipts')).toEqual([]);
  });

  it("holds a paused campaign's messages until it resumes; cancelling dead-letters what is left", async () => {
    fake = await startFakeProvider();
    const paused = await planned(30, 'webhook', fake.url);
    const cancelled = await planned(20, 'webhook', fake.url);
    for (const id of [paused.id, cancelled.id])
      await srv.rt.control.query(`UPDATE campaigns SET status = 'paused' WHERE id = $1`, [id]);
    const worker = startDeliveryWorker(srv.rt, registryOf([handle('p1', fake.url, 'webhook')]), fastRetry);
    await worker.drained();
    expect(fake.delivered.size).toBe(0);
    expect((await outboxOf(paused.id)).every((r) => r.status === 'pending')).toBe(true);
    const stopped = await srv.rt.control.transaction((tx) =>
      cancelPendingMessages(tx, 'default', cancelled.id, Date.now()),
    );
    expect(stopped).toBe(20);
    await srv.rt.control.query(`UPDATE campaigns SET status = 'running' WHERE id = $1`, [paused.id]);
    await until(allFinal(paused.id));
    await worker.stop();
    expect(fake.delivered.size).toBe(30);
    const dead = await outboxOf(cancelled.id);
    expect(dead.every((r) => r.status === 'dead' && r.dead_reason === 'campaign_cancelled')).toBe(true);
    const log = await logOf(cancelled.id);
    expect(log.map((e) => e.kind)).toEqual(Array(20).fill('dead'));
    await fake.close();
  });

  it('holds the queued messages of a campaign an edit sent back to review, until it is approved again', async () => {
    fake = await startFakeProvider();
    const edited = await planned(12, 'webhook', fake.url);
    await srv.rt.control.query(`UPDATE campaigns SET status = 'pending_review' WHERE id = $1`, [edited.id]);
    const worker = startDeliveryWorker(srv.rt, registryOf([handle('p1', fake.url, 'webhook')]), fastRetry);
    await worker.drained();
    expect(fake.delivered.size).toBe(0);
    expect((await outboxOf(edited.id)).every((r) => r.status === 'pending')).toBe(true);
    // Rejected back to draft: still nothing goes out.
    await srv.rt.control.query(`UPDATE campaigns SET status = 'draft' WHERE id = $1`, [edited.id]);
    await worker.drained();
    expect(fake.delivered.size).toBe(0);
    await srv.rt.control.query(`UPDATE campaigns SET status = 'scheduled' WHERE id = $1`, [edited.id]);
    await until(allFinal(edited.id));
    await worker.stop();
    expect(fake.delivered.size).toBe(12);
    await fake.close();
  });

  it('never exceeds a provider at 300 msgs/s by more than 1 % in any one-second window', async () => {
    fake = await startFakeProvider();
    const { id, keys } = await planned(1200);
    const worker = startDeliveryWorker(srv.rt, registryOf([handle('p300', fake.url, 'webhook', 300)]), {
      ...fastRetry,
      batchSize: 500,
    });
    await until(allFinal(id));
    await worker.stop();
    const times = fake.seen.map((s) => s.at).sort((a, b) => a - b);
    let worst = 0;
    for (let lo = 0, hi = 0; hi < times.length; hi++) {
      while ((times[hi] as number) - (times[lo] as number) >= 1000) lo++;
      worst = Math.max(worst, hi - lo + 1);
    }
    expect(worst).toBeLessThanOrEqual(303);
    expect(fake.delivered.size).toBe(1200);
    const rows = await outboxOf(id);
    expect(rows.every((r) => r.status === 'sent' && r.attempts === 1 && r.provider_id === 'p300')).toBe(true);
    const log = await logOf(id);
    expect(
      log
        .filter((e) => e.kind === 'sent')
        .map((e) => e.idempotencyKey)
        .sort(),
    ).toEqual([...keys].sort());
    expect(log.every((e) => e.costCents === 5)).toBe(true);
    // Every call was signed over its body and carried the key.
    const one = fake.seen[0];
    expect(one?.headers['x-rekindle-signature']).toBe(webhookSignature(SECRET, JSON.stringify(one?.body)));
    // The operator's body as it is (no envelope); the message's identity is in the headers.
    expect(one?.body).toEqual({ user: one?.headers['x-rekindle-user-id'] });
    expect(one?.key.endsWith(`:${String(one?.headers['x-rekindle-user-id'])}`)).toBe(true);
  });

  it('503 then 200: delivered once, after two attempts', async () => {
    fake = await startFakeProvider((_r, n, res) => {
      if (n > 1) return false;
      res.writeHead(503, { 'retry-after': '0' });
      res.end();
      return true;
    });
    const { id } = await planned(20);
    const worker = startDeliveryWorker(srv.rt, registryOf([handle('p1', fake.url, 'webhook')]), fastRetry);
    await until(allFinal(id));
    await worker.stop();
    const rows = await outboxOf(id);
    expect(rows.map((r) => [r.status, r.attempts])).toEqual(rows.map(() => ['sent', 2]));
    expect(fake.seen.length).toBe(40);
    expect(fake.delivered.size).toBe(20);
    expect((await logOf(id)).filter((e) => e.kind === 'sent')).toHaveLength(20);
  });

  it('expands batches committed by a large slot as they come due, and sends each message once', async () => {
    fake = await startFakeProvider();
    const id = `cmp_d${++campaignSeq}`;
    await approvedCampaign(srv.rt.control, id, [webhookContent(fake.url)]);
    const batch = (from: number, n: number, sendAt: number) => ({
      campaignId: id,
      runId: 'run1',
      step: 'main',
      channel: 'webhook',
      class: 'marketing' as const,
      variant: null,
      sendAt,
      costCents: 0,
      userIds: Array.from({ length: n }, (_, i) => `u${from + i}`),
    });
    const now = Date.now();
    await srv.rt.control.transaction((tx) =>
      writeOutboxBatches(
        tx,
        'default',
        [batch(0, 30, now - 1000), batch(30, 25, now), batch(55, 10, now + 2 * 3_600_000)],
        now,
      ),
    );
    const worker = startDeliveryWorker(srv.rt, registryOf([handle('p1', fake.url, 'webhook')]), fastRetry);
    await until(async () => (await outboxOf(id)).filter((r) => r.status === 'sent').length === 55);
    await worker.drained();
    await worker.stop();
    const want = Array.from({ length: 55 }, (_, i) => `${id}:run1:main:u${i}`).sort();
    expect([...fake.delivered.keys()].sort()).toEqual(want);
    expect(fake.seen.length).toBe(55);
    expect((await outboxOf(id)).map((r) => r.idempotency_key)).toEqual(want);
    // The batch due in two hours waits as it was.
    const left = await srv.rt.control.query<{ user_ids: string[] }>(
      'SELECT user_ids FROM outbox_batches WHERE campaign_id = $1',
      [id],
    );
    expect(left.map((r) => r.user_ids.length)).toEqual([10]);
  });

  it('connection refused on provider 1: provider 2 takes over at once', async () => {
    fake = await startFakeProvider();
    const down = `http://127.0.0.1:${await closedPort()}/send`;
    const { id } = await planned(30);
    const worker = startDeliveryWorker(
      srv.rt,
      registryOf([handle('first', down, 'webhook', 0, 0), handle('second', fake.url, 'webhook', 0, 1)]),
      fastRetry,
    );
    await until(allFinal(id));
    await worker.stop();
    const rows = await outboxOf(id);
    expect(rows.every((r) => r.status === 'sent' && r.provider_id === 'second' && r.attempts === 2)).toBe(
      true,
    );
    expect(rows.every((r) => r.provider_message_id?.startsWith('pm-'))).toBe(true);
    expect(fake.delivered.size).toBe(30);
  });

  it('a 400 is a dead letter with the reason; no retry', async () => {
    fake = await startFakeProvider((_r, _n, res) => {
      res.writeHead(400);
      res.end('{"error":"bad number"}');
      return true;
    });
    const { id } = await planned(5);
    const worker = startDeliveryWorker(srv.rt, registryOf([handle('p1', fake.url, 'webhook')]), fastRetry);
    await until(allFinal(id));
    await worker.stop();
    const rows = await outboxOf(id);
    expect(rows.every((r) => r.status === 'dead' && r.dead_reason === 'http_400' && r.attempts === 1)).toBe(
      true,
    );
    expect(fake.seen).toHaveLength(5);
    const log = await logOf(id);
    expect(log.map((e) => [e.kind, e.properties['reason']])).toEqual(log.map(() => ['dead', 'http_400']));
  });

  it('a provider that keeps failing: dead max_attempts after the configured attempts', async () => {
    fake = await startFakeProvider((_r, _n, res) => {
      res.writeHead(502);
      res.end();
      return true;
    });
    const { id } = await planned(4);
    const worker = startDeliveryWorker(srv.rt, registryOf([handle('p1', fake.url, 'webhook')]), fastRetry);
    await until(allFinal(id));
    await worker.stop();
    const rows = await outboxOf(id);
    expect(
      rows.every((r) => r.status === 'dead' && r.dead_reason === 'max_attempts' && r.attempts === 3),
    ).toBe(true);
    expect(fake.seen).toHaveLength(12);
  });

  it('composes: data, short links saved before sending, signed unsubscribe; unsubscribed and unreachable users are dead letters', async () => {
    fake = await startFakeProvider();
    const { id, keys } = await planned(3, 'in_app');
    await srv.rt.control.query(
      `UPDATE outbox SET payload = '{"coupon": "SAVE5"}'::jsonb WHERE campaign_id = $1`,
      [id],
    );
    await srv.rt.control.query(
      `INSERT INTO unsubscribes (workspace_id, user_id, channel, at, source) VALUES ('default', 'u1', 'all', now(), 'test')`,
    );
    // A push message to a user with no push token.
    await fillOutbox(srv.rt.control, [
      { key: `${id}:push:u9`, campaignId: id, userId: 'u9', channel: 'push', sendAt: Date.now() - 1000 },
    ]);
    const worker = startDeliveryWorker(
      srv.rt,
      registryOf([handle('inapp', fake.url, 'in_app'), handle('push', fake.url, 'push')]),
      fastRetry,
    );
    await until(allFinal(id));
    await worker.stop();
    const rows = await outboxOf(id);
    expect(rows.map((r) => [r.idempotency_key, r.status, r.dead_reason])).toEqual([
      [`${id}:push:u9`, 'dead', 'no_address'],
      [keys[0], 'sent', null],
      [keys[1], 'dead', 'unsubscribed'],
      [keys[2], 'sent', null],
    ]);
    const body = fake.seen.find((s) => s.key === keys[0])?.body as {
      content: { body: string; landingUrl: string };
      unsubscribe_url: string;
    };
    expect(body.content.body).toBe('For u0: SAVE5');
    const code = /\/l\/([A-Za-z0-9_-]{12})$/.exec(body.content.landingUrl)?.[1] ?? '';
    expect(body.content.landingUrl.startsWith(srv.rt.config.publicUrl)).toBe(true);
    expect((await findShortLink(srv.rt.control, code))?.url).toBe('https://shop.example/sale');
    const token = body.unsubscribe_url.split('/u/')[1] ?? '';
    const claim = verifyUnsubscribe(await workspaceSecret(srv.rt.control, 'default', 'unsubscribe'), token);
    expect(claim).toEqual({
      ok: true,
      value: { workspaceId: 'default', userId: 'u0', channel: 'in_app', idempotencyKey: keys[0] },
    });
  });
});
