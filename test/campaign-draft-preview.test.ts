import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemo } from '../src/demo/load-demo.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { startTestServer, type TestServer } from './support/runtime.ts';
import { duckdbWarehouseOf } from '../src/runtime.ts';

/**
 * POST /v1/campaigns/draft-preview (issue 18): the editor's unsaved contents rendered for the first
 * member of the chosen audience, each on its own, nothing stored; a content that does not validate
 * comes back with its problems and paths while the others still render.
 */
const DAY = 86_400_000;
let server: TestServer;
const tokens: Record<string, string> = {};
let audienceId = '';

const post = async (who: string, url: string, payload: Record<string, unknown>) => {
  const res = await server.app.inject({
    method: 'POST',
    url,
    headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'application/json' },
    payload,
  });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
};

beforeAll(async () => {
  server = await startTestServer();
  await loadDemo(server.rt.warehouse, { size: 200, seed: 3, now: Math.floor(Date.now() / DAY) * DAY });
  await duckdbWarehouseOf(server.rt).compactEvents();
  for (const [name, role] of [
    ['op', 'operator'],
    ['viewer', 'viewer'],
  ] as const) {
    const u = await createUser(server.rt.control, { name, role });
    if (!u.ok) throw new Error(name);
    tokens[name] = await issueApiToken(server.rt.control, u.value.id);
  }
  const a = await post('op', '/v1/audiences', {
    name: 'everyone with a user id',
    definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'exists' },
  });
  expect(a.status).toBe(201);
  audienceId = String(a.body['id']);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  server?.cleanup();
});

interface Answer {
  userId: string | null;
  items: {
    preview: { channel: string; rendered: Record<string, string> | null; sms?: { segments: number } } | null;
    problems: { path: string; message: string }[];
  }[];
}

describe('draft preview', () => {
  it('renders each content for the audience’s first member and reports a broken one with its path', async () => {
    const r = await post('op', '/v1/campaigns/draft-preview', {
      audienceId,
      content: [
        { channel: 'push', title: '{{ user.user_id }}', body: '新品' },
        { channel: 'sms', text: '您好 {{ user.user_id ', signature: '【R】' },
        { channel: 'sms', text: '{{ user.user_id }} 回T退订', signature: '【R】' },
      ],
    });
    expect(r.status).toBe(200);
    const a = r.body as unknown as Answer;
    expect(a.userId).toMatch(/^u\d+/);
    expect(a.items[0]?.preview?.rendered?.['title']).toBe(a.userId);
    expect(a.items[1]).toEqual({
      preview: null,
      problems: [
        { path: 'content[1].text', message: expect.stringMatching(/^line 1, column 4: .*not closed/) },
      ],
    });
    expect(a.items[2]?.preview?.rendered?.['text']).toBe(`${a.userId} 回T退订`);
    expect(a.items[2]?.preview?.sms?.segments).toBe(1);
    // Nothing was stored.
    const list = await server.app.inject({
      method: 'GET',
      url: '/v1/campaigns',
      headers: { authorization: `Bearer ${tokens['op']}` },
    });
    expect((list.json() as { campaigns: unknown[] }).campaigns).toEqual([]);
  });

  it('renders without a profile when no audience is chosen, for every role that reads campaigns', async () => {
    const r = await post('viewer', '/v1/campaigns/draft-preview', {
      content: [{ channel: 'sms', text: '春季上新 回T退订', signature: '【R】' }],
    });
    expect(r.status).toBe(200);
    const a = r.body as unknown as Answer;
    expect(a.userId).toBeNull();
    expect(a.items[0]?.preview?.rendered?.['text']).toBe('春季上新 回T退订');
    expect((await post('op', '/v1/campaigns/draft-preview', { content: [] })).status).toBe(400);
  });

  it('renders an A/B variant’s content with its own offer, or with none', async () => {
    const coupon = (fen: number) => ({
      kind: 'coupon',
      amount: { type: 'fixed', amount: fen },
      validityDays: 7,
      expectedRedemptionRate: 0.2,
      costRecognition: 'redemption',
    });
    const text = {
      channel: 'in_app',
      title: '券',
      body: '{% if offer %}{{ offer.amount_yuan }} 元券{% else %}无券{% endif %}',
    };
    const r = await post('op', '/v1/campaigns/draft-preview', {
      audienceId,
      offer: coupon(1_000),
      itemOffers: [coupon(1_000), coupon(500), null],
      content: [text, text, text],
    });
    expect(r.status).toBe(200);
    const bodies = (r.body as unknown as Answer).items.map((x) => x.preview?.rendered?.['body']);
    expect(bodies).toEqual(['10 元券', '5 元券', '无券']);
    // Without itemOffers every content takes the campaign's offer.
    const same = await post('op', '/v1/campaigns/draft-preview', {
      audienceId,
      offer: coupon(1_000),
      content: [text, text],
    });
    expect((same.body as unknown as Answer).items.map((x) => x.preview?.rendered?.['body'])).toEqual([
      '10 元券',
      '10 元券',
    ]);
  });
});
