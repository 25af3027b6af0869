import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/core/clock.ts';
import { createUser, issueApiToken } from '../../src/storage/control/users.ts';
import { apiCall, postJson, startTestServer, type TestServer } from '../support/runtime.ts';

/**
 * Every user is a user, over the HTTP API (features.md A1): the README's track-only user shows
 * up in audiences, scores and the churn-risk lookup; page / screen / group / alias are accepted
 * on their own routes, short routes and in a batch; stitching is seen by audiences.
 */

const NOW = Date.UTC(2026, 5, 1, 10, 0, 0);
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

let s: TestServer;
let token: string;
beforeAll(async () => {
  s = await startTestServer({ clock: fixedClock(NOW) });
  const u = await createUser(s.rt.control, { name: 'ops', role: 'operator' });
  if (!u.ok) throw new Error('user exists');
  token = await issueApiToken(s.rt.control, u.value.id);
});
afterAll(async () => {
  await s.stop();
  s.cleanup();
});

const count = async (definition: unknown): Promise<number> => {
  const r = await apiCall(s.url, token, 'POST', '/v1/audiences/preview', { definition });
  expect(r.status).toBe(200);
  return r.json['count'] as number;
};
const rows = (sql: string, params: string[] = []) => s.rt.warehouse.query(sql, params);

describe('every user is a user (HTTP)', () => {
  it("the README's track-only user is in audiences, in scores and has a churn-risk entry", async () => {
    const t = await postJson(`${s.url}/v1/track`, {
      userId: 'readme-u1',
      event: 'login',
      timestamp: iso(NOW - 40 * DAY),
    });
    expect(t.json).toMatchObject({ success: true, accepted: 1 });
    expect(await count({ kind: 'did', event: 'login' })).toBe(1);
    const risk = await apiCall(s.url, token, 'GET', '/v1/users/readme-u1/churn-risk');
    expect(risk.status).toBe(200);
    // No model yet: the answer says so in words, not with a bare null.
    expect(risk.json).toMatchObject({ userId: 'readme-u1', score: null, notScored: { code: 'no_model' } });
    const computed = await apiCall(s.url, token, 'POST', '/v1/scores/compute', {});
    expect(computed.status).toBe(200);
    expect(await rows(`SELECT lifecycle_stage FROM user_scores WHERE user_id = 'readme-u1'`)).toEqual([
      // Default rules: no login for 30 days, first seen 40 days ago.
      { lifecycle_stage: 'churned' },
    ]);
  });

  it('page, screen, group and alias on their routes and short routes, and in a batch', async () => {
    const calls: [string, Record<string, unknown>][] = [
      ['/v1/page', { userId: 'p1', name: 'Pricing', category: 'Docs', properties: { path: '/pricing' } }],
      ['/v1/p', { userId: 'p1', name: 'Home' }],
      ['/v1/screen', { userId: 'p1', name: 'Cart', properties: { items: 2 } }],
      ['/v1/s', { anonymousId: 'p1-device', name: 'Login' }],
      ['/v1/group', { userId: 'p1', groupId: 'acme', traits: { plan: 'team' } }],
      ['/v1/g', { userId: 'p2', groupId: 42 }],
      ['/v1/alias', { previousId: 'p1-device', userId: 'p1' }],
      ['/v1/a', { previousId: 'p3', userId: 'p2' }],
    ];
    for (const [path, body] of calls) {
      const r = await postJson(`${s.url}${path}`, body);
      expect([path, r.status, r.json]).toEqual([
        path,
        200,
        { success: true, accepted: 1, duplicates: 0, rejected: 0, errors: [] },
      ]);
    }
    const batch = await postJson(`${s.url}/v1/batch`, {
      batch: [
        { type: 'page', userId: 'b1', name: 'Home' },
        { type: 'screen', userId: 'b1', name: 'Feed' },
        { type: 'group', userId: 'b1', groupId: 'g-9' },
        { type: 'alias', previousId: 'b0', userId: 'b1' },
        { type: 'page', userId: 'b1', properties: 'not an object' },
        { type: 'group', userId: 'b1' },
        { type: 'alias', userId: 'b1' },
        { type: 'alias', previousId: 'b1', userId: 'b1' },
        { type: 'alias', previousId: 'b2' },
        { type: 'screen', userId: 'b1', name: 'x'.repeat(201) },
      ],
    });
    expect(batch.status).toBe(200);
    expect(batch.json).toMatchObject({ success: false, accepted: 4, rejected: 6 });
    expect(batch.json['errors']).toEqual([
      { index: 4, field: 'properties', reason: 'Expected object' },
      { index: 5, field: 'groupId', reason: 'Expected required property' },
      { index: 6, field: 'previousId', reason: 'Expected required property' },
      { index: 7, field: 'previousId', reason: 'must differ from userId' },
      { index: 8, field: 'userId', reason: 'Expected required property' },
      { index: 9, field: 'name', reason: 'Expected string length less or equal to 200' },
    ]);
    expect(
      await rows(
        `SELECT event, category, properties::VARCHAR AS p FROM events WHERE user_id = 'p1' AND event IN ('page', 'screen', 'group') ORDER BY received_at, message_id`,
      ),
    ).toEqual(
      expect.arrayContaining([
        { event: 'page', category: 'Docs', p: '{"path":"/pricing","name":"Pricing","category":"Docs"}' },
        { event: 'page', category: null, p: '{"name":"Home"}' },
        { event: 'screen', category: null, p: '{"items":2,"name":"Cart"}' },
        // The device's screen view joined p1 through the alias.
        { event: 'screen', category: null, p: '{"name":"Login"}' },
        { event: 'group', category: null, p: '{"groupId":"acme","traits":{"plan":"team"}}' },
      ]),
    );
    expect(
      await rows(
        `SELECT user_id, traits->>'group_id' AS g FROM profiles WHERE user_id IN ('p1', 'p2', 'b1') ORDER BY 1`,
      ),
    ).toEqual([
      { user_id: 'b1', g: 'g-9' },
      { user_id: 'p1', g: 'acme' },
      { user_id: 'p2', g: '42' },
    ]);
    expect(await count({ kind: 'attribute', attribute: 'group_id', op: 'eq', value: 'acme' })).toBe(1);
  });

  it('anonymous events then identify: the audience counts the merged user once, with all events', async () => {
    for (const k of [1, 2, 3]) {
      await postJson(`${s.url}/v1/track`, {
        anonymousId: 'visitor-9',
        event: 'view_item',
        timestamp: iso(NOW - k * DAY),
      });
    }
    const metric = { kind: 'metric', event: 'view_item', fn: 'count', op: 'gte', value: 4 };
    expect(await count({ kind: 'did', event: 'view_item' })).toBe(1);
    expect(await count(metric)).toBe(0);
    const id = await postJson(`${s.url}/v1/identify`, {
      userId: 'member-9',
      anonymousId: 'visitor-9',
      traits: { email: 'm9@example.com' },
    });
    expect(id.json).toMatchObject({ success: true, accepted: 1 });
    await postJson(`${s.url}/v1/track`, { userId: 'member-9', event: 'view_item', timestamp: iso(NOW) });
    expect(await count({ kind: 'did', event: 'view_item' })).toBe(1);
    // All four view_item events count for the one merged user.
    expect(await count(metric)).toBe(1);
    expect(await count({ ...metric, value: 5 })).toBe(0);
    expect(await rows(`SELECT DISTINCT user_id FROM events WHERE event = 'view_item'`)).toEqual([
      { user_id: 'member-9' },
    ]);
    expect((await rows(`SELECT count(*)::INTEGER AS n FROM events WHERE user_id = 'member-9'`))[0]).toEqual({
      n: 4,
    });
    expect(await rows(`SELECT user_id FROM profiles WHERE user_id IN ('visitor-9', 'member-9')`)).toEqual([
      { user_id: 'member-9' },
    ]);
  });

  it('an alias cycle is refused in the answer with its field and reason; replaying a batch is idempotent', async () => {
    await postJson(`${s.url}/v1/alias`, { previousId: 'cy-a', userId: 'cy-b' });
    const cyc = await postJson(`${s.url}/v1/alias`, { previousId: 'cy-b', userId: 'cy-a' });
    expect(cyc.status).toBe(400);
    expect(cyc.json).toMatchObject({
      success: false,
      accepted: 0,
      rejected: 1,
      errors: [
        {
          index: 0,
          field: 'previousId',
          reason: "would make a cycle: userId 'cy-a' is already merged into 'cy-b'",
        },
      ],
    });
    const replay = {
      batch: [
        {
          type: 'track',
          anonymousId: 'rp-anon',
          event: 'login',
          messageId: 'rp-1',
          timestamp: iso(NOW - DAY),
        },
        { type: 'identify', userId: 'rp-user', anonymousId: 'rp-anon', messageId: 'rp-2' },
        { type: 'alias', previousId: 'rp-old', userId: 'rp-user', messageId: 'rp-3' },
        { type: 'page', userId: 'rp-user', name: 'Home', messageId: 'rp-4' },
      ],
    };
    expect((await postJson(`${s.url}/v1/batch`, replay)).json).toMatchObject({ accepted: 4, duplicates: 0 });
    expect((await postJson(`${s.url}/v1/batch`, replay)).json).toMatchObject({ accepted: 0, duplicates: 4 });
    expect(
      await rows(`SELECT user_id, event FROM events WHERE message_id LIKE 'rp-%' ORDER BY message_id`),
    ).toEqual([
      { user_id: 'rp-user', event: 'login' },
      { user_id: 'rp-user', event: 'alias' },
      { user_id: 'rp-user', event: 'page' },
    ]);
    expect(
      await rows(
        `SELECT alias_id, canonical_id FROM identity_links WHERE canonical_id = 'rp-user' ORDER BY 1`,
      ),
    ).toEqual([
      { alias_id: 'rp-anon', canonical_id: 'rp-user' },
      { alias_id: 'rp-old', canonical_id: 'rp-user' },
    ]);
  });

  it('an opt-out of the anonymous id holds for the merged user', async () => {
    await s.rt.control.query(
      `INSERT INTO unsubscribes (workspace_id, user_id, channel, at, source) VALUES ('default', 'oo-anon', 'sms', now(), 'link')`,
    );
    await postJson(`${s.url}/v1/track`, { anonymousId: 'oo-anon', event: 'login' });
    await postJson(`${s.url}/v1/identify`, { userId: 'oo-user', anonymousId: 'oo-anon' });
    const optOuts = () =>
      s.rt.control.query<{ user_id: string; channel: string; source: string }>(
        `SELECT user_id, channel, source FROM unsubscribes WHERE user_id LIKE 'oo-%' ORDER BY user_id`,
      );
    // Carried right after the commit that linked the ids (asynchronously: poll briefly).
    for (let i = 0; i < 50 && (await optOuts()).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await optOuts()).toEqual([
      { user_id: 'oo-anon', channel: 'sms', source: 'link' },
      { user_id: 'oo-user', channel: 'sms', source: 'identity_merge' },
    ]);
  });
});
