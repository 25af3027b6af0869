import { afterEach, describe, expect, it } from 'vitest';
import { CHANNELS, type Channel } from '../src/core/channels/channels.ts';
import type { PlanUser, ProfileColumns } from '../src/core/planner/types.ts';
import { parseRosterLines, planUsersByIds, readRoster } from '../src/planner/plan-profiles.ts';
import { openScenario, profile, seed, type ScenarioStore } from './support/score-scenario.ts';

/**
 * The planner's profile reader (plan-profiles.ts): a million profiles come out of DuckDB as ids
 * plus one packed integer each. Here it is decoded back and compared with what each profile
 * says, on the real engine.
 */

const NOW = Date.UTC(2026, 10, 20, 12);
let store: ScenarioStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

/** The columns as the objects the planner's tests build. */
const decode = (c: ProfileColumns): Map<string, Omit<PlanUser, 'unsubscribed'> & { optOut: Channel[] }> =>
  new Map(
    c.ids.map((id, i) => {
      const bits = (mask: number) => CHANNELS.filter((_, k) => (mask & (1 << k)) !== 0);
      const reach = bits(c.reach[i] as number);
      const pref = c.preferred[i] as number;
      const cat = c.category[i] as number;
      const tz = c.timezone[i] as number;
      return [
        id,
        {
          userId: id,
          timezone: tz < 0 ? null : (c.timezones[tz] ?? 'missing'),
          reachable: Object.fromEntries(CHANNELS.map((ch) => [ch, reach.includes(ch)])),
          optOut: bits(c.optOut[i] as number),
          preferredChannel: pref < 0 ? null : (CHANNELS[pref] ?? null),
          preferredCategory: cat < 0 ? null : (c.categories[cat] ?? 'missing'),
        },
      ];
    }),
  );

describe('planner profile reader', () => {
  it('reads reach, consent, opt-outs, preferences and time zones as the profiles say', async () => {
    const s = await openScenario();
    store = s;
    await seed(s.warehouse, [
      profile(
        'a',
        NOW,
        { timezone: 'Asia/Shanghai', push_token: 't', email: 'a@example.com' },
        {
          preferred_channel: 'sms',
          preferred_category: 'recall',
        },
      ),
      profile(
        'b',
        NOW,
        {
          phone: '13800000002',
          consent_sms: true,
          consent_call: true,
          email: 'b@example.com',
          consent_email: true,
          consent_wecom: true,
          push_token: 't',
          consent_push: false,
        },
        { preferred_channel: 'fax', preferred_category: 'promotion', wecom_userid: 'zhangsan' },
      ),
      profile('c', NOW, { timezone: 'America/New_York', phone: '13800000003', consent_sms: false }),
      // Consent to WeCom but neither an open id nor a member id: nothing can reach them there.
      profile('d', NOW, { consent_wecom: true }),
    ]);
    const cols = await planUsersByIds(
      s.warehouse,
      ['a', 'b', 'c', 'd', 'nobody'],
      new Map<string, ReadonlySet<Channel> | 'all'>([
        ['a', new Set<Channel>(['sms', 'email'])],
        ['b', 'all'],
      ]),
      ['recall', 'care'],
    );
    const users = decode(cols);
    expect([...users.keys()].sort()).toEqual(['a', 'b', 'c', 'd']);
    const only = (...chs: Channel[]) => Object.fromEntries(CHANNELS.map((ch) => [ch, chs.includes(ch)]));
    expect(users.get('a')).toEqual({
      userId: 'a',
      timezone: 'Asia/Shanghai',
      // A push token without an explicit refusal counts; an email without consent does not.
      reachable: only('push', 'in_app', 'webhook'),
      optOut: ['email', 'sms'],
      preferredChannel: 'sms',
      preferredCategory: 'recall',
    });
    expect(users.get('b')).toEqual({
      userId: 'b',
      timezone: null,
      reachable: only('in_app', 'email', 'sms', 'wecom', 'call', 'webhook'),
      optOut: [...CHANNELS],
      // Not a channel; and a category no campaign of the slot has is no preference for it.
      preferredChannel: null,
      preferredCategory: null,
    });
    expect(users.get('c')).toMatchObject({
      timezone: 'America/New_York',
      reachable: only('in_app', 'webhook'),
      optOut: [],
    });
    expect(users.get('d')).toMatchObject({ reachable: only('in_app', 'webhook') });
  });

  it('more time zones than the packed code holds are read by id, each user keeping their own', async () => {
    const s = await openScenario();
    store = s;
    const zones = Array.from({ length: 2100 }, (_, i) => `Zone/${String(i).padStart(4, '0')}`);
    await seed(
      s.warehouse,
      zones.map((tz, i) => profile(`u${i}`, NOW, { timezone: tz })),
    );
    const cols = await planUsersByIds(
      s.warehouse,
      zones.map((_, i) => `u${i}`),
      new Map(),
      [],
    );
    const users = decode(cols);
    expect(users.size).toBe(2100);
    for (const [i, tz] of zones.entries()) expect(users.get(`u${i}`)?.timezone).toBe(tz);
  });

  it.each([
    ['text chunks', ['a', 'b,with,commas', '中文']],
    ['columns (an id holds a newline)', ['a', 'b,with,commas', 'new\nline']],
  ])(
    'reads a roster through %s: each member once, campaign bits, profiles in the same row',
    async (_, ids) => {
      const s = await openScenario();
      store = s;
      const [a, b, c] = ids as [string, string, string];
      await seed(s.warehouse, [
        profile(a, NOW, { timezone: 'Asia/Shanghai', push_token: 't' }),
        profile(b, NOW, { phone: '13800000002', consent_sms: true }),
      ]);
      // 33 snapshots: campaign k lists a when k is even, b when k % 3 == 0, c (no profile) for k = 32.
      const snapshots = Array.from({ length: 33 }, (_, k) => ({ campaignId: `c${k}`, snapshotId: `s${k}` }));
      for (const [k, snap] of snapshots.entries()) {
        const members = [
          ...(k % 2 === 0 ? [a] : []),
          ...(k % 3 === 0 ? [b] : []),
          ...(k === 32 ? [c, c] : []),
        ];
        for (const m of members)
          await s.warehouse.write('INSERT INTO audience_snapshot_members VALUES ($1, $2)', [
            snap.snapshotId,
            m,
          ]);
      }
      const r = await readRoster(s.warehouse, snapshots, new Map([[b, 'all']]), []);
      expect([...r.ids].sort()).toEqual([...ids].sort());
      expect(r.words).toHaveLength(2);
      const campaignsOf = (id: string) => {
        const i = r.ids.indexOf(id);
        return snapshots
          .filter(
            (_, k) => (((r.words[Math.floor(k / 31)] as Int32Array)[i] as number) & (1 << (k % 31))) !== 0,
          )
          .map((x) => x.campaignId);
      };
      expect(campaignsOf(a)).toEqual(snapshots.filter((_, k) => k % 2 === 0).map((x) => x.campaignId));
      expect(campaignsOf(b)).toEqual(snapshots.filter((_, k) => k % 3 === 0).map((x) => x.campaignId));
      expect(campaignsOf(c)).toEqual(['c32']);
      const users = decode(r.profiles);
      const row = (id: string) => r.ids.indexOf(id);
      expect([r.hasProfile[row(a)], r.hasProfile[row(b)], r.hasProfile[row(c)]]).toEqual([1, 1, 0]);
      expect(users.get(a)).toMatchObject({ timezone: 'Asia/Shanghai', optOut: [] });
      expect(users.get(a)?.reachable).toMatchObject({ push: true, sms: false });
      expect(users.get(b)).toMatchObject({ timezone: null, optOut: [...CHANNELS] });
      expect(users.get(b)?.reachable).toMatchObject({ push: false, sms: true });
    },
  );

  it('parses roster lines: numbers first, the id (commas and all) last, negative numbers', () => {
    const r = parseRosterLines(['5,-1,a,b\n0,130,x', null, '7,12,'], 1);
    expect(r.ids).toEqual(['a,b', 'x', '']);
    expect([...(r.words[0] as Int32Array)]).toEqual([5, 0, 7]);
    expect([...r.packed]).toEqual([-1, 130, 12]);
  });
});
