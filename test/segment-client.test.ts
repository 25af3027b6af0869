import { Analytics } from '@segment/analytics-node';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, TEST_WRITE_KEY, type TestServer } from './support/runtime.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server?.cleanup();
});

describe('compatibility with the real Segment Node client', () => {
  it('accepts what @segment/analytics-node sends and stores it in the warehouse', async () => {
    server = await startTestServer();
    const errors: unknown[] = [];
    const analytics = new Analytics({
      writeKey: TEST_WRITE_KEY,
      host: server.url,
      flushAt: 20,
      maxRetries: 1,
    });
    analytics.on('error', (e) => errors.push(e));
    analytics.identify({
      userId: 'seg-1',
      traits: {
        email: 'Li.Lei@Example.com',
        createdAt: '2025-03-01T10:00:00Z',
        acquisitionChannel: 'app_store',
      },
    });
    for (let i = 0; i < 45; i++) {
      analytics.track({
        userId: 'seg-1',
        event: i % 5 === 0 ? 'order' : 'view_item',
        properties: { amount: i % 5 === 0 ? 99 + i : undefined, product_id: `p${i}`, category: 'tea' },
        timestamp: new Date(Date.UTC(2026, 9, 1, 8, i)),
      });
    }
    analytics.track({ anonymousId: 'anon-9', event: 'app_open' });
    await analytics.closeAndFlush({ timeout: 20_000 });
    expect(errors).toEqual([]);

    const wh = server.rt.warehouse;
    const byEvent = await wh.query<{ event: string; n: bigint; revenue: number | null }>(
      'SELECT event, count(*) AS n, sum(amount) AS revenue FROM events GROUP BY event ORDER BY event',
    );
    expect(byEvent.map((r) => [r.event, Number(r.n), r.revenue])).toEqual([
      ['app_open', 1, null],
      ['order', 9, 9 * 99 + (0 + 5 + 10 + 15 + 20 + 25 + 30 + 35 + 40)],
      ['view_item', 36, null],
    ]);
    const first = await wh.query<{ ts: Date; product_id: string; message_id: string }>(
      `SELECT ts, product_id, message_id FROM events WHERE product_id = 'p3'`,
    );
    expect(first[0]?.ts).toEqual(new Date(Date.UTC(2026, 9, 1, 8, 3)));
    // The client's own messageIds are kept, so its retries deduplicate.
    expect(first[0]?.message_id).toMatch(/^node-next-/);
    const anon = await wh.query<{ user_id: string; anonymous_id: string }>(
      `SELECT user_id, anonymous_id FROM events WHERE event = 'app_open'`,
    );
    expect(anon).toEqual([{ user_id: 'anon-9', anonymous_id: 'anon-9' }]);
    const profile = await wh.query<{ email: string; acquisition_channel: string; register_time: Date }>(
      `SELECT email, acquisition_channel, register_time FROM profiles WHERE user_id = 'seg-1'`,
    );
    expect(profile).toEqual([
      {
        email: 'li.lei@example.com',
        acquisition_channel: 'app_store',
        register_time: new Date('2025-03-01T10:00:00Z'),
      },
    ]);
  });
});
