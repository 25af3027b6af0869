import { Analytics } from '@segment/analytics-node';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, TEST_WRITE_KEY, type TestServer } from '../support/runtime.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server?.cleanup();
});

describe('page, screen, group and alias from the real Segment Node client', () => {
  it('stores every call and stitches the anonymous visitor into the user', async () => {
    server = await startTestServer();
    const errors: unknown[] = [];
    const analytics = new Analytics({
      writeKey: TEST_WRITE_KEY,
      host: server.url,
      flushAt: 20,
      maxRetries: 1,
    });
    analytics.on('error', (e) => errors.push(e));
    analytics.page({
      anonymousId: 'visitor-1',
      name: 'Pricing',
      category: 'Docs',
      properties: { path: '/pricing' },
    });
    analytics.screen({ anonymousId: 'visitor-1', name: 'Cart' });
    analytics.identify({ userId: 'sdk-1', anonymousId: 'visitor-1', traits: { city: 'Nanjing' } });
    analytics.group({ userId: 'sdk-1', groupId: 'acme', traits: { name: 'Acme' } });
    analytics.alias({ previousId: 'crm-77', userId: 'sdk-1' });
    analytics.track({ anonymousId: 'visitor-1', event: 'order', properties: { amount: 10 } });
    await analytics.closeAndFlush({ timeout: 20_000 });
    expect(errors).toEqual([]);
    const wh = server.rt.warehouse;
    expect(await wh.query(`SELECT user_id, event FROM events ORDER BY event`)).toEqual([
      { user_id: 'sdk-1', event: 'alias' },
      { user_id: 'sdk-1', event: 'group' },
      { user_id: 'sdk-1', event: 'order' },
      { user_id: 'sdk-1', event: 'page' },
      { user_id: 'sdk-1', event: 'screen' },
    ]);
    expect(await wh.query(`SELECT user_id, city, traits->>'group_id' AS g FROM profiles`)).toEqual([
      { user_id: 'sdk-1', city: 'Nanjing', g: 'acme' },
    ]);
    expect(await wh.query(`SELECT alias_id, canonical_id FROM identity_links ORDER BY alias_id`)).toEqual([
      { alias_id: 'crm-77', canonical_id: 'sdk-1' },
      { alias_id: 'visitor-1', canonical_id: 'sdk-1' },
    ]);
  });
});
