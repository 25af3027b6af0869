import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../src/core/auth/roles.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { postJson, startTestServer, type TestServer } from './support/runtime.ts';

/**
 * The audience portrait (GET /v1/audiences/:id/portrait, POST /v1/audiences/portrait) on a real
 * DuckDB: every dimension's groups equal a count written by hand in SQL over the same members,
 * the largest `top` values are listed and the rest summed as "other", members without a value
 * are "unknown", and every dimension sums to the audience's size.
 */
const NOW = Date.UTC(2026, 10, 20, 12);
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

const CHANNELS = ['organic', 'distribution', 'social', 'ads'];
const CITIES = ['Shanghai', null, 'Beijing', 'Chengdu', 'Shenzhen', 'Hangzhou'];
const STAGES = ['new', 'growing', 'mature', 'silent', 'churned'];
const TIERS = ['high', 'medium', 'low', 'none'];
const LEVELS = ['high', 'medium', 'low'];
const USERS = 90;

// A small deterministic generator so the data is uneven (ties and long tails) but repeatable.
let seed = 7;
const rand = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * rand() * xs.length)] as T;

let s: TestServer;
let token = '';
let viewer = '';
let audienceId = '';
const call = async (method: string, path: string, body?: unknown, as = token) => {
  const res = await fetch(`${s.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${as}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

/** Ordered in the last 30 days (or is at high churn risk), and not from Chengdu. */
const DEFINITION = {
  kind: 'and',
  children: [
    {
      kind: 'or',
      children: [
        { kind: 'did', event: 'order', window: { type: 'last_days', days: 30 } },
        { kind: 'score', score: 'churn_risk_level', op: 'eq', value: 'high' },
      ],
    },
    { kind: 'not', child: { kind: 'attribute', attribute: 'city', op: 'eq', value: 'Chengdu' } },
  ],
};
/** The same members, written by hand. */
const MEMBERS_SQL = `
  SELECT p.user_id FROM profiles p LEFT JOIN user_scores sc ON sc.user_id = p.user_id
  WHERE (p.user_id IN (SELECT user_id FROM events WHERE event = 'order'
                        AND ts >= epoch_ms(CAST($1 AS BIGINT)) AND ts <= epoch_ms(CAST($2 AS BIGINT)))
         OR coalesce(sc.churn_risk_level = 'high', false))
    AND NOT coalesce(p.city = 'Chengdu', false)`;

/** Hand counts of one column over the members: value → users (null: no value or not scored). */
const handCount = async (
  table: 'profiles' | 'user_scores',
  column: string,
): Promise<Map<string | null, number>> => {
  const rows = await s.rt.warehouse.query(
    `SELECT d.${column} AS v, count(*) AS n FROM (${MEMBERS_SQL}) m
     LEFT JOIN ${table} d ON d.user_id = m.user_id GROUP BY d.${column}`,
    [NOW - 30 * DAY, NOW],
  );
  return new Map(rows.map((r) => [r['v'] === null ? null : String(r['v']), Number(r['n'])]));
};

interface Bucket {
  bucket: 'value' | 'other' | 'unknown';
  value: string | null;
  users: number;
}
interface Portrait {
  count: number;
  top: number;
  dimensions: { dimension: string; buckets: Bucket[] }[];
}

const SOURCES = {
  acquisition_channel: 'profiles',
  city: 'profiles',
  lifecycle_stage: 'user_scores',
  rfm_tier: 'user_scores',
  churn_risk_level: 'user_scores',
} as const;

/** What the portrait must say for a hand count and `top`: the largest values, the rest, the unknown. */
const expected = (hand: Map<string | null, number>, top: number): Bucket[] => {
  const values = [...hand]
    .filter((e): e is [string, number] => e[0] !== null)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const rest = values.slice(top).reduce((t, [, n]) => t + n, 0);
  return [
    ...values.slice(0, top).map(([value, users]) => ({ bucket: 'value' as const, value, users })),
    ...(values.length > top ? [{ bucket: 'other' as const, value: null, users: rest }] : []),
    ...(hand.has(null) ? [{ bucket: 'unknown' as const, value: null, users: hand.get(null) ?? 0 }] : []),
  ];
};

beforeAll(async () => {
  s = await startTestServer({ clock: () => NOW });
  const make = async (name: string, role: Role) => {
    const u = await createUser(s.rt.control, { name, role });
    if (!u.ok) throw new Error('user exists');
    return issueApiToken(s.rt.control, u.value.id);
  };
  token = await make('olga', 'operator');
  viewer = await make('vera', 'viewer');
  const batch: Record<string, unknown>[] = [];
  const scores: string[] = [];
  for (let i = 0; i < USERS; i += 1) {
    const userId = `u${String(i).padStart(3, '0')}`;
    const city = pick(CITIES);
    batch.push({
      type: 'identify',
      userId,
      timestamp: iso(NOW - 200 * DAY),
      traits: { acquisitionChannel: pick(CHANNELS), ...(city === null ? {} : { city }) },
    });
    const orders = Math.floor(rand() * 3);
    for (let k = 0; k < orders; k += 1)
      batch.push({
        type: 'track',
        userId,
        event: 'order',
        messageId: `o-${i}-${k}`,
        // Half a day off any day boundary, so the 30-day window is not decided by a millisecond.
        timestamp: iso(NOW - (Math.floor(rand() * 60) + 0.5) * DAY),
        properties: { amount: 10 + k },
      });
    // About one user in five is not scored.
    if (rand() < 0.8)
      scores.push(`('${userId}', '${pick(STAGES)}', '${pick(TIERS)}', '${pick(LEVELS)}', epoch_ms(${NOW}))`);
  }
  expect((await postJson(`${s.url}/v1/batch`, { batch })).json).toMatchObject({ rejected: 0 });
  await s.rt.warehouse.write(
    `INSERT INTO user_scores (user_id, lifecycle_stage, rfm_tier, churn_risk_level, computed_at) VALUES ${scores.join(', ')}`,
  );
  const created = await call('POST', '/v1/audiences', { name: 'Portrait test', definition: DEFINITION });
  expect(created.status).toBe(201);
  audienceId = String(created.json['id']);
}, 60_000);
afterAll(async () => {
  await s.stop();
  s.cleanup();
});

describe('audience portrait', () => {
  it('equals a hand count per dimension, lists the top values, sums the rest, and sums to the size', async () => {
    const size = Number(
      (await s.rt.warehouse.query(`SELECT count(*) AS n FROM (${MEMBERS_SQL})`, [NOW - 30 * DAY, NOW]))[0]?.[
        'n'
      ],
    );
    expect(size).toBeGreaterThan(20);
    expect(size).toBeLessThan(USERS);
    const preview = await call('GET', `/v1/audiences/${audienceId}/preview?sample=0`);
    expect(preview.json['count']).toBe(size);

    for (const top of [2, 8]) {
      const r = await call('GET', `/v1/audiences/${audienceId}/portrait?top=${top}`, undefined, viewer);
      expect(r.status).toBe(200);
      const p = r.json as unknown as Portrait;
      expect(p.count).toBe(size);
      expect(p.dimensions.map((d) => d.dimension)).toEqual(Object.keys(SOURCES));
      for (const d of p.dimensions) {
        const hand = await handCount(SOURCES[d.dimension as keyof typeof SOURCES], d.dimension);
        expect(d.buckets, `${d.dimension} top ${top}`).toEqual(expected(hand, top));
        expect(d.buckets.reduce((t, b) => t + b.users, 0)).toBe(size);
      }
      // With 2 of 5 cities listed, the rest is grouped; some members have no city, some no score.
      const city = p.dimensions.find((d) => d.dimension === 'city')?.buckets ?? [];
      if (top === 2) expect(city.map((b) => b.bucket)).toEqual(['value', 'value', 'other', 'unknown']);
      const stage = p.dimensions.find((d) => d.dimension === 'lifecycle_stage')?.buckets ?? [];
      expect(stage.at(-1)?.bucket).toBe('unknown');
    }
  });

  it('gives the same portrait for the unsaved definition, and refuses an invalid one with its path', async () => {
    const saved = await call('GET', `/v1/audiences/${audienceId}/portrait?top=3`);
    const unsaved = await call('POST', '/v1/audiences/portrait', { definition: DEFINITION, top: 3 });
    expect(unsaved.status).toBe(200);
    expect(unsaved.json).toEqual(saved.json);
    const bad = await call('POST', '/v1/audiences/portrait', {
      definition: { kind: 'did', event: 'order', window: { type: 'last_days', days: -1 } },
    });
    expect(bad.status).toBe(400);
    expect((bad.json['errors'] as { path: string }[])[0]?.path).toBe('definition.window.days');
    expect((await call('GET', '/v1/audiences/aud_missing/portrait')).status).toBe(404);
    expect((await call('GET', `/v1/audiences/${audienceId}/portrait?top=0`)).status).toBe(400);
  });

  it('an empty audience has a size of 0 and no groups', async () => {
    const r = await call('POST', '/v1/audiences/portrait', { definition: { kind: 'or', children: [] } });
    expect(r.json['count']).toBe(0);
    for (const d of (r.json as unknown as Portrait).dimensions) expect(d.buckets).toEqual([]);
  });

  it('refuses to delete an audience a campaign that may still run uses, naming the campaign', async () => {
    const aud = await call('POST', '/v1/audiences', { name: 'Used by a campaign', definition: DEFINITION });
    const campaign = await call('POST', '/v1/campaigns', {
      name: 'Spring recall',
      definition: {
        audienceId: aud.json['id'],
        timing: { kind: 'periodic', cron: '0 9 * * *', timezone: 'Asia/Shanghai' },
        channels: ['push'],
        content: [
          { channel: 'push', title: '回来看看', body: '专属好礼', landingUrl: 'https://example.com/a' },
        ],
        priority: 60,
        budgetCents: 500_00,
      },
    });
    expect(campaign.status).toBe(201);
    const refused = await call('DELETE', `/v1/audiences/${String(aud.json['id'])}`);
    expect(refused.status).toBe(409);
    expect(refused.json['by']).toEqual([{ id: campaign.json['id'], name: 'Spring recall' }]);
    // Once the campaign is cancelled it no longer needs the audience.
    const cancelled = await call('POST', `/v1/campaigns/${String(campaign.json['id'])}/cancel`, {});
    expect(cancelled.status).toBe(200);
    expect((await call('DELETE', `/v1/audiences/${String(aud.json['id'])}`)).status).toBe(200);
  });
});
