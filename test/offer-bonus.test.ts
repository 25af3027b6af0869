import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { grantBonuses } from '../src/campaigns/offer-bonuses.ts';
import { evaluateBonuses, type CandidateEvent, type OpenBonus } from '../src/core/offers/bonus.ts';
import { issueOffer, validateOffer, type Offer } from '../src/core/offers/index.ts';
import { auditFor } from '../src/storage/control/audit-log.ts';
import { bookBonusGrant } from '../src/storage/control/offer-bonuses.ts';
import { insertIssuedOffers } from '../src/storage/control/offers-issued.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { apiCall, postJson, startTestServer, type TestServer } from './support/runtime.ts';

/**
 * Conditional bonuses (features.md D4) on real PGlite + DuckDB with an injected clock: "invest
 * ¥10 000 within 7 days of issue → 1 000 points" is evaluated on the ingested events and granted
 * once, with its cost (1 000 points × ¥0.005 = 500 fen), never at issue.
 */

const T0 = Date.UTC(2026, 10, 20, 4); // 12:00 Shanghai: the offers are issued
const DAY = 86_400_000;
let now = T0;

const offer = ((): Offer => {
  const r = validateOffer({
    kind: 'points',
    amount: {
      type: 'conditional_bonus',
      amount: 1000,
      condition: {
        event: 'invest',
        minEventAmount: 10_000,
        withinDays: 7,
        action: { zh: '投资', en: 'invest' },
      },
    },
    pointValueCents: 0.5,
    validityDays: 7,
    expectedRedemptionRate: 0.3,
    costRecognition: 'issue',
  });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
})();

const issued = (userId: string) => {
  const r = issueOffer(offer, {}, { campaignId: 'c1', userId, now: T0, secret: 's' });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

let server: TestServer;
let token = '';
const codes: Record<string, string> = {};

const track = (userId: string, event: string, at: number, amount: number, messageId: string) =>
  postJson(`${server.url}/v1/track`, {
    userId,
    event,
    messageId,
    timestamp: new Date(at).toISOString(),
    properties: { amount },
  });

beforeAll(async () => {
  server = await startTestServer({ clock: () => now });
  const { control } = server.rt;
  const op = await createUser(control, { name: 'olga', role: 'operator' });
  if (!op.ok) throw new Error('user exists');
  token = await issueApiToken(control, op.value.id);
  const offers = ['u1', 'u2', 'u3', 'u4'].map((u) => ({ idempotencyKey: `c1:r1:0:${u}`, offer: issued(u) }));
  for (const o of offers) codes[o.offer.userId] = o.offer.code;
  await control.transaction((tx) => insertIssuedOffers(tx, 'default', offers));
  now = T0 + 10 * DAY; // every event below has happened by now
  // u1 invests 9 999 on day 3: short of the minimum.
  expect((await track('u1', 'invest', T0 + 3 * DAY, 9_999, 'e-u1')).status).toBe(200);
  // u2 invests 10 000 on day 8: after the 7 days.
  expect((await track('u2', 'invest', T0 + 8 * DAY, 10_000, 'e-u2')).status).toBe(200);
  // u3 invests 10 000 on day 3 (and again on day 4): earned, by the first.
  expect((await track('u3', 'invest', T0 + 3 * DAY, 10_000, 'e-u3a')).status).toBe(200);
  expect((await track('u3', 'invest', T0 + 4 * DAY, 20_000, 'e-u3b')).status).toBe(200);
  // u4 does something else worth 50 000: not the event asked for.
  expect((await track('u4', 'withdraw', T0 + 2 * DAY, 50_000, 'e-u4')).status).toBe(200);
}, 120_000);

afterAll(async () => {
  await server.stop();
  server.cleanup();
});

const rows = () =>
  server.rt.control.query<Record<string, unknown>>(
    `SELECT user_id, cost_at_issue, bonus_granted_at, bonus_amount, bonus_cost_cents, bonus_message_id
       FROM offers_issued ORDER BY user_id`,
  );

describe('conditional bonus', () => {
  it('books nothing at issue: the bonus costs only when earned', async () => {
    for (const r of await rows()) {
      expect(Number(r['cost_at_issue'])).toBe(0);
      expect(r['bonus_granted_at']).toBeNull();
      expect(Number(r['bonus_cost_cents'])).toBe(0);
    }
  });

  it('grants u3 once, with its cost; 9 999, day 8 and another event grant nothing; twice and in parallel still once', async () => {
    const first = await grantBonuses(server.rt, 'default');
    expect(first).toMatchObject({ open: 4, granted: 1, facts: 1 });
    const again = await Promise.all([grantBonuses(server.rt, 'default'), grantBonuses(server.rt, 'default')]);
    expect(again.map((r) => [r.granted, r.facts])).toEqual([
      [0, 0],
      [0, 0],
    ]);
    const byUser = Object.fromEntries((await rows()).map((r) => [r['user_id'], r]));
    expect(byUser['u3']).toMatchObject({ bonus_message_id: 'e-u3a' });
    expect(Number(byUser['u3']?.['bonus_amount'])).toBe(1000);
    expect(Number(byUser['u3']?.['bonus_cost_cents'])).toBe(500);
    expect(new Date(byUser['u3']?.['bonus_granted_at'] as string).getTime()).toBe(now);
    for (const u of ['u1', 'u2', 'u4']) {
      expect(byUser[u]?.['bonus_granted_at']).toBeNull();
      expect(Number(byUser[u]?.['bonus_cost_cents'])).toBe(0);
    }
    const audit = await auditFor(server.rt.control, 'default', 'offer', codes['u3'] ?? '');
    expect(audit.map((a) => a.action)).toEqual(['offer.bonus_grant']);
    const facts = await server.rt.warehouse.query<{ message_id: string; user_id: string; source: string }>(
      `SELECT message_id, user_id, source FROM events WHERE event = 'offer_bonus_granted'`,
    );
    expect(facts).toEqual([{ message_id: `bonus:${codes['u3']}`, user_id: 'u3', source: 'offers' }]);
  });

  it('a later run after the window, with u1 investing again too late, still grants nothing more', async () => {
    now = T0 + 12 * DAY;
    expect((await track('u1', 'invest', T0 + 11 * DAY, 30_000, 'e-u1-late')).status).toBe(200);
    expect(await grantBonuses(server.rt, 'default')).toMatchObject({ open: 3, granted: 0, facts: 0 });
  });

  it('the shop reads the grant from the API; the user’s offers show it', async () => {
    const feed = await apiCall(
      server.url,
      token,
      'GET',
      `/v1/offers/bonuses?since=${new Date(T0).toISOString()}`,
    );
    expect(feed.status).toBe(200);
    expect(feed.json['grants']).toEqual([
      {
        code: codes['u3'],
        campaignId: 'c1',
        userId: 'u3',
        kind: 'points',
        amount: 1000,
        costCents: 500,
        qualifyingMessageId: 'e-u3a',
        qualifyingEventAt: new Date(T0 + 3 * DAY).toISOString(),
        grantedAt: new Date(T0 + 10 * DAY).toISOString(),
      },
    ]);
    const mine = await apiCall(server.url, token, 'GET', '/v1/users/u3/offers');
    expect(mine.status).toBe(200);
    const [o] = mine.json['offers'] as Record<string, unknown>[];
    expect(o).toMatchObject({
      code: codes['u3'],
      kind: 'points',
      amount: 1000,
      condition: { zh: '7天内投资满10,000元，即得1,000积分' },
      bonus: {
        event: 'invest',
        minEventAmount: 10_000,
        amount: 1000,
        costCents: 500,
        qualifyingMessageId: 'e-u3a',
      },
    });
    const none = await apiCall(server.url, token, 'GET', '/v1/users/u1/offers');
    expect((none.json['offers'] as { bonus: { grantedAt: unknown } }[])[0]?.bonus.grantedAt).toBeNull();
    const run = await apiCall(server.url, token, 'POST', '/v1/offers/bonuses/grant');
    expect(run).toMatchObject({ status: 200, json: { granted: 0 } });
    const viewer = await createUser(server.rt.control, { name: 'vic', role: 'viewer' });
    if (!viewer.ok) throw new Error('user exists');
    const viewerToken = await issueApiToken(server.rt.control, viewer.value.id);
    expect((await apiCall(server.url, viewerToken, 'POST', '/v1/offers/bonuses/grant')).status).toBe(403);
    expect((await apiCall(server.url, viewerToken, 'GET', '/v1/offers/bonuses')).status).toBe(200);
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/offers/bonuses', '/v1/offers/bonuses/grant', '/v1/users/{id}/offers']),
    );
  });

  it('a grant booked by a process that died before writing its fact gets the fact on the next run', async () => {
    // As if the loop booked u1's grant and crashed before the warehouse write.
    const booked = await bookBonusGrant(
      server.rt.control,
      'default',
      {
        code: codes['u1'] ?? '',
        campaignId: 'c1',
        userId: 'u1',
        kind: 'points',
        amount: 1000,
        costCents: 500,
        messageId: 'e-u1',
        eventAt: T0 + 3 * DAY,
      },
      now,
    );
    expect(booked).toBe(true);
    expect(await grantBonuses(server.rt, 'default')).toMatchObject({ granted: 0, facts: 1 });
    expect(await grantBonuses(server.rt, 'default')).toMatchObject({ granted: 0, facts: 0 });
  });
});

describe('conditional bonus on PostgreSQL: parallel passes grant once', () => {
  let pg: TestServer;
  beforeAll(async () => {
    pg = await startTestServer({
      clock: () => T0 + 10 * DAY,
      config: { databaseUrl: inject('postgresUrl') },
      controlSchema: `bonus_${randomBytes(4).toString('hex')}`,
    });
    const offers = ['p1', 'p2'].map((u) => ({ idempotencyKey: `c1:r1:0:${u}`, offer: issued(u) }));
    await pg.rt.control.transaction((tx) => insertIssuedOffers(tx, 'default', offers));
    for (const u of ['p1', 'p2'])
      expect(
        (
          await postJson(`${pg.url}/v1/track`, {
            userId: u,
            event: 'invest',
            messageId: `e-${u}`,
            timestamp: new Date(T0 + 2 * DAY).toISOString(),
            properties: { amount: 12_000 },
          })
        ).status,
      ).toBe(200);
  }, 120_000);
  afterAll(async () => {
    await pg.stop();
    pg.cleanup();
  });

  it('six concurrent passes (separate pooled connections) book each of the two grants once', async () => {
    const runs = await Promise.all(Array.from({ length: 6 }, () => grantBonuses(pg.rt, 'default')));
    expect(runs.reduce((n, r) => n + r.granted, 0)).toBe(2);
    expect(runs.reduce((n, r) => n + r.facts, 0)).toBe(2);
    const booked = await pg.rt.control.query<{ n: string; cost: string }>(
      `SELECT count(*) AS n, sum(bonus_cost_cents) AS cost FROM offers_issued WHERE bonus_granted_at IS NOT NULL`,
    );
    expect(booked.map((r) => [Number(r.n), Number(r.cost)])).toEqual([[2, 1000]]);
    const audits = await pg.rt.control.query<{ n: string }>(
      `SELECT count(*) AS n FROM audit_log WHERE action = 'offer.bonus_grant'`,
    );
    expect(Number(audits[0]?.n)).toBe(2);
  });
});

describe('evaluateBonuses (pure)', () => {
  const open: OpenBonus = {
    code: 'X',
    campaignId: 'c',
    userId: 'u',
    kind: 'points',
    amount: 1000,
    valueCents: 500,
    issuedAt: T0,
    event: 'invest',
    minEventAmount: 10_000,
    deadline: T0 + 7 * DAY,
  };
  const ev = (over: Partial<CandidateEvent>): CandidateEvent => ({
    messageId: 'm',
    userId: 'u',
    event: 'invest',
    ts: T0 + DAY,
    amount: 10_000,
    ...over,
  });

  it('the window is [issue, issue + 7 days), judged at the injected now', () => {
    expect(evaluateBonuses([open], [ev({ ts: T0 })], T0 + DAY)).toHaveLength(1);
    expect(evaluateBonuses([open], [ev({ ts: T0 - 1 })], T0 + DAY)).toEqual([]);
    expect(evaluateBonuses([open], [ev({ ts: T0 + 7 * DAY - 1 })], T0 + 8 * DAY)).toHaveLength(1);
    expect(evaluateBonuses([open], [ev({ ts: T0 + 7 * DAY })], T0 + 8 * DAY)).toEqual([]);
    // An event stamped after now (a client clock ahead) does not count yet.
    expect(evaluateBonuses([open], [ev({ ts: T0 + 2 * DAY })], T0 + DAY)).toEqual([]);
  });

  it('amount: at least the minimum; none when the event has no amount; any without a minimum', () => {
    expect(evaluateBonuses([open], [ev({ amount: 9_999.99 })], T0 + 2 * DAY)).toEqual([]);
    expect(evaluateBonuses([open], [ev({ amount: null })], T0 + 2 * DAY)).toEqual([]);
    const noMin: OpenBonus = { ...open, minEventAmount: undefined };
    expect(evaluateBonuses([noMin], [ev({ amount: null })], T0 + 2 * DAY)).toHaveLength(1);
  });

  it('the earliest qualifying event wins (ties by message id); other users and events never count', () => {
    const events = [
      ev({ messageId: 'b', ts: T0 + 2 * DAY }),
      ev({ messageId: 'a', ts: T0 + 2 * DAY }),
      ev({ messageId: 'z', ts: T0 + 3 * DAY }),
      ev({ messageId: 'other-user', userId: 'v', ts: T0 + DAY }),
      ev({ messageId: 'other-event', event: 'order', ts: T0 + DAY }),
    ];
    expect(evaluateBonuses([open], events, T0 + 5 * DAY)).toEqual([
      {
        code: 'X',
        campaignId: 'c',
        userId: 'u',
        kind: 'points',
        amount: 1000,
        costCents: 500,
        messageId: 'a',
        eventAt: T0 + 2 * DAY,
      },
    ]);
  });
});
