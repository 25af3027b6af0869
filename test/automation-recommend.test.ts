import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSavedAudience } from '../src/audience/saved-audiences.ts';
import { uploadCatalogAs } from '../src/automation/catalog-service.ts';
import { bestItemExtension } from '../src/automation/recommend-extension.ts';
import { skipReasonOf } from '../src/delivery/compose-skip.ts';
import { createCampaignAs } from '../src/campaigns/campaigns.ts';
import type { Actor } from '../src/core/auth/roles.ts';
import type { EventRow } from '../src/core/events/rows.ts';
import type { ClaimedRow } from '../src/outbox/claim.ts';
import { Composer } from '../src/delivery/compose.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { event, openScenario, profile, seed, type ScenarioStore } from './support/score-scenario.ts';
import { startTestServer, type TestServer } from './support/runtime.ts';

/**
 * "Best item" campaigns (features.md H2) on real stores: events in DuckDB, the catalog in PGlite, the
 * delivery composer rendering `{{ item.name }}` per recipient; users without a pick skipped with
 * `no_recommendation` or given the fallback item. The catalog API's CSV/JSON uploads.
 */

const NOW = Date.UTC(2026, 10, 11, 4); // 12:00 in Shanghai on 11.11
const DAY = 86_400_000;

const shop = (
  userId: string,
  name: string,
  daysAgo: number,
  productId: string | null,
  category: string,
): EventRow => ({
  ...event(userId, name, NOW - daysAgo * DAY),
  productId,
  category,
});

const catalog = [
  {
    id: 'run-1',
    name: '轻跑鞋',
    category: 'shoes',
    priceCents: 39_900,
    salePriceCents: 29_900,
    landingUrl: 'https://shop.example.com/run-1',
  },
  {
    id: 'run-2',
    name: '越野鞋',
    category: 'shoes',
    priceCents: 59_900,
    salePriceCents: 49_900,
    landingUrl: 'https://shop.example.com/run-2',
  },
  {
    id: 'bag-1',
    name: '通勤包',
    category: 'bags',
    priceCents: 19_900,
    salePriceCents: 9_900,
    landingUrl: 'https://shop.example.com/bag-1',
  },
  {
    id: 'flash-1',
    name: '限时帽',
    category: 'hats',
    priceCents: 9_900,
    salePriceCents: 4_900,
    saleStartsAt: new Date(NOW + DAY).toISOString(),
    landingUrl: 'https://shop.example.com/flash-1',
  },
  {
    id: 'gift',
    name: '新人礼包',
    category: 'gifts',
    priceCents: 1_000,
    landingUrl: 'https://shop.example.com/gift',
  },
];

describe('best item recommendations on DuckDB events', () => {
  let s: ScenarioStore;
  let op: Actor;
  let audienceId = '';

  beforeAll(async () => {
    s = await openScenario();
    s.setNow(NOW);
    const base = { acquisition_channel: 'distribution', timezone: 'Asia/Shanghai' } as const;
    await seed(
      s.warehouse,
      ['u1', 'u2', 'u3', 'u4'].map((u) => profile(u, NOW - 100 * DAY, { ...base, push_token: `t-${u}` })),
      [
        // u1: shoes fan who already bought run-1 → run-2 (the only other shoe on sale).
        shop('u1', 'view_item', 2, 'run-1', 'shoes'),
        shop('u1', 'order', 3, 'run-1', 'shoes'),
        shop('u1', 'view_item', 1, 'bag-1', 'bags'),
        // u2: recent bag views beat an old shoe purchase.
        shop('u2', 'order', 28, 'run-2', 'shoes'),
        shop('u2', 'view_item', 1, 'bag-1', 'bags'),
        shop('u2', 'add_to_cart', 1, 'bag-1', 'bags'),
        // u3: only hats, whose flash sale has not started → no pick.
        shop('u3', 'view_item', 1, 'flash-1', 'hats'),
        // u4: shoes, but long ago (outside the 30-day window) → no pick.
        shop('u4', 'order', 45, 'run-2', 'shoes'),
      ],
    );
    const u = await createUser(s.control, { name: 'olga', role: 'operator' });
    if (!u.ok) throw new Error('user');
    op = { userId: u.value.id, workspaceId: 'default', name: 'olga', role: 'operator' };
    const up = await uploadCatalogAs(s, op, { format: 'json', items: catalog });
    expect(up).toEqual({ ok: true, value: { stored: 5, errors: [] } });
    const aud = await createSavedAudience(s, op, {
      name: 'All',
      definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: 'distribution' },
    });
    if (!aud.ok) throw new Error('audience');
    audienceId = aud.value.id;
  });
  afterAll(async () => {
    await s.close();
  });

  const campaignWith = async (name: string, recommendation: Record<string, unknown>) => {
    const c = await createCampaignAs(s, op, {
      name,
      definition: {
        audienceId,
        timing: { kind: 'one_off', at: new Date(NOW).toISOString() },
        channels: ['push'],
        content: [
          {
            channel: 'push',
            title: '{{ item.name }} 双十一价 ¥{{ item.sale_price_yuan }}',
            body: '原价 ¥{{ item.price_yuan }}',
            landingUrl: 'https://shop.example.com/landing',
          },
        ],
        recommendation,
      },
    });
    if (!c.ok) throw new Error(JSON.stringify(c.error));
    return c.value;
  };

  const rows = (campaignId: string): ClaimedRow[] =>
    ['u1', 'u2', 'u3', 'u4'].map((userId) => ({
      idempotencyKey: `${campaignId}:r:0:${userId}`,
      workspaceId: 'default',
      campaignId,
      runId: 'r',
      step: '0',
      userId,
      channel: 'push',
      class: 'marketing',
      variant: null,
      sendAt: NOW,
      costCents: 0,
      attempts: 0,
      providerId: null,
      pinned: false,
      payload: null,
      claimToken: 'claim-test',
      startedAt: null,
    }));

  it('picks each user’s item from their history; no pick → no_recommendation', async () => {
    const c = await campaignWith('Best item', { kind: 'best_item', lookbackDays: 30 });
    const scope = await bestItemExtension(s)(c, rows(c.id));
    const picked = (u: string) => {
      const v = scope.get(`${c.id}:r:0:${u}`);
      return skipReasonOf(v) ?? (v?.['item'] as { id: string } | undefined)?.id;
    };
    expect(['u1', 'u2', 'u3', 'u4'].map(picked)).toEqual([
      'run-2',
      'bag-1',
      'no_recommendation',
      'no_recommendation',
    ]);

    // Through the delivery composer: the template sees `item`.
    const composer = new Composer({
      control: s.control,
      warehouse: s.warehouse,
      publicUrl: 'https://r.example.com',
      extensions: [bestItemExtension(s)],
    });
    const composed = await composer.compose(rows(c.id).slice(0, 2), NOW);
    const titles = composed.map((m) => (m.ok && 'title' in m.message.content ? m.message.content.title : m));
    expect(titles).toEqual(['越野鞋 双十一价 ¥499.00', '通勤包 双十一价 ¥99.00']);
  });

  it('category weights and the fallback item', async () => {
    const c = await campaignWith('Best item, bags first, gift fallback', {
      kind: 'best_item',
      lookbackDays: 60,
      categoryWeights: { bags: 10 },
      fallbackItemId: 'gift',
    });
    const scope = await bestItemExtension(s)(c, rows(c.id));
    const picked = (u: string) => (scope.get(`${c.id}:r:0:${u}`)?.['item'] as { id: string } | undefined)?.id;
    // u1's one bag view now outweighs the shoes; u4's old order counts in 60 days (run-1 on sale);
    // u3 still has nothing on sale: the fallback.
    expect(['u1', 'u2', 'u3', 'u4'].map(picked)).toEqual(['bag-1', 'bag-1', 'gift', 'run-1']);
  });

  it('the campaign definition validates the recommendation', async () => {
    const bad = await createCampaignAs(s, op, {
      name: 'Bad',
      definition: {
        audienceId,
        timing: { kind: 'one_off', at: new Date(NOW).toISOString() },
        channels: ['push'],
        content: [{ channel: 'push', title: 't', body: 'b' }],
        recommendation: { kind: 'best_item', lookbackDays: 0 },
      },
    });
    expect(bad.ok).toBe(false);
    expect(JSON.stringify(bad)).toContain('recommendation.lookbackDays');
  });
});

describe('catalog API', () => {
  let server: TestServer;
  let op = '';
  let viewer = '';
  beforeAll(async () => {
    server = await startTestServer({ clock: () => NOW });
    for (const [name, role] of [
      ['olga', 'operator'],
      ['vic', 'viewer'],
    ] as const) {
      const u = await createUser(server.rt.control, { name, role });
      if (!u.ok) throw new Error('user');
      const t = await issueApiToken(server.rt.control, u.value.id);
      if (role === 'operator') op = t;
      else viewer = t;
    }
  }, 60_000);
  afterAll(async () => {
    await server.stop();
    server.cleanup();
  });

  const send = async (
    token: string,
    method: string,
    path: string,
    body?: string,
    type = 'application/json',
  ) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': type }) },
      ...(body === undefined ? {} : { body }),
    });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : null) as Record<string, unknown> };
  };

  it('uploads CSV and JSON with per-row errors, replaces by id, lists and deletes', async () => {
    const csv = [
      'id,name,category,price_cents,sale_price_cents,sale_starts_at,sale_ends_at,in_stock,image_url,landing_url',
      'run-1,轻跑鞋,shoes,39900,29900,2026-11-11T00:00:00+08:00,2026-11-12T00:00:00+08:00,true,,https://shop.example.com/run-1',
      'bad,,shoes,-1,,,,,,https://shop.example.com/bad',
    ].join('\n');
    const up = await send(op, 'POST', '/v1/catalog/items', csv, 'text/csv');
    expect(up.status).toBe(200);
    expect(up.json).toEqual({
      stored: 1,
      errors: [
        { path: 'line 3: name', message: 'is required' },
        { path: 'line 3: price_cents', message: 'must be a non-negative integer (cents)' },
      ],
    });
    const json = await send(
      op,
      'POST',
      '/v1/catalog/items',
      JSON.stringify({ items: [{ ...catalog[0], name: '轻跑鞋 2' }, catalog[2]] }),
    );
    expect(json.json).toEqual({ stored: 2, errors: [] });
    const list = await send(viewer, 'GET', '/v1/catalog/items');
    const items = list.json['items'] as { id: string; name: string; saleEndsAt: string | null }[];
    expect(items.map((i) => [i.id, i.name])).toEqual([
      ['bag-1', '通勤包'],
      ['run-1', '轻跑鞋 2'],
    ]);
    expect((await send(viewer, 'POST', '/v1/catalog/items', JSON.stringify({ items: [] }))).status).toBe(403);
    expect((await send(op, 'DELETE', '/v1/catalog/items/bag-1')).status).toBe(204);
    expect((await send(op, 'DELETE', '/v1/catalog/items/bag-1')).status).toBe(404);
    expect(
      ((await send(op, 'GET', '/v1/catalog/items?category=bags')).json['items'] as unknown[]).length,
    ).toBe(0);
  });
});
