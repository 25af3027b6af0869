import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { cancelCampaignAs, pauseCampaignAs, resumeCampaignAs } from '../src/campaigns/campaigns.ts';
import { resolveInterrupted } from '../src/core/delivery/decide.ts';
import { providersOf } from '../src/delivery/providers/provider-runtime.ts';
import { claimShare, startDeliveryWorker, waveSize } from '../src/delivery/worker.ts';
import { openRuntime } from '../src/runtime.ts';
import { startChildServer } from './support/child-server.ts';
import {
  emailContent,
  emailOf,
  outcomesOf,
  phoneOf,
  prepareCampaign,
  smsContent,
  startCountingHttp,
  startCountingSmtp,
  webhookContent,
  type CopyCounter,
} from './support/exactly-once.ts';
import { startTestServer } from './support/runtime.ts';
import { tempDir } from './support/tmp.ts';

/**
 * Issue 13, "a user never gets the same message twice, at default settings": receivers that
 * count copies the way a phone or a mailbox would (no de-duplication), real child processes at
 * the defaults people run, and kill -9 in the middle of sending.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dirs: { cleanup(): void }[] = [];
afterAll(() => dirs.forEach((d) => d.cleanup()));
const dataDir = () => {
  const d = tempDir('rekindle-once-');
  dirs.push(d);
  return d.dir;
};

/** Waits until the receiver got `n` requests and then nothing more for `quietMs`. */
const settle = async (rx: CopyCounter, n: number, quietMs: number, limitMs: number) => {
  const end = Date.now() + limitMs;
  let last = -1;
  let since = Date.now();
  while (Date.now() < end) {
    const t = rx.total();
    if (t !== last) {
      last = t;
      since = Date.now();
    } else if (t >= n && Date.now() - since >= quietMs) return;
    await sleep(200);
  }
};

describe('pure rules', () => {
  it('waves last a tenth of a second of the provider rate; a claim keeps a quarter lease of it', () => {
    expect(waveSize(10, 64)).toBe(1);
    expect(waveSize(40, 64)).toBe(4);
    expect(waveSize(300, 64)).toBe(30);
    expect(waveSize(1000, 64)).toBe(64);
    expect(waveSize(0, 64)).toBe(64);
    expect(waveSize(Infinity, 64)).toBe(64);
    // 10/s under the default 60 s lease: 150 messages per claim (15 s of sending), not 1 000.
    expect(claimShare(10, 60_000, 64)).toBe(150);
    expect(claimShare(0.01, 60_000, 64)).toBe(1);
    expect(claimShare(0, 60_000, 64)).toBe(Infinity);
  });

  it('an interrupted send goes again only to the same provider, and only if it de-duplicates', () => {
    const dedup = { id: 'gw', dedupesByKey: true };
    const plain = { id: 'smtp', dedupesByKey: false };
    expect(resolveInterrupted({ providerId: 'gw', attempts: 0 }, [plain, dedup])).toEqual({
      kind: 'resend',
      provider: dedup,
    });
    const u = resolveInterrupted({ providerId: 'smtp', attempts: 1 }, [plain, dedup]);
    expect(u).toMatchObject({ kind: 'unknown', providerId: 'smtp', reason: 'interrupted_send', attempts: 2 });
    // Its provider was removed: never handed to another one.
    expect(resolveInterrupted({ providerId: 'gone', attempts: 0 }, [dedup])).toMatchObject({
      kind: 'unknown',
    });
  });
});

describe('default settings: 2 000 SMS through a provider at 10/s', () => {
  it(
    'every phone gets exactly one SMS; the campaign stays running until the last one, then finishes',
    { timeout: 420_000 },
    async () => {
      const gateway = await startCountingHttp();
      const dir = dataDir();
      const config = loadConfig({}, { dataDir: dir, logLevel: 'error' });
      const rt = await openRuntime(config);
      const now = Date.now();
      // 1 200 due now and 800 due a little later, as quiet hours or a second step spread a plan:
      // one worker loop runs out of work while the other still holds a slow claim.
      await prepareCampaign(rt, {
        campaignId: 'cmp_sms10',
        n: 2000,
        content: smsContent,
        provider: {
          kind: 'sms_http',
          config: { url: gateway.url },
          secrets: { authValue: 'gw-key' },
          rate: 10,
        },
        sendAt: (i) => (i < 1200 ? now - 1000 : now + 100_000),
      });
      await rt.close();

      // `rekindle serve` with nothing but the data directory: the default lease, claim size and loops.
      const server = await startChildServer({ REKINDLE_DATA_DIR: dir });
      await settle(gateway, 2000, 8000, 360_000);
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      await gateway.close();

      const after = await openRuntime(config);
      const o = await outcomesOf(after, 'cmp_sms10');
      await after.close();
      process.stderr.write(
        `default settings: ${gateway.total()} SMS requests for 2000 phones, ${gateway.duplicates()} duplicates\n`,
      );
      expect(gateway.duplicates()).toBe(0);
      expect(gateway.total()).toBe(2000);
      expect(gateway.copies.size).toBe(2000);
      expect(gateway.copies.get(phoneOf(1999))).toBe(1);
      expect(o.outbox).toEqual({ sent: 2000 });
      expect(o.log['sent']).toEqual({ entries: 2000, keys: 2000 });
      expect(o.campaign).toBe('finished');
    },
  );
});

describe('kill -9 five times in the middle of sending, to receivers that do not de-duplicate', () => {
  const N = 599;
  const cases: {
    name: string;
    start: () => Promise<CopyCounter & { setup: Parameters<typeof prepareCampaign>[1]['provider'] }>;
    content: typeof smsContent;
    who: (i: number) => string;
  }[] = [
    {
      name: 'e-mail through an SMTP server',
      start: async () => {
        const smtp = await startCountingSmtp();
        return Object.assign(smtp, {
          setup: {
            kind: 'smtp',
            config: { host: '127.0.0.1', port: smtp.port, secure: false, from: 'news@shop.example' },
            secrets: {},
            rate: 40,
          },
        });
      },
      content: emailContent,
      who: emailOf,
    },
    {
      name: 'a plain webhook',
      start: async () => {
        const hook = await startCountingHttp(20);
        return Object.assign(hook, {
          setup: {
            kind: 'webhook',
            config: { url: hook.url },
            secrets: { secret: 'whsec-0123456789abcdef' },
            rate: 40,
          },
        });
      },
      content: webhookContent,
      who: (i) => `u${i}`,
    },
  ];

  for (const c of cases)
    it(`${c.name}: 0 duplicates, every message sent or reported unknown`, { timeout: 300_000 }, async () => {
      const rx = await c.start();
      const dir = dataDir();
      const config = loadConfig({}, { dataDir: dir, logLevel: 'error' });
      const rt = await openRuntime(config);
      const id = `cmp_kill_${rx.setup.kind}`;
      await prepareCampaign(rt, {
        campaignId: id,
        n: N,
        content: c.content,
        provider: rx.setup,
        sendAt: () => Date.now() - 1000,
      });
      await rt.close();
      // A short lease, so that five restarts do not each wait a minute for the dead one's claim.
      const env = { REKINDLE_DATA_DIR: dir, REKINDLE_DELIVERY_LEASE_SECONDS: '5' };
      let kills = 0;
      for (const threshold of [60, 160, 260, 360, 460]) {
        const server = await startChildServer(env);
        const end = Date.now() + 60_000;
        while (rx.total() < threshold && Date.now() < end) await sleep(10);
        server.child.kill('SIGKILL');
        expect(await server.exited).toBeNull();
        kills++;
      }
      const server = await startChildServer(env);
      // Done when nothing more arrives for longer than a lease.
      await settle(rx, 1, 12_000, 120_000);
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      await rx.close();

      const after = await openRuntime(config);
      const o = await outcomesOf(after, id);
      const rows = await after.control.query<{ user_id: string; status: string }>(
        `SELECT user_id, status FROM outbox WHERE campaign_id = $1`,
        [id],
      );
      await after.close();
      const sent = o.outbox['sent'] ?? 0;
      const unknown = o.outbox['unknown'] ?? 0;
      process.stderr.write(
        `${c.name}: ${kills} kills, ${rx.total()} received for ${N} messages, ${rx.duplicates()} duplicates, ` +
          `${sent} sent, ${unknown} reported unknown\n`,
      );
      expect(kills).toBe(5);
      expect(rx.duplicates()).toBe(0);
      // Every message has an outcome: sent, or reported as unknown; none lost, none pending.
      expect(sent + unknown).toBe(N);
      expect(o.log['sent']?.keys ?? 0).toBe(sent);
      expect(o.log['sent']?.entries ?? 0).toBe(sent);
      expect(o.log['unknown']?.keys ?? 0).toBe(unknown);
      // What the outbox calls sent reached its recipient, once.
      for (const r of rows)
        if (r.status === 'sent') expect(rx.copies.get(c.who(Number(r.user_id.slice(1))))).toBe(1);
      expect(o.campaign).toBe('finished');
    });
});

describe('pause, cancel and interrupted sends in a live worker (default lease and claim size)', () => {
  it(
    'pause stops a slow send within a wave, resume goes on, cancel stops the rest: no duplicates',
    {
      timeout: 120_000,
    },
    async () => {
      const srv = await startTestServer();
      const gateway = await startCountingHttp();
      const { admin } = await prepareCampaign(srv.rt, {
        campaignId: 'cmp_live',
        n: 80,
        content: smsContent,
        provider: { kind: 'sms_http', config: { url: gateway.url }, secrets: { authValue: 'k' }, rate: 10 },
        sendAt: () => Date.now() - 1000,
      });
      const worker = startDeliveryWorker(srv.rt, providersOf(srv.rt).registry);
      try {
        while (gateway.total() < 10) await sleep(20);
        const paused = await pauseCampaignAs(srv.rt, admin, 'cmp_live');
        expect(paused.ok).toBe(true);
        const atPause = gateway.total();
        await sleep(2000);
        // At most the wave in flight (one message at 10/s) goes after the pause.
        expect(gateway.total() - atPause).toBeLessThanOrEqual(waveSize(10, 64));
        const held = gateway.total();
        await sleep(1000);
        expect(gateway.total()).toBe(held);

        const resumed = await resumeCampaignAs(srv.rt, admin, 'cmp_live');
        expect(resumed.ok && resumed.value.status).toBe('running');
        while (gateway.total() < held + 10) await sleep(20);
        // The campaign is still sending: cancel is allowed (it used to answer 409 "finished").
        const cancelled = await cancelCampaignAs(srv.rt, admin, 'cmp_live');
        expect(cancelled.ok).toBe(true);
        const atCancel = gateway.total();
        await sleep(2000);
        expect(gateway.total() - atCancel).toBeLessThanOrEqual(waveSize(10, 64));
      } finally {
        await worker.stop();
      }
      const o = await outcomesOf(srv.rt, 'cmp_live');
      expect(gateway.duplicates()).toBe(0);
      expect(o.outbox['sent']).toBe(gateway.total());
      expect((o.outbox['sent'] ?? 0) + (o.outbox['dead'] ?? 0)).toBe(80);
      expect(o.log['dead']?.keys).toBe(o.outbox['dead']);
      expect(o.campaign).toBe('cancelled');
      await gateway.close();
      await srv.stop();
      srv.cleanup();
    },
  );

  it(
    'a message whose send began before a crash: re-sent with its key to a de-duplicating provider, else reported unknown',
    {
      timeout: 60_000,
    },
    async () => {
      const srv = await startTestServer();
      const plain = await startCountingHttp();
      const dedup = await startCountingHttp();
      const one = await prepareCampaign(srv.rt, {
        campaignId: 'cmp_plain',
        n: 3,
        content: webhookContent,
        provider: {
          kind: 'webhook',
          config: { url: plain.url },
          secrets: { secret: 'whsec-0123456789abcdef' },
          rate: 1000,
        },
        sendAt: () => Date.now() - 1000,
      });
      // Another workspace-wide webhook provider would be a second choice for the first campaign
      // too; the interrupted messages must stay with the provider that may hold them.
      const two = await prepareCampaign(srv.rt, {
        campaignId: 'cmp_dedup',
        n: 3,
        content: webhookContent,
        provider: {
          kind: 'webhook',
          config: { url: dedup.url, deduplicatesByKey: true },
          secrets: { secret: 'whsec-0123456789abcdef' },
          rate: 1000,
        },
        sendAt: () => Date.now() - 1000,
      });
      // What a worker killed mid-wave leaves: 'sending', lease run out, started, its provider named.
      const interrupt = (campaign: string, providerId: string) =>
        srv.rt.control.query(
          `UPDATE outbox SET status = 'sending', claim_token = 'dead-worker', lease_until = now() - interval '1 second',
                started_at = now() - interval '2 seconds', provider_id = $2
         WHERE campaign_id = $1 AND user_id = 'u0'`,
          [campaign, providerId],
        );
      await interrupt('cmp_plain', one.providerId);
      await interrupt('cmp_dedup', two.providerId);
      const worker = startDeliveryWorker(srv.rt, providersOf(srv.rt).registry, { idleMs: 20 });
      await worker.drained();
      await worker.stop();
      const p = await outcomesOf(srv.rt, 'cmp_plain');
      const d = await outcomesOf(srv.rt, 'cmp_dedup');
      // Not de-duplicating: u0 is never sent again, and is reported.
      expect(p.outbox).toEqual({ sent: 2, unknown: 1 });
      expect(p.log['unknown']).toEqual({ entries: 1, keys: 1 });
      expect(plain.copies.get('u0')).toBeUndefined();
      // De-duplicating: u0 goes again to the same provider, with the same key.
      expect(d.outbox).toEqual({ sent: 3 });
      const row = await srv.rt.control.query<{ provider_id: string; attempts: number }>(
        `SELECT provider_id, attempts FROM outbox WHERE campaign_id = 'cmp_dedup' AND user_id = 'u0'`,
      );
      expect(row[0]?.provider_id).toBe(two.providerId);
      expect(dedup.copies.get('u0')).toBe(1);
      // Both campaigns had every message settled, so they finished.
      expect([p.campaign, d.campaign]).toEqual(['finished', 'finished']);
      await plain.close();
      await dedup.close();
      await srv.stop();
      srv.cleanup();
    },
  );
});
