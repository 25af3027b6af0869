import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { openRuntime } from '../src/runtime.ts';
import { createProviderAs } from '../src/delivery/providers/provider-service.ts';
import { providersOf } from '../src/delivery/providers/provider-runtime.ts';
import { createUser } from '../src/storage/control/users.ts';
import { startChildServer } from './support/child-server.ts';
import {
  approvedCampaign,
  fillOutbox,
  startFakeProvider,
  webhookContent,
} from './support/delivery-fixtures.ts';
import { tempDir } from './support/tmp.ts';

const N = 100_000;
const tmp = tempDir('rekindle-delivery-crash-');
afterAll(() => tmp.cleanup());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('exactly once to the user across kill -9', () => {
  it(
    'delivers 100 000 messages once each while the server is killed three times',
    { timeout: 300_000 },
    async () => {
      const fake = await startFakeProvider();
      // The fake provider listens on 127.0.0.1: private targets must be allowed.
      const config = loadConfig({}, { dataDir: tmp.dir, logLevel: 'error', allowPrivateTargets: true });
      const setup = await openRuntime(config);
      // A webhook provider whose endpoint drops a repeated idempotency key (the fake does): a
      // message whose send a kill interrupted goes to it again with the same key. Against a
      // receiver that does not de-duplicate, such a message is reported instead
      // (delivery-exactly-once.test.ts).
      const admin = await createUser(setup.control, { name: 'crash-admin', role: 'admin' });
      if (!admin.ok) throw new Error('admin');
      const provider = await createProviderAs(
        providersOf(setup).context,
        { userId: admin.value.id, workspaceId: 'default', name: 'crash-admin', role: 'admin' },
        {
          kind: 'webhook',
          name: 'dedup-hook',
          ratePerSecond: 100_000,
          config: { url: fake.url, deduplicatesByKey: true },
          secrets: { secret: 'whsec-0123456789abcdef' },
        },
      );
      if (!provider.ok) throw new Error(JSON.stringify(provider.error));
      await approvedCampaign(setup.control, 'cmp_crash', [webhookContent(fake.url)]);
      const sendAt = Date.now() - 60_000;
      await fillOutbox(
        setup.control,
        Array.from({ length: N }, (_, i) => ({
          key: `cmp_crash:run1:main:u${i}`,
          campaignId: 'cmp_crash',
          userId: `u${i}`,
          channel: 'webhook',
          sendAt,
        })),
      );
      await setup.close();

      const env = {
        REKINDLE_DATA_DIR: tmp.dir,
        REKINDLE_ALLOW_PRIVATE_TARGETS: '1',
        REKINDLE_DELIVERY_LEASE_SECONDS: '5',
        REKINDLE_PLANNER_POLL_SECONDS: '0',
        REKINDLE_SCORE_EVERY_MINUTES: '0',
        REKINDLE_FACT_SHIP_MS: '0',
        REKINDLE_ATTRIBUTE_EVERY_MINUTES: '0',
      };
      let kills = 0;
      for (const threshold of [0.15, 0.4, 0.65].map((f) => f * N)) {
        const server = await startChildServer(env);
        while (fake.delivered.size < threshold) await sleep(20);
        process.stderr.write(`kill -9 at ${fake.delivered.size} delivered, ${fake.seen.length} requests\n`);
        server.child.kill('SIGKILL');
        expect(await server.exited).toBeNull();
        kills++;
      }
      const server = await startChildServer(env);
      // Done when every key reached the user and nothing more arrived for longer than a lease.
      let last = -1;
      while (fake.delivered.size < N || fake.seen.length !== last) {
        last = fake.seen.length;
        if (fake.delivered.size < N && last % 10 === 0)
          process.stderr.write(`${fake.delivered.size} delivered\n`);
        await sleep(fake.delivered.size < N ? 200 : 6000);
      }
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);

      const rt = await openRuntime(config);
      const status = await rt.control.query<{ status: string; n: string }>(
        `SELECT status, count(*) AS n FROM outbox GROUP BY status`,
      );
      const sentLog = await rt.control.query<{ keys: string; entries: string }>(
        `SELECT count(DISTINCT idempotency_key) AS keys, count(*) AS entries FROM message_log WHERE kind = 'sent'`,
      );
      const mismatched = await rt.control.query<{ n: string }>(
        `SELECT count(*) AS n FROM outbox WHERE provider_message_id IS NULL OR provider_message_id NOT LIKE 'pm-%'`,
      );
      await rt.close();
      await fake.close();

      const duplicates = fake.seen.length - fake.delivered.size;
      process.stderr.write(
        `delivery crash test: ${kills} kills, ${fake.seen.length} provider requests for ${N} messages, ` +
          `${duplicates} duplicates absorbed by the provider's idempotency key\n`,
      );
      expect(kills).toBe(3);
      expect(fake.delivered.size).toBe(N);
      expect(status.map((r) => [r.status, Number(r.n)])).toEqual([['sent', N]]);
      // One `sent` entry per message in the log, whatever was sent twice.
      expect(sentLog.map((r) => [Number(r.keys), Number(r.entries)])).toEqual([[N, N]]);
      expect(Number(mismatched[0]?.n)).toBe(0);
    },
  );
});
