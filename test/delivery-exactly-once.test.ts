import { afterAll, describe, expect, it } from 'vitest';
import { cancelCampaignAs, pauseCampaignAs, resumeCampaignAs } from '../src/campaigns/campaigns.ts';
import { resolveInterrupted } from '../src/core/delivery/decide.ts';
import { providersOf } from '../src/delivery/providers/provider-runtime.ts';
import { claimShare, startDeliveryWorker, waveSize } from '../src/delivery/worker.ts';
import {
  outcomesOf,
  prepareCampaign,
  runDefaultSettingsScenario,
  runKillScenario,
  smsContent,
  startCountingHttp,
  webhookContent,
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
      const f = await runDefaultSettingsScenario(dataDir());
      process.stderr.write(`default settings: ${JSON.stringify(f)}\n`);
      expect(f.lastExit).toBe(0);
      expect(f.duplicates).toBe(0);
      expect(f.received).toBe(2000);
      expect(f.sent).toBe(2000);
      expect(f.other).toBe(0);
      expect(f.sentNotReceivedOnce).toBe(0);
      expect([f.logSentKeys, f.logSentEntries]).toEqual([2000, 2000]);
      expect(f.campaign).toBe('finished');
    },
  );
});

describe('kill -9 five times in the middle of sending, to receivers that do not de-duplicate', () => {
  for (const kind of ['smtp', 'webhook'] as const)
    it(
      `${kind === 'smtp' ? 'e-mail through an SMTP server' : 'a plain webhook'}: 0 duplicates, every message sent or reported unknown`,
      {
        timeout: 300_000,
      },
      async () => {
        const f = await runKillScenario(dataDir(), kind);
        process.stderr.write(`kill -9 ${kind}: ${JSON.stringify(f)}\n`);
        expect(f.killedExits).toEqual([null, null, null, null, null]);
        expect(f.lastExit).toBe(0);
        expect(f.duplicates).toBe(0);
        // Every message has an outcome: sent, or reported as unknown; none lost, none pending.
        expect(f.sent + f.unknown).toBe(599);
        expect(f.other).toBe(0);
        expect([f.logSentKeys, f.logSentEntries]).toEqual([f.sent, f.sent]);
        expect(f.logUnknownKeys).toBe(f.unknown);
        // What the outbox calls sent reached its recipient, once.
        expect(f.sentNotReceivedOnce).toBe(0);
        expect(f.campaign).toBe('finished');
      },
    );
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
