import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Channel } from '../src/core/channels/channels.ts';
import { planSlot } from '../src/core/planner/plan-slot.ts';
import { rosterOf } from '../src/core/planner/roster.ts';
import { skipGroupsOf } from '../src/core/planner/skip-log.ts';
import type {
  CapRule,
  LocalRange,
  PlanCampaign,
  PlanInput,
  PlannerPolicy,
  PlanResult,
  PlanUser,
  SentBefore,
} from '../src/core/planner/types.ts';
import { DAY, HOUR, MINUTE } from './support/planner-input.ts';

/**
 * The planner's guarantees over random slots (features.md E1–E5): random campaigns, users in random
 * time zones (DST ones, half-hour and 45-minute offsets, an unknown one), histories, policies and
 * slot clocks, some of them hours from a DST change. Every check reads only the input and the
 * output: caps are counted by brute force over history + planned messages, local times come
 * straight from Intl, and nothing here calls the planner's own helpers.
 */

const RUNS = 200;
const USED: Channel[] = ['push', 'sms', 'email', 'call', 'in_app'];
const ZONES = [
  'Asia/Shanghai',
  'America/New_York',
  'Europe/London',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Australia/Adelaide',
  'Australia/Lord_Howe',
  'America/St_Johns',
  'America/Santiago',
  'Pacific/Chatham',
  'UTC',
];
/** DST changes in 2026, with their zone: clocks skip or repeat a local hour there. */
const ZONE_CHANGES: [string, number][] = [
  ['America/New_York', Date.UTC(2026, 2, 8, 7)],
  ['America/New_York', Date.UTC(2026, 10, 1, 6)],
  ['Europe/London', Date.UTC(2026, 2, 29, 1)],
  ['Europe/London', Date.UTC(2026, 9, 25, 1)],
  ['Australia/Adelaide', Date.UTC(2026, 3, 4, 16, 30)],
  ['Australia/Adelaide', Date.UTC(2026, 9, 3, 16, 30)],
  ['America/Santiago', Date.UTC(2026, 3, 5, 3)],
  ['America/Santiago', Date.UTC(2026, 8, 6, 4)],
  ['Australia/Lord_Howe', Date.UTC(2026, 3, 4, 15)],
];
const CHANGES = ZONE_CHANGES.map(([, t]) => t);
const USER_IDS = Array.from({ length: 8 }, (_, i) => `u${i}`);

// ---------------------------------------------------------------- generators

const clock = fc
  .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
  .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
const range: fc.Arbitrary<LocalRange> = fc.record({ start: clock, end: clock });
/** 'HH:MM' of a minute of the day (taken modulo a day). */
const hhmm = (minute: number) => {
  const m = ((minute % 1440) + 1440) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
};
const sameDayRange: fc.Arbitrary<LocalRange> = fc
  .tuple(fc.integer({ min: 0, max: 1438 }), fc.integer({ min: 1, max: 600 }))
  .map(([s, len]) => ({ start: hhmm(s), end: hhmm(Math.min(1439, s + len)) }));

const slotClock = fc.oneof(
  fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2027, 11, 31) }),
  fc
    .tuple(fc.constantFrom(...CHANGES), fc.integer({ min: -36 * HOUR, max: 36 * HOUR }))
    .map(([t, d]) => t + d),
);

/** A zone and a slot: anywhere, or within two hours of one of the zone's own DST changes. */
const placedSlot: fc.Arbitrary<[string, number]> = fc.oneof(
  fc.tuple(fc.constantFrom(...ZONES), slotClock),
  fc
    .tuple(fc.constantFrom(...ZONE_CHANGES), fc.integer({ min: -2 * HOUR, max: 2 * HOUR }))
    .map(([[zone, t], d]): [string, number] => [zone, t + d]),
);

const capRule: fc.Arbitrary<CapRule> = fc.record({
  scope: fc.constantFrom<CapRule['scope']>('total', 'total', 'total', 'push', 'sms'),
  max: fc.oneof(
    { weight: 1, arbitrary: fc.constant(0) },
    { weight: 6, arbitrary: fc.integer({ min: 1, max: 3 }) },
  ),
  window: fc.oneof(
    fc.record({ kind: fc.constant('rolling' as const), hours: fc.constantFrom(1, 6, 24, 48, 168) }),
    fc.record({
      kind: fc.constant('calendar' as const),
      unit: fc.constantFrom('day' as const, 'week' as const, 'month' as const),
    }),
  ),
});

const policyArb: fc.Arbitrary<PlannerPolicy> = fc.record({
  caps: fc.array(capRule, { maxLength: 4 }),
  quietHours: fc.option(range, { nil: null }),
  sendWindows: fc.record(
    {
      sms: fc.array(sameDayRange, { maxLength: 2 }),
      call: fc.array(sameDayRange, { minLength: 1, maxLength: 2 }),
      email: fc.array(sameDayRange, { maxLength: 2 }),
    },
    { requiredKeys: [] },
  ),
  defaultTimezone: fc.constantFrom('Asia/Shanghai', 'America/New_York', 'Asia/Kolkata'),
  maxMarketingPerSlot: fc.integer({ min: 1, max: 2 }),
  channelQuota: fc.record(
    { sms: fc.integer({ min: 0, max: 5 }), push: fc.integer({ min: 0, max: 12 }) },
    { requiredKeys: [] },
  ),
  departmentBudget: fc.record({ d1: fc.integer({ min: 0, max: 15 }) }, { requiredKeys: [] }),
});

const likely = fc.integer({ min: 0, max: 3 }).map((x) => x > 0);

const userArb = (userId: string): fc.Arbitrary<PlanUser> =>
  fc.record({
    userId: fc.constant(userId),
    timezone: fc.option(fc.constantFrom(...ZONES, 'Not/A_Zone'), { nil: null }),
    reachable: fc.record({ push: likely, sms: likely, email: likely, call: likely, in_app: likely }),
    unsubscribed: fc.oneof(
      { weight: 1, arbitrary: fc.constant('all' as const) },
      {
        weight: 5,
        arbitrary: fc.subarray(USED, { maxLength: 2 }).map((c) => new Set(c) as ReadonlySet<Channel>),
      },
    ),
    preferredChannel: fc.option(fc.constantFrom(...USED), { nil: null }),
    preferredCategory: fc.option(fc.constantFrom('recall', 'promotion'), { nil: null }),
  });

const campaignArb = (id: string): fc.Arbitrary<PlanCampaign> =>
  fc.record({
    id: fc.constant(id),
    runId: fc.constant(`${id}-run`),
    step: fc.constant('0'),
    class: fc.constantFrom(
      'marketing' as const,
      'marketing' as const,
      'marketing' as const,
      'transactional' as const,
    ),
    priority: fc.integer({ min: 1, max: 3 }),
    category: fc.constantFrom('recall', 'promotion'),
    channels: fc.shuffledSubarray(USED, { minLength: 1, maxLength: 3 }),
    reEligibilityDays: fc.option(fc.integer({ min: 1, max: 10 }), { nil: null }),
    holdoutShare: fc.constantFrom(0, 0, 0.1, 0.3, 0.5),
    variants: fc.constantFrom(
      [],
      [
        { id: 'a', weight: 1 },
        { id: 'b', weight: 1 },
      ],
      [
        { id: 'x', weight: 3 },
        { id: 'y', weight: 1 },
        { id: 'z', weight: 0.5 },
      ],
    ),
    costPerMessage: fc.record(
      {
        push: fc.integer({ min: 0, max: 2 }),
        sms: fc.integer({ min: 0, max: 5 }),
        call: fc.integer({ min: 0, max: 9 }),
      },
      { requiredKeys: [] },
    ),
    budgetRemaining: fc.option(fc.integer({ min: 0, max: 20 }), { nil: null }),
    department: fc.option(fc.constantFrom('d1', 'd2'), { nil: null }),
    outsideWindow: fc.constantFrom('hold' as const, 'drop' as const),
  });

const inputArb: fc.Arbitrary<PlanInput> = fc
  .tuple(fc.integer({ min: 1, max: 4 }), slotClock)
  .chain(([nCampaigns, slotAt]) => {
    const ids = Array.from({ length: nCampaigns }, (_, i) => `c${i}`);
    return fc.record({
      slotAt: fc.constant(slotAt),
      campaigns: fc.tuple(...ids.map(campaignArb)),
      members: fc.tuple(...ids.map(() => fc.array(fc.constantFrom(...USER_IDS, 'ghost'), { maxLength: 24 }))),
      // Most members have a profile; one in ten does not.
      users: fc
        .tuple(...USER_IDS.map((id) => fc.option(userArb(id), { freq: 10, nil: null })))
        .map((all) => all.filter((u): u is PlanUser => u !== null)),
      history: fc.array(
        fc.record({
          userId: fc.constantFrom(...USER_IDS),
          campaignId: fc.constantFrom(...ids, 'elsewhere'),
          channel: fc.constantFrom<Channel>('push', 'push', 'sms', 'sms', 'email', 'call', 'in_app'),
          class: fc.constantFrom('marketing' as const, 'transactional' as const),
          // Half of it close to the slot (including messages already booked for later), where the
          // rules bite; the rest over the month a calendar cap can see.
          at: fc.oneof(
            fc.integer({ min: slotAt - 2 * DAY, max: slotAt + 2 * DAY }),
            fc.integer({ min: slotAt - 35 * DAY, max: slotAt + 2 * DAY }),
          ),
        }),
        { minLength: 8, maxLength: 60 },
      ),
      policy: policyArb,
    });
  })
  .map((r) => {
    const history = new Map<string, SentBefore[]>();
    for (const h of r.history) history.set(h.userId, [...(history.get(h.userId) ?? []), h]);
    return {
      slotAt: r.slotAt,
      campaigns: [...r.campaigns],
      members: new Map(r.campaigns.map((c, i) => [c.id, r.members[i] ?? []])),
      users: new Map(r.users.map((u) => [u.userId, u])),
      history,
      policy: r.policy,
    };
  });

// ---------------------------------------------------------------- independent checkers

const formats = new Map<string, Intl.DateTimeFormat | null>();
const formatOf = (zone: string): Intl.DateTimeFormat | null => {
  if (!formats.has(zone)) {
    let f: Intl.DateTimeFormat | null = null;
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
      });
    } catch {
      f = null;
    }
    formats.set(zone, f);
  }
  return formats.get(zone) ?? null;
};

/** The generators build profiles as objects. */
const usersOf = (input: PlanInput) => input.users as ReadonlyMap<string, PlanUser>;
const membersOf = (input: PlanInput) => input.members as ReadonlyMap<string, readonly string[]>;

/** The user's zone as the planner must read it: their own if Intl knows it, else the default. */
const zoneOf = (input: PlanInput, userId: string): string => {
  const tz = usersOf(input).get(userId)?.timezone ?? null;
  return tz !== null && formatOf(tz) !== null ? tz : input.policy.defaultTimezone;
};

const local = (zone: string, t: number) => {
  const p = Object.fromEntries(
    (formatOf(zone) as Intl.DateTimeFormat)
      .formatToParts(t)
      .filter((x) => x.type !== 'literal')
      .map((x) => [x.type, Number(x.value)]),
  ) as Record<'year' | 'month' | 'day' | 'hour' | 'minute', number>;
  const dayNumber = Date.UTC(p.year, p.month - 1, p.day) / DAY;
  return {
    minute: p.hour * 60 + p.minute,
    day: dayNumber,
    // Monday-based weeks: 1970-01-05 was a Monday.
    week: Math.floor((dayNumber - 4) / 7),
    month: p.year * 12 + p.month,
  };
};

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const within = (m: number, r: LocalRange) => {
  const s = minutesOf(r.start);
  const e = minutesOf(r.end);
  return s < e ? m >= s && m < e : s > e ? m >= s || m < e : false;
};

interface Msg {
  at: number;
  channel: Channel;
}

/** Every window of the cap that contains a planned marketing message stays within the cap. */
const capViolations = (input: PlanInput, r: PlanResult): string[] => {
  const classOf = new Map(input.campaigns.map((c) => [c.id, c.class]));
  const problems: string[] = [];
  for (const p of r.messages) {
    if (classOf.get(p.campaignId) !== 'marketing') continue;
    const all: Msg[] = [
      ...(input.history.get(p.userId) ?? []),
      ...r.messages.filter((m) => m.userId === p.userId).map((m) => ({ at: m.sendAt, channel: m.channel })),
    ];
    const zone = zoneOf(input, p.userId);
    for (const cap of input.policy.caps) {
      if (cap.scope !== 'total' && cap.scope !== p.channel) continue;
      const counted = all.filter((m) => cap.scope === 'total' || m.channel === cap.scope);
      const w = cap.window;
      if (w.kind === 'rolling') {
        const h = w.hours * HOUR;
        for (const s of counted)
          if (s.at > p.sendAt - h && s.at <= p.sendAt) {
            const n = counted.filter((m) => m.at >= s.at && m.at < s.at + h).length;
            if (n > cap.max) problems.push(`${p.userId} ${p.campaignId}: ${n} in ${w.hours} h from ${s.at}`);
          }
      } else {
        const key = local(zone, p.sendAt)[w.unit];
        const n = counted.filter((m) => local(zone, m.at)[w.unit] === key).length;
        if (n > cap.max) problems.push(`${p.userId} ${p.campaignId}: ${n} in calendar ${w.unit} (${zone})`);
      }
    }
  }
  return problems;
};

const memberships = (input: PlanInput): string[] =>
  [...membersOf(input)].flatMap(([c, ids]) => [...new Set(ids)].map((u) => `${c}|${u}`)).sort();

const shuffled = <T>(xs: readonly T[], seed: number): T[] => {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
};

const shuffleInput = (input: PlanInput, seed: number): PlanInput => ({
  ...input,
  campaigns: shuffled(input.campaigns, seed),
  members: new Map(shuffled([...membersOf(input)], seed + 1).map(([c, ids]) => [c, shuffled(ids, seed + 2)])),
  users: new Map(shuffled([...usersOf(input)], seed + 3)),
  history: new Map(shuffled([...input.history], seed + 4).map(([u, h]) => [u, shuffled(h, seed + 5)])),
});

// ---------------------------------------------------------------- properties

describe('planner properties', () => {
  it('accounts for every member once, and keeps caps, re-eligibility, local times, budgets and quotas', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const r = planSlot(input);
        const byId = new Map(input.campaigns.map((c) => [c.id, c]));

        // Each distinct (campaign, member) exactly once in messages / holdout / skipped.
        const seen = [
          ...r.messages.map((m) => `${m.campaignId}|${m.userId}`),
          ...r.holdout.map((h) => `${h.campaignId}|${h.userId}`),
          ...r.skipped.map((s) => `${s.campaignId}|${s.userId}`),
        ].sort();
        expect(seen).toEqual(memberships(input));

        expect(capViolations(input, r)).toEqual([]);

        const perUser = new Map<string, number>();
        for (const m of r.messages) {
          const c = byId.get(m.campaignId) as PlanCampaign;
          const u = usersOf(input).get(m.userId) as PlanUser;
          expect(c.channels).toContain(m.channel);
          expect(u.reachable[m.channel]).toBe(true);
          expect(m.idempotencyKey).toBe(`${c.id}:${c.runId}:${c.step}:${m.userId}`);
          expect(m.costCents).toBe(c.costPerMessage[m.channel] ?? 0);
          expect(m.sendAt).toBeGreaterThanOrEqual(input.slotAt);
          if (c.class === 'transactional') {
            expect(m.sendAt).toBe(input.slotAt);
            continue;
          }
          perUser.set(m.userId, (perUser.get(m.userId) ?? 0) + 1);
          expect(u.unsubscribed === 'all' || u.unsubscribed.has(m.channel)).toBe(false);
          // Re-eligibility: nothing from the same campaign less than N days away.
          if (c.reEligibilityDays !== null)
            for (const h of input.history.get(m.userId) ?? [])
              if (h.campaignId === c.id)
                expect(Math.abs(h.at - m.sendAt)).toBeGreaterThanOrEqual(c.reEligibilityDays * DAY);
          // Local time of the send: outside quiet hours, inside the channel's windows.
          const zone = zoneOf(input, m.userId);
          const at = local(zone, m.sendAt).minute;
          const q = input.policy.quietHours;
          if (q) expect(within(at, q), `${zone} ${at} in quiet hours ${q.start}-${q.end}`).toBe(false);
          const windows = input.policy.sendWindows[m.channel];
          if (windows) expect(windows.some((w) => within(at, w))).toBe(true);
          if (m.sendAt > input.slotAt) {
            // Held, never dropped-and-sent, and only when the slot itself was not allowed.
            expect(c.outsideWindow).toBe('hold');
            const now = local(zone, input.slotAt).minute;
            expect(
              (q !== null && within(now, q)) ||
                (windows !== undefined && !windows.some((w) => within(now, w))),
            ).toBe(true);
            expect(m.sendAt - input.slotAt).toBeLessThan(2 * DAY);
          }
        }
        for (const n of perUser.values()) expect(n).toBeLessThanOrEqual(input.policy.maxMarketingPerSlot);

        // Budgets and quotas: reserved as planned, never exceeded, reported as spent.
        const sum = (pick: (c: PlanCampaign) => boolean) =>
          r.messages
            .filter((m) => pick(byId.get(m.campaignId) as PlanCampaign))
            .reduce((s, m) => s + m.costCents, 0);
        for (const c of input.campaigns) {
          const spent = sum((x) => x.id === c.id);
          expect(r.spend[c.id]).toBe(spent);
          if (c.budgetRemaining !== null) expect(spent).toBeLessThanOrEqual(c.budgetRemaining);
        }
        for (const [dept, cents] of Object.entries(r.departmentSpend)) {
          expect(cents).toBe(sum((c) => c.department === dept));
          const limit = input.policy.departmentBudget[dept];
          if (limit !== undefined) expect(cents).toBeLessThanOrEqual(limit);
        }
        for (const [ch, quota] of Object.entries(input.policy.channelQuota)) {
          const used = r.messages.filter((m) => m.channel === ch).length;
          expect(used).toBeLessThanOrEqual(quota);
          expect(r.quotaUse[ch as Channel]).toBe(used);
        }

        // Transactional messages are never stopped by caps, timing, conflicts, re-eligibility or opt-outs.
        for (const s of r.skipped)
          if (byId.get(s.campaignId)?.class === 'transactional')
            expect([
              'no_profile',
              'unreachable',
              'campaign_budget',
              'department_budget',
              'channel_quota',
            ]).toContain(s.reason);
      }),
      { numRuns: RUNS },
    );
  });

  it('gives the same output, byte for byte, whatever the order of the input', () => {
    fc.assert(
      fc.property(inputArb, fc.integer({ min: 1, max: 1_000_000 }), (input, seed) => {
        const a = planSlot(input);
        const b = planSlot(shuffleInput(input, seed));
        expect(JSON.stringify(b)).toBe(JSON.stringify(a));
      }),
      { numRuns: RUNS },
    );
  });

  it('plans a roster (one row per user, campaigns as bits, profiles aligned) as it plans the lists', () => {
    fc.assert(
      fc.property(inputArb, fc.integer({ min: 1, max: 1_000_000 }), (input, seed) => {
        const shuffledInput = shuffleInput(input, seed);
        // 33 campaigns the slot does not plan come first: the real ones sit in the second word
        // and the ghosts' bits are ignored.
        const ghosts = Array.from(
          { length: 33 },
          (_, g) => [`ghost${g}`, [...usersOf(input).keys()]] as const,
        );
        const members = new Map<string, readonly string[]>([...ghosts, ...membersOf(shuffledInput)]);
        const roster = rosterOf(members, usersOf(shuffledInput));
        expect(roster.words).toHaveLength(Math.ceil(members.size / 31));
        const viaRoster = planSlot({ ...shuffledInput, members: roster, users: null });
        expect(JSON.stringify(viaRoster)).toBe(JSON.stringify(planSlot(input)));
      }),
      { numRuns: RUNS },
    );
  });

  it('groups its skips (for the warehouse) exactly as it lists them', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const r = planSlot(input);
        const groups = skipGroupsOf(r) ?? [];
        const fromGroups = groups.flatMap((g) =>
          g.userIds.map((u) => `${g.campaignId}|${u}|${g.reason}|${g.detail}`),
        );
        const listed = r.skipped.map((x) => `${x.campaignId}|${x.userId}|${x.reason}|${x.detail}`);
        expect(fromGroups.sort()).toEqual(listed.sort());
        expect(new Set(groups.map((g) => `${g.campaignId}|${g.reason}|${g.detail}`)).size).toBe(
          groups.length,
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('keeps holdout and variant assignment when other campaigns or users change', () => {
    fc.assert(
      fc.property(inputArb, fc.integer({ min: 0, max: 3 }), fc.subarray(USER_IDS), (input, drop, gone) => {
        // Another slot, one campaign fewer (when there are several), some members gone.
        const campaigns =
          input.campaigns.length > 1 ? input.campaigns.filter((_, i) => i !== drop) : input.campaigns;
        const changed: PlanInput = {
          ...input,
          slotAt: input.slotAt + 3 * DAY,
          campaigns,
          members: new Map(
            campaigns.map((c) => [c.id, (membersOf(input).get(c.id) ?? []).filter((u) => !gone.includes(u))]),
          ),
        };
        const groups = (r: PlanResult) =>
          new Map<string, string>([
            ...r.holdout.map((h) => [`${h.campaignId}|${h.userId}`, 'holdout'] as const),
            ...r.messages.map((m) => [`${m.campaignId}|${m.userId}`, `variant ${m.variant}`] as const),
          ]);
        const before = groups(planSlot(input));
        for (const [key, group] of groups(planSlot(changed)))
          if (before.has(key)) expect(group, key).toBe(before.get(key));
      }),
      { numRuns: RUNS },
    );
  });
});

/**
 * One user, one campaign, one rule at a time: here the expected outcome is computed exactly
 * (by brute force from Intl), so the planner must neither break the rule nor be stricter than it.
 */
describe('planner properties, one rule at a time', () => {
  const lone = (
    slotAt: number,
    zone: string,
    history: number[],
    over: Partial<PlannerPolicy>,
  ): PlanInput => ({
    slotAt,
    campaigns: [
      {
        id: 'A',
        runId: 'r',
        step: '0',
        class: 'marketing',
        priority: 1,
        category: 'recall',
        channels: ['push'],
        reEligibilityDays: null,
        holdoutShare: 0,
        variants: [],
        costPerMessage: {},
        budgetRemaining: null,
        department: null,
        outsideWindow: 'hold',
      },
    ],
    members: new Map([['A', ['u']]]),
    users: new Map([
      [
        'u',
        {
          userId: 'u',
          timezone: zone,
          reachable: { push: true },
          unsubscribed: new Set<Channel>(),
          preferredChannel: null,
          preferredCategory: null,
        },
      ],
    ]),
    history: new Map([
      [
        'u',
        history.map((at) => ({
          userId: 'u',
          campaignId: 'X',
          channel: 'push' as const,
          class: 'marketing' as const,
          at,
        })),
      ],
    ]),
    policy: {
      caps: [],
      quietHours: null,
      sendWindows: {},
      defaultTimezone: 'UTC',
      maxMarketingPerSlot: 1,
      channelQuota: {},
      departmentBudget: {},
      ...over,
    },
  });
  const offsets = fc.array(
    fc.oneof(fc.integer({ min: -36 * HOUR, max: 36 * HOUR }), fc.integer({ min: -33 * DAY, max: 3 * DAY })),
    { maxLength: 4 },
  );

  it('a calendar cap counts exactly the local day, week or month of the send', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        slotClock,
        fc.constantFrom('day' as const, 'week' as const, 'month' as const),
        fc.integer({ min: 1, max: 2 }),
        offsets,
        (zone, slotAt, unit, max, deltas) => {
          const history = deltas.map((d) => slotAt + d);
          const r = planSlot(
            lone(slotAt, zone, history, {
              caps: [{ scope: 'total', max, window: { kind: 'calendar', unit } }],
            }),
          );
          const key = local(zone, slotAt)[unit];
          const inPeriod = history.filter((t) => local(zone, t)[unit] === key).length;
          expect(r.messages.length, `${inPeriod} already in the ${unit}`).toBe(inPeriod < max ? 1 : 0);
          if (inPeriod >= max) expect(r.skipped[0]?.reason).toBe('cap_total');
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('a rolling cap allows a message exactly when every window around it has room', () => {
    fc.assert(
      fc.property(
        slotClock,
        fc.constantFrom(1, 6, 24, 48, 168),
        fc.integer({ min: 1, max: 3 }),
        offsets,
        (slotAt, hours, max, deltas) => {
          const h = hours * HOUR;
          const times = [...deltas.map((d) => slotAt + d), slotAt];
          const fits = times
            .filter((s) => s > slotAt - h && s <= slotAt)
            .every((s) => times.filter((t) => t >= s && t < s + h).length <= max);
          const r = planSlot(
            lone(slotAt, 'UTC', times.slice(0, -1), {
              caps: [{ scope: 'total', max, window: { kind: 'rolling', hours } }],
            }),
          );
          expect(r.messages.length).toBe(fits ? 1 : 0);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('holds a message to exactly the first allowed local minute, or drops it', () => {
    fc.assert(
      fc.property(
        placedSlot,
        // Quiet hours anywhere, or around the slot's local time (so the hold lands close by).
        fc.oneof(
          fc.option(range, { nil: null }).map((q) => () => q),
          fc
            .tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 300 }))
            .map(([before, after]) => (minute: number) => ({
              start: hhmm(minute - before),
              end: hhmm(minute + after),
            })),
        ),
        fc.option(fc.array(sameDayRange, { minLength: 1, maxLength: 2 }), { nil: undefined }),
        fc.constantFrom('hold' as const, 'drop' as const),
        ([zone, slotAt], quietAround, windows, outsideWindow) => {
          const quietHours = quietAround(local(zone, slotAt).minute);
          const allowed = (t: number) => {
            const m = local(zone, t).minute;
            return (
              !(quietHours !== null && within(m, quietHours)) &&
              (windows === undefined || windows.some((w) => within(m, w)))
            );
          };
          // Local minutes start on whole UTC minutes in every zone used here.
          let expected: number | null = allowed(slotAt) ? slotAt : null;
          if (expected === null && outsideWindow === 'hold')
            for (let t = Math.floor(slotAt / MINUTE) * MINUTE + MINUTE; t < slotAt + 2 * DAY; t += MINUTE)
              if (allowed(t)) {
                expected = t;
                break;
              }
          const input = lone(slotAt, zone, [], { quietHours, sendWindows: windows ? { push: windows } : {} });
          input.campaigns[0] = { ...(input.campaigns[0] as PlanCampaign), outsideWindow };
          const r = planSlot(input);
          expect(r.messages.map((m) => m.sendAt)).toEqual(expected === null ? [] : [expected]);
          if (expected === null) {
            const inQuiet = quietHours !== null && within(local(zone, slotAt).minute, quietHours);
            expect(r.skipped[0]?.reason).toBe(inQuiet ? 'quiet_hours' : 'send_window');
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});

// Keeps the fixed minute arithmetic above honest: local() must agree with a known instant.
describe('planner property checkers', () => {
  it('read local time from Intl', () => {
    expect(local('America/New_York', Date.UTC(2026, 2, 8, 12))).toEqual({
      minute: 8 * 60,
      day: Date.UTC(2026, 2, 8) / DAY,
      week: Math.floor((Date.UTC(2026, 2, 8) / DAY - 4) / 7),
      month: 2026 * 12 + 3,
    });
    expect(local('Asia/Kathmandu', Date.UTC(2026, 0, 1) + 15 * MINUTE).minute).toBe(6 * 60);
    // 2026-03-08 is a Sunday: the same week as Monday the 2nd, not Monday the 9th.
    expect(local('UTC', Date.UTC(2026, 2, 8)).week).toBe(local('UTC', Date.UTC(2026, 2, 2)).week);
    expect(local('UTC', Date.UTC(2026, 2, 9)).week).toBe(local('UTC', Date.UTC(2026, 2, 8)).week + 1);
  });
});
