import { budgetShortDetail } from '../src/core/planner/budget-words.ts';
import { skipWords } from '../src/core/planner/decision-words.ts';
import { describe, expect, it } from 'vitest';
import { assignmentOf, isHeldOut } from '../src/core/planner/assignment.ts';
import { hashString } from '../src/core/planner/hash.ts';
import { planSlot } from '../src/core/planner/plan-slot.ts';
import {
  calendarPeriod,
  instantOfWall,
  localMinuteOfDay,
  offsetAt,
  zoneAround,
} from '../src/core/planner/time-zones.ts';
import {
  campaign,
  DAY,
  HOUR,
  iso,
  outcomeOf,
  plan,
  policy,
  sent,
  user,
  type Scenario,
} from './support/planner-input.ts';

/**
 * The planner's pure core (features.md E1–E5), one scenario per rule with hand-computed expectations.
 * Unless a test says otherwise, users live in Asia/Shanghai (UTC+8, no DST) and the slot is
 * Friday 2026-11-20 12:00 there (04:00 UTC). The invariants over random inputs are in
 * planner-property.test.ts.
 */

const S = Date.UTC(2026, 10, 20, 4);
const dailyCap = { scope: 'total', max: 1, window: { kind: 'calendar', unit: 'day' } } as const;

/** A user id whose holdout draw for the campaign (share 0.5) falls in, or out of, the holdout. */
const heldOutId = (campaignId: string, inHoldout: boolean): string => {
  const a = assignmentOf(campaignId, 0.5, []);
  for (let i = 0; ; i++) if (isHeldOut(a, hashString(`h${i}`)) === inHoldout) return `h${i}`;
};

describe('planner: members and reach', () => {
  it('accounts for every member once: a repeated member counts once, a member without a profile is skipped', () => {
    const r = plan({
      slotAt: S,
      campaigns: [campaign('A')],
      members: { A: ['u1', 'u2', 'u1', 'ghost'] },
      users: [user('u1'), user('u2')],
    });
    expect(r.messages.map((m) => m.userId).sort()).toEqual(['u1', 'u2']);
    expect(r.skipped).toEqual([{ campaignId: 'A', userId: 'ghost', reason: 'no_profile', detail: null }]);
    expect(r.holdout).toEqual([]);
    const m = r.messages.find((x) => x.userId === 'u1');
    expect(m).toEqual({
      campaignId: 'A',
      runId: 'run1',
      step: '0',
      userId: 'u1',
      channel: 'push',
      variant: null,
      sendAt: S,
      costCents: 0,
      idempotencyKey: 'A:run1:0:u1',
    });
  });

  it("uses the user's preferred channel when the campaign allows it, else the first reachable one", () => {
    const r = plan({
      slotAt: S,
      campaigns: [campaign('A', { channels: ['sms', 'push', 'email'] })],
      members: { A: ['pref-email', 'pref-call', 'no-sms', 'nothing'] },
      users: [
        user('pref-email', { preferredChannel: 'email' }),
        user('pref-call', { preferredChannel: 'call' }),
        user('no-sms', { reachable: { push: true, sms: false } }),
        user('nothing', { reachable: { call: true } }),
      ],
    });
    expect(outcomeOf(r, 'A', 'pref-email')).toBe(`email@${iso(S)}`);
    expect(outcomeOf(r, 'A', 'pref-call')).toBe(`sms@${iso(S)}`);
    expect(outcomeOf(r, 'A', 'no-sms')).toBe(`push@${iso(S)}`);
    expect(r.skipped).toEqual([
      {
        campaignId: 'A',
        userId: 'nothing',
        reason: 'unreachable',
        detail: 'no contact or consent on sms, push, email',
      },
    ]);
  });

  it('honours opt-outs per channel and from everything; transactional messages ignore opt-outs, not reach', () => {
    const r = plan({
      slotAt: S,
      campaigns: [
        campaign('M', { channels: ['sms', 'push'] }),
        campaign('T', { class: 'transactional', channels: ['sms'] }),
      ],
      members: { M: ['no-sms', 'no-all', 'no-sms-only-sms'], T: ['no-all', 'unreachable'] },
      users: [
        user('no-sms', { unsubscribed: new Set(['sms']) }),
        user('no-all', { unsubscribed: 'all' }),
        user('no-sms-only-sms', { unsubscribed: new Set(['sms']), reachable: { sms: true } }),
        user('unreachable', { reachable: { push: true } }),
      ],
    });
    expect(outcomeOf(r, 'M', 'no-sms')).toBe(`push@${iso(S)}`);
    expect(r.skipped.find((s) => s.userId === 'no-all' && s.campaignId === 'M')).toMatchObject({
      reason: 'unsubscribed',
      detail: 'opted out of every channel',
    });
    // Unreachable on push, opted out of sms: the furthest rule reached is reported.
    expect(outcomeOf(r, 'M', 'no-sms-only-sms')).toBe('unsubscribed');
    expect(outcomeOf(r, 'T', 'no-all')).toBe(`sms@${iso(S)}`);
    expect(outcomeOf(r, 'T', 'unreachable')).toBe('unreachable');
  });
});

describe('planner: global caps (E1)', () => {
  it('a rolling cap counts the history inside the window', () => {
    const cap = { scope: 'total', max: 2, window: { kind: 'rolling', hours: 24 } } as const;
    const r = plan({
      slotAt: S,
      campaigns: [campaign('A')],
      members: { A: ['busy', 'calm'] },
      users: [user('busy'), user('calm')],
      history: [
        sent('busy', 'X', S - 23 * HOUR),
        sent('busy', 'Y', S - HOUR, 'sms', 'transactional'),
        sent('calm', 'X', S - 25 * HOUR),
        sent('calm', 'Y', S - HOUR),
      ],
      policy: policy({ caps: [cap] }),
    });
    expect(outcomeOf(r, 'A', 'busy')).toBe('cap_total');
    expect(r.skipped[0]?.detail).toBe('total cap: at most 2 per 24 h (rolling)');
    expect(outcomeOf(r, 'A', 'calm')).toBe(`push@${iso(S)}`);
  });

  it('a rolling cap holds for every window, including ones reaching a message planned for later', () => {
    const cap = { scope: 'total', max: 1, window: { kind: 'rolling', hours: 24 } } as const;
    const r = plan({
      slotAt: S,
      campaigns: [campaign('A')],
      members: { A: ['later-today', 'in-a-day'] },
      users: [user('later-today'), user('in-a-day')],
      history: [sent('later-today', 'X', S + 20 * HOUR), sent('in-a-day', 'X', S + 24 * HOUR)],
      policy: policy({ caps: [cap] }),
    });
    expect(outcomeOf(r, 'A', 'later-today')).toBe('cap_total');
    expect(outcomeOf(r, 'A', 'in-a-day')).toBe(`push@${iso(S)}`);
  });

  it("a calendar day is the user's local day", () => {
    const r = plan({
      slotAt: S,
      campaigns: [campaign('A')],
      members: { A: ['after-midnight', 'before-midnight'] },
      users: [user('after-midnight'), user('before-midnight')],
      // 00:30 on the 20th in Shanghai is still the 19th in UTC; 23:30 on the 19th is the day before.
      history: [
        sent('after-midnight', 'X', Date.UTC(2026, 10, 19, 16, 30)),
        sent('before-midnight', 'X', Date.UTC(2026, 10, 19, 15, 30)),
      ],
      policy: policy({ caps: [dailyCap] }),
    });
    expect(outcomeOf(r, 'A', 'after-midnight')).toBe('cap_total');
    expect(outcomeOf(r, 'A', 'before-midnight')).toBe(`push@${iso(S)}`);
  });

  it('a calendar week starts on Monday, a calendar month on the 1st, in local time', () => {
    const weekly = { scope: 'total', max: 1, window: { kind: 'calendar', unit: 'week' } } as const;
    const monthly = { scope: 'total', max: 2, window: { kind: 'calendar', unit: 'month' } } as const;
    const scenario = (cap: typeof weekly | typeof monthly, history: Scenario['history']) =>
      plan({
        slotAt: S,
        campaigns: [campaign('A')],
        members: { A: ['a', 'b'] },
        users: [user('a'), user('b')],
        history,
        policy: policy({ caps: [cap] }),
      });
    // Monday 16 November 09:00 local vs Sunday 15 November 23:00 local.
    const week = scenario(weekly, [
      sent('a', 'X', Date.UTC(2026, 10, 16, 1)),
      sent('b', 'X', Date.UTC(2026, 10, 15, 15)),
    ]);
    expect([outcomeOf(week, 'A', 'a'), outcomeOf(week, 'A', 'b')]).toEqual(['cap_total', `push@${iso(S)}`]);
    // 1 November 00:10 local (still 31 October in UTC) vs 31 October 23:50 local; both also on the 10th.
    const month = scenario(monthly, [
      sent('a', 'X', Date.UTC(2026, 9, 31, 16, 10)),
      sent('a', 'Y', Date.UTC(2026, 10, 10, 4)),
      sent('b', 'X', Date.UTC(2026, 9, 31, 15, 50)),
      sent('b', 'Y', Date.UTC(2026, 10, 10, 4)),
    ]);
    expect([outcomeOf(month, 'A', 'a'), outcomeOf(month, 'A', 'b')]).toEqual(['cap_total', `push@${iso(S)}`]);
  });

  it('a channel cap moves the message to the next channel, or skips it when there is none', () => {
    const smsCap = { scope: 'sms', max: 1, window: { kind: 'rolling', hours: 168 } } as const;
    const r = plan({
      slotAt: S,
      campaigns: [campaign('A', { channels: ['sms', 'push'] }), campaign('B', { channels: ['sms'] })],
      members: { A: ['u1'], B: ['u2'] },
      users: [user('u1'), user('u2')],
      history: [sent('u1', 'X', S - 2 * DAY, 'sms'), sent('u2', 'X', S - 2 * DAY, 'sms')],
      policy: policy({ caps: [smsCap] }),
    });
    expect(outcomeOf(r, 'A', 'u1')).toBe(`push@${iso(S)}`);
    expect(r.skipped).toEqual([
      {
        campaignId: 'B',
        userId: 'u2',
        reason: 'cap_channel',
        detail: 'sms cap: at most 1 per 168 h (rolling)',
      },
    ]);
  });

  it('counts what this slot already planned, transactional messages included', () => {
    const r = plan({
      slotAt: S,
      campaigns: [
        campaign('order-shipped', { class: 'transactional', priority: 0 }),
        campaign('hi', { priority: 90 }),
        campaign('lo', { priority: 10 }),
      ],
      members: { 'order-shipped': ['t'], hi: ['t', 'u'], lo: ['u'] },
      users: [user('t'), user('u')],
      policy: policy({ caps: [dailyCap], maxMarketingPerSlot: 2 }),
    });
    expect(outcomeOf(r, 'order-shipped', 't')).toBe(`push@${iso(S)}`);
    expect(outcomeOf(r, 'hi', 't')).toBe('cap_total');
    expect(outcomeOf(r, 'hi', 'u')).toBe(`push@${iso(S)}`);
    expect(outcomeOf(r, 'lo', 'u')).toBe('cap_total');
  });

  it('counts a held message at the instant it goes out', () => {
    const late = Date.UTC(2026, 10, 20, 15, 30); // 23:30 in Shanghai, inside quiet hours
    const r = plan({
      slotAt: late,
      campaigns: [campaign('A')],
      members: { A: ['sent-this-morning', 'booked-tomorrow'] },
      users: [user('sent-this-morning'), user('booked-tomorrow')],
      history: [
        sent('sent-this-morning', 'X', Date.UTC(2026, 10, 20, 2)), // 10:00 today
        sent('booked-tomorrow', 'X', Date.UTC(2026, 10, 21, 1)), // 09:00 tomorrow
      ],
      policy: policy({ caps: [dailyCap], quietHours: { start: '22:00', end: '08:00' } }),
    });
    // Held to 08:00 tomorrow (00:00 UTC): tomorrow's cap is free for one, taken for the other.
    expect(outcomeOf(r, 'A', 'sent-this-morning')).toBe(`push@${iso(Date.UTC(2026, 10, 21, 0))}`);
    expect(outcomeOf(r, 'A', 'booked-tomorrow')).toBe('cap_total');
  });
});

describe('planner: re-eligibility (E2)', () => {
  it('reaches a user at most once per N days per campaign, before or after; transactional ignores it', () => {
    const r = plan({
      slotAt: S,
      campaigns: [
        campaign('A', { reEligibilityDays: 7 }),
        campaign('T', { class: 'transactional', reEligibilityDays: 7 }),
      ],
      members: { A: ['six-days', 'eight-days', 'other-campaign', 'booked'], T: ['six-days'] },
      users: ['six-days', 'eight-days', 'other-campaign', 'booked'].map((id) => user(id)),
      history: [
        sent('six-days', 'A', S - 6 * DAY),
        sent('six-days', 'T', S - 6 * DAY),
        sent('eight-days', 'A', S - 8 * DAY),
        sent('other-campaign', 'B', S - DAY),
        sent('booked', 'A', S + 3 * DAY),
      ],
      policy: policy({ maxMarketingPerSlot: 1 }),
    });
    expect(outcomeOf(r, 'A', 'six-days')).toBe('re_eligibility');
    expect(outcomeOf(r, 'A', 'eight-days')).toBe(`push@${iso(S)}`);
    expect(outcomeOf(r, 'A', 'other-campaign')).toBe(`push@${iso(S)}`);
    expect(outcomeOf(r, 'A', 'booked')).toBe('re_eligibility');
    expect(outcomeOf(r, 'T', 'six-days')).toBe(`push@${iso(S)}`);
  });
});

describe('planner: quiet hours and send windows (E4)', () => {
  const quiet = policy({ quietHours: { start: '22:00', end: '08:00' } });

  it('holds a user in New York at 23:30 local to 08:00 local, across a DST change too', () => {
    const nov = Date.UTC(2026, 10, 21, 4, 30); // 20 Nov 23:30 EST (UTC−5)
    const mar = Date.UTC(2026, 2, 8, 4, 30); // 7 Mar 23:30 EST; clocks go forward at 02:00
    const scenario = (slotAt: number) =>
      plan({
        slotAt,
        campaigns: [campaign('A')],
        members: { A: ['ny', 'sh'] },
        users: [user('ny', { timezone: 'America/New_York' }), user('sh')],
        policy: quiet,
      });
    const r = scenario(nov);
    expect(outcomeOf(r, 'A', 'ny')).toBe(`push@${iso(Date.UTC(2026, 10, 21, 13))}`); // 08:00 EST
    expect(outcomeOf(r, 'A', 'sh')).toBe(`push@${iso(nov)}`); // 12:30 in Shanghai
    // 08:00 EDT (UTC−4) is 12:00 UTC: 6.5 hours after the slot, not 8.5.
    expect(outcomeOf(scenario(mar), 'A', 'ny')).toBe(`push@${iso(Date.UTC(2026, 2, 8, 12))}`);
  });

  it('holds through the repeated hour when clocks go back', () => {
    // 1 November 2026, New York: 01:00–02:00 happens twice (EDT, then EST). The slot is at the
    // second 01:10 (06:10 UTC); 01:50 next comes 40 minutes later, at 06:50 UTC.
    const r = plan({
      slotAt: Date.UTC(2026, 10, 1, 6, 10),
      campaigns: [campaign('A')],
      members: { A: ['ny'] },
      users: [user('ny', { timezone: 'America/New_York' })],
      policy: policy({ quietHours: { start: '00:00', end: '01:50' } }),
    });
    expect(outcomeOf(r, 'A', 'ny')).toBe(`push@${iso(Date.UTC(2026, 10, 1, 6, 50))}`);
    // At the first 01:50 (05:50 UTC), with quiet hours 01:45–02:00, the clock goes back to 01:00
    // at 06:00 UTC, out of the quiet hours: that is the next allowed time, not 02:00 EST.
    const back = plan({
      slotAt: Date.UTC(2026, 10, 1, 5, 50),
      campaigns: [campaign('A')],
      members: { A: ['ny'] },
      users: [user('ny', { timezone: 'America/New_York' })],
      policy: policy({ quietHours: { start: '01:45', end: '02:00' } }),
    });
    expect(outcomeOf(back, 'A', 'ny')).toBe(`push@${iso(Date.UTC(2026, 10, 1, 6))}`);
  });

  it('holds in half-hour zones and drops when the campaign says so', () => {
    const slotAt = Date.UTC(2026, 10, 20, 16, 45); // 22:15 in Kolkata (UTC+5:30), 00:45 in Shanghai
    const r = plan({
      slotAt,
      campaigns: [campaign('hold'), campaign('drop', { outsideWindow: 'drop' })],
      members: { hold: ['in'], drop: ['sh'] },
      users: [user('in', { timezone: 'Asia/Kolkata' }), user('sh')],
      policy: quiet,
    });
    expect(outcomeOf(r, 'hold', 'in')).toBe(`push@${iso(Date.UTC(2026, 10, 21, 2, 30))}`);
    expect(r.skipped).toEqual([
      {
        campaignId: 'drop',
        userId: 'sh',
        reason: 'quiet_hours',
        detail: 'quiet hours 22:00–08:00; it is 00:45 in Asia/Shanghai',
      },
    ]);
  });

  it('holds a call to its next send window, or drops it; other channels keep their own windows', () => {
    const windows = policy({
      quietHours: { start: '22:00', end: '08:00' },
      sendWindows: {
        call: [
          { start: '09:30', end: '11:30' },
          { start: '14:00', end: '18:00' },
        ],
      },
    });
    const lunch = Date.UTC(2026, 10, 20, 4, 30); // 12:30 local
    const evening = Date.UTC(2026, 10, 20, 10, 30); // 18:30 local
    const at = (slotAt: number) =>
      plan({
        slotAt,
        campaigns: [
          campaign('call', { channels: ['call'] }),
          campaign('drop', { channels: ['call'], outsideWindow: 'drop' }),
          campaign('push', { channels: ['push'] }),
        ],
        members: { call: ['a'], drop: ['b'], push: ['c'] },
        users: ['a', 'b', 'c'].map((id) => user(id, { reachable: { call: true, push: true } })),
        policy: windows,
      });
    const noon = at(lunch);
    expect(outcomeOf(noon, 'call', 'a')).toBe(`call@${iso(Date.UTC(2026, 10, 20, 6))}`); // 14:00
    expect(noon.skipped).toEqual([
      {
        campaignId: 'drop',
        userId: 'b',
        reason: 'send_window',
        detail: 'call sends only 09:30–11:30, 14:00–18:00 local time; it is 12:30 in Asia/Shanghai',
      },
    ]);
    expect(outcomeOf(noon, 'push', 'c')).toBe(`push@${iso(lunch)}`);
    expect(outcomeOf(at(evening), 'call', 'a')).toBe(`call@${iso(Date.UTC(2026, 10, 21, 1, 30))}`); // 09:30 tomorrow
  });

  it('sends transactional messages at once; users without a known zone use the default one', () => {
    const r = plan({
      slotAt: Date.UTC(2026, 10, 20, 15, 30), // 23:30 in Shanghai, 10:30 in New York
      campaigns: [campaign('T', { class: 'transactional' }), campaign('M')],
      members: { T: ['sh'], M: ['none', 'bogus', 'ny'] },
      users: [
        user('sh'),
        user('none', { timezone: null }),
        user('bogus', { timezone: 'Mars/Olympus_Mons' }),
        user('ny', { timezone: 'America/New_York' }),
      ],
      policy: policy({ quietHours: { start: '22:00', end: '08:00' }, defaultTimezone: 'Asia/Shanghai' }),
    });
    const tomorrow8 = `push@${iso(Date.UTC(2026, 10, 21, 0))}`;
    expect(outcomeOf(r, 'T', 'sh')).toBe(`push@${iso(Date.UTC(2026, 10, 20, 15, 30))}`);
    expect([outcomeOf(r, 'M', 'none'), outcomeOf(r, 'M', 'bogus')]).toEqual([tomorrow8, tomorrow8]);
    expect(outcomeOf(r, 'M', 'ny')).toBe(`push@${iso(Date.UTC(2026, 10, 20, 15, 30))}`);
  });
});

describe('planner: same-slot conflicts (E3)', () => {
  it('the higher priority wins; the other campaign skips the user and says who won', () => {
    const r = plan({
      slotAt: S,
      campaigns: [campaign('lo', { priority: 10 }), campaign('hi', { priority: 90 })],
      members: { lo: ['u'], hi: ['u'] },
      users: [user('u')],
    });
    expect(outcomeOf(r, 'hi', 'u')).toBe(`push@${iso(S)}`);
    expect(r.skipped).toEqual([
      {
        campaignId: 'lo',
        userId: 'u',
        reason: 'conflict',
        detail: 'this slot already reaches the user for hi',
      },
    ]);
  });

  it("at equal priority the user's preferred channel wins, then their preferred category", () => {
    const campaigns = [
      campaign('push-recall', { channels: ['push'], category: 'recall' }),
      campaign('sms-promo', { channels: ['sms'], category: 'promotion' }),
    ];
    const r = plan({
      slotAt: S,
      campaigns,
      members: {
        'push-recall': ['likes-sms', 'likes-promo', 'likes-sms-no-sms'],
        'sms-promo': ['likes-sms', 'likes-promo', 'likes-sms-no-sms'],
      },
      users: [
        user('likes-sms', { preferredChannel: 'sms', preferredCategory: 'recall' }),
        user('likes-promo', { preferredCategory: 'promotion' }),
        // Prefers sms but opted out of it: the preference cannot be used, the category decides.
        user('likes-sms-no-sms', {
          preferredChannel: 'sms',
          preferredCategory: 'recall',
          unsubscribed: new Set(['sms']),
        }),
      ],
    });
    expect(outcomeOf(r, 'sms-promo', 'likes-sms')).toBe(`sms@${iso(S)}`);
    expect(outcomeOf(r, 'sms-promo', 'likes-promo')).toBe(`sms@${iso(S)}`);
    expect(outcomeOf(r, 'push-recall', 'likes-sms-no-sms')).toBe(`push@${iso(S)}`);
    expect(outcomeOf(r, 'push-recall', 'likes-sms')).toBe('conflict');
  });

  it('otherwise a stable per-user tie-break, the same whatever the input order, and fair between campaigns', () => {
    const ids = Array.from({ length: 200 }, (_, i) => `u${i}`);
    const scenario = (order: 'ab' | 'ba') =>
      plan({
        slotAt: S,
        campaigns: order === 'ab' ? [campaign('a'), campaign('b')] : [campaign('b'), campaign('a')],
        members: order === 'ab' ? { a: ids, b: [...ids].reverse() } : { b: ids, a: [...ids].reverse() },
        users: ids.map((id) => user(id)),
      });
    const ab = scenario('ab');
    expect(scenario('ba')).toEqual(ab);
    const aWins = ab.messages.filter((m) => m.campaignId === 'a').length;
    expect(ab.messages).toHaveLength(200);
    expect(aWins).toBeGreaterThan(60);
    expect(aWins).toBeLessThan(140);
  });

  it('allows maxMarketingPerSlot messages; transactional ones neither count nor conflict', () => {
    const r = plan({
      slotAt: S,
      campaigns: [
        campaign('a', { priority: 3 }),
        campaign('b', { priority: 2 }),
        campaign('c', { priority: 1 }),
        campaign('t', { class: 'transactional' }),
      ],
      members: { a: ['u'], b: ['u'], c: ['u'], t: ['u'] },
      users: [user('u')],
      policy: policy({ maxMarketingPerSlot: 2 }),
    });
    expect(r.messages.map((m) => m.campaignId).sort()).toEqual(['a', 'b', 't']);
    expect(r.skipped).toEqual([
      {
        campaignId: 'c',
        userId: 'u',
        reason: 'conflict',
        detail: 'this slot already reaches the user for a and 1 more',
      },
    ]);
  });

  it('a winner that holds the user out, or cannot pay, leaves the slot to the next campaign', () => {
    const held = heldOutId('hi', true);
    const r = plan({
      slotAt: S,
      campaigns: [
        campaign('hi', { priority: 90, holdoutShare: 0.5 }),
        campaign('pricey', {
          priority: 80,
          channels: ['sms'],
          costPerMessage: { sms: 5 },
          budgetRemaining: 4,
        }),
        campaign('lo', { priority: 10 }),
      ],
      members: { hi: [held], pricey: ['broke'], lo: [held, 'broke'] },
      users: [user(held), user('broke')],
    });
    expect(outcomeOf(r, 'hi', held)).toBe('holdout');
    expect(outcomeOf(r, 'lo', held)).toBe(`push@${iso(S)}`);
    expect(outcomeOf(r, 'pricey', 'broke')).toBe('campaign_budget');
    expect(outcomeOf(r, 'lo', 'broke')).toBe(`push@${iso(S)}`);
  });
});

describe('planner: budgets and quotas (E5)', () => {
  const smsOnly = (id: string) => user(id, { reachable: { sms: true } });

  it('never overspends a campaign budget, and who gets it does not depend on the input order', () => {
    const ids = ['u1', 'u2', 'u3', 'u4', 'u5'];
    const scenario = (members: string[]) =>
      plan({
        slotAt: S,
        campaigns: [campaign('A', { channels: ['sms'], costPerMessage: { sms: 3 }, budgetRemaining: 10 })],
        members: { A: members },
        users: [...members].reverse().map(smsOnly),
      });
    const r = scenario(ids);
    expect(r.messages).toHaveLength(3);
    expect(r.spend).toEqual({ A: 9 });
    expect(r.skipped.map((s) => s.reason)).toEqual(['campaign_budget', 'campaign_budget']);
    expect(r.skipped[0]?.detail).toBe("budget short: SMS ¥0.03; the campaign's budget has ¥0.01 left");
    expect(scenario([...ids].reverse())).toEqual(r);
    expect(scenario(['u3', 'u1', 'u5', 'u2', 'u4'])).toEqual(r);
  });

  it("reserves each user's own offer with the message, and says what did not fit in yuan", () => {
    // Budget 1 030 fen, SMS at 5: u1's coupon 500, u2's 300, u3's 30 000 (cannot fit), u4's 200.
    const offers = new Map([
      ['u1', 500],
      ['u2', 300],
      ['u3', 30_000],
      ['u4', 200],
    ]);
    const r = plan({
      slotAt: S,
      campaigns: [
        campaign('A', {
          channels: ['sms'],
          costPerMessage: { sms: 5 },
          budgetRemaining: 1030,
          offerCents: offers,
          offerKind: 'coupon',
        }),
      ],
      members: { A: ['u1', 'u2', 'u3', 'u4'] },
      users: ['u1', 'u2', 'u3', 'u4'].map(smsOnly),
    });
    // Whatever the order, u3 never fits (30 005 > 1 030) and the three others do (1 015 ≤ 1 030).
    expect(r.messages.map((m) => m.userId).sort()).toEqual(['u1', 'u2', 'u4']);
    expect(r.messages.every((m) => m.costCents === 5)).toBe(true);
    expect(r.spend).toEqual({ A: 3 * 5 + 500 + 300 + 200 });
    expect(r.skipped).toHaveLength(1);
    expect(r.skipped[0]?.detail).toMatch(
      /^budget short: SMS ¥0\.05 \+ coupon ¥300\.00; the campaign's budget has ¥\d+\.\d\d left$/,
    );
  });

  it('reads a budget skip back in zh-CN and en, with the yuan', () => {
    const detail = budgetShortDetail({
      channel: 'sms',
      priceCents: 5,
      offerKind: 'coupon',
      offerCents: 500,
      leftCents: 300,
    });
    expect(detail).toBe("budget short: SMS ¥0.05 + coupon ¥5.00; the campaign's budget has ¥3.00 left");
    expect(skipWords('campaign_budget', detail)).toEqual({
      zhCN: '预算不足：短信 ¥0.05 + 优惠券 ¥5.00，任务预算仅剩 ¥3.00',
      en: detail,
    });
    const dept = budgetShortDetail({
      channel: 'push',
      priceCents: 0,
      offerCents: 0,
      department: 'growth',
      leftCents: 123_456_789,
    });
    expect(skipWords('department_budget', dept).zhCN).toBe(
      '预算不足：推送 ¥0.00，部门 growth 的预算仅剩 ¥1,234,567.89',
    );
    // Any other detail keeps the reason's own words.
    expect(skipWords('campaign_budget', 'something else').zhCN).toMatch(/^任务预算不足/);
  });

  it('falls back to a cheaper channel when the budget is short', () => {
    const r = plan({
      slotAt: S,
      campaigns: [
        campaign('A', { channels: ['sms', 'push'], costPerMessage: { sms: 5 }, budgetRemaining: 5 }),
      ],
      members: { A: ['u1', 'u2', 'u3'] },
      users: ['u1', 'u2', 'u3'].map((id) => user(id)),
    });
    expect(r.messages.map((m) => m.channel).sort()).toEqual(['push', 'push', 'sms']);
    expect(r.spend).toEqual({ A: 5 });
  });

  it('shares a department budget between campaigns, the higher priority first', () => {
    const r = plan({
      slotAt: S,
      campaigns: [
        campaign('hi', { priority: 9, channels: ['sms'], costPerMessage: { sms: 4 }, department: 'growth' }),
        campaign('lo', { priority: 1, channels: ['sms'], costPerMessage: { sms: 4 }, department: 'growth' }),
        campaign('other', { channels: ['sms'], costPerMessage: { sms: 4 }, department: 'merch' }),
      ],
      members: { hi: ['a', 'b'], lo: ['c', 'd'], other: ['e'] },
      users: ['a', 'b', 'c', 'd', 'e'].map(smsOnly),
      policy: policy({ departmentBudget: { growth: 10 } }),
    });
    expect(r.messages.map((m) => m.userId).sort()).toEqual(['a', 'b', 'e']);
    expect(r.skipped.map((s) => [s.userId, s.reason]).sort()).toEqual([
      ['c', 'department_budget'],
      ['d', 'department_budget'],
    ]);
    expect(r.departmentSpend).toEqual({ growth: 8, merch: 4 });
    expect(r.spend).toEqual({ hi: 8, lo: 0, other: 4 });
  });

  it('uses a channel quota across campaigns, then the next channel, then skips', () => {
    const r = plan({
      slotAt: S,
      campaigns: [campaign('A', { channels: ['sms', 'push'] }), campaign('B', { channels: ['sms'] })],
      members: { A: ['a1', 'a2', 'a3'], B: ['b1'] },
      users: ['a1', 'a2', 'a3', 'b1'].map((id) => user(id)),
      policy: policy({ channelQuota: { sms: 2 } }),
    });
    expect(r.messages.filter((m) => m.channel === 'sms')).toHaveLength(2);
    expect(r.messages.filter((m) => m.channel === 'push')).toHaveLength(1);
    expect(r.skipped).toEqual([
      { campaignId: 'B', userId: 'b1', reason: 'channel_quota', detail: 'the sms quota is used up' },
    ]);
    expect(r.quotaUse).toEqual({ sms: 2 });
  });
});

describe('planner: holdout and A/B variants', () => {
  const ids = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);
  const users = ids.map((id) => user(id));

  it('holds out about the share of eligible users, who take no budget; splits the rest by weight', () => {
    const r = plan({
      slotAt: S,
      campaigns: [
        campaign('A', {
          holdoutShare: 0.2,
          variants: [
            { id: 'b', weight: 3 },
            { id: 'a', weight: 1 },
          ],
          costPerMessage: { push: 1 },
          budgetRemaining: 7_900,
        }),
      ],
      members: { A: ids },
      users,
    });
    // Binomial(10 000, 0.2): sd 40; ±4 sd.
    expect(r.holdout.length).toBeGreaterThan(2000 - 160);
    expect(r.holdout.length).toBeLessThan(2000 + 160);
    // Held-out users took nothing, so the budget pays min(7 900, everyone else).
    expect(r.messages).toHaveLength(Math.min(7_900, 10_000 - r.holdout.length));
    expect(r.spend).toEqual({ A: r.messages.length });
    const b = r.messages.filter((m) => m.variant === 'b').length / r.messages.length;
    expect(b).toBeGreaterThan(0.75 - 0.02);
    expect(b).toBeLessThan(0.75 + 0.02);
    expect(new Set(r.messages.map((m) => m.variant))).toEqual(new Set(['a', 'b']));
  });

  it('channel test: each variant reaches its users only on its own channels, same split as without', () => {
    const both = ids.slice(0, 4000);
    const r = plan({
      slotAt: S,
      campaigns: [
        campaign('C', {
          channels: ['push', 'sms'],
          variants: [
            { id: 'sms', weight: 1, channels: ['sms'] },
            { id: 'push', weight: 1, channels: ['push'] },
          ],
        }),
      ],
      members: { C: both },
      // A quarter cannot get SMS: the SMS variant skips them rather than falling back to push.
      users: both.map((id, i) => user(id, i % 4 === 0 ? { reachable: { push: true } } : {})),
    });
    const plain = plan({
      slotAt: S,
      campaigns: [
        campaign('C', {
          channels: ['push', 'sms'],
          variants: [
            { id: 'sms', weight: 1 },
            { id: 'push', weight: 1 },
          ],
        }),
      ],
      members: { C: both },
      users: both.map((id) => user(id)),
    });
    const variantOf = new Map(plain.messages.map((m) => [m.userId, m.variant]));
    for (const m of r.messages) {
      expect(m.channel).toBe(m.variant);
      expect(variantOf.get(m.userId)).toBe(m.variant);
    }
    const smsOnlyUnreachable = r.skipped.filter((k) => k.reason === 'unreachable');
    expect(smsOnlyUnreachable.length).toBeGreaterThan(300);
    expect(smsOnlyUnreachable.every((k) => variantOf.get(k.userId) === 'sms')).toBe(true);
    expect(r.messages.length + r.skipped.length).toBe(both.length);
  });

  it('assigns by campaign and user only: other campaigns, users and slots do not move anyone', () => {
    const a = campaign('A', {
      holdoutShare: 0.3,
      variants: [
        { id: 'x', weight: 1 },
        { id: 'y', weight: 1 },
      ],
    });
    const alone = plan({ slotAt: S, campaigns: [a], members: { A: ids.slice(0, 3000) }, users });
    const crowded = plan({
      slotAt: S + 7 * DAY,
      campaigns: [a, campaign('B', { priority: 10 })],
      members: { A: ids.slice(1000, 5000), B: ids.slice(0, 500) },
      users,
      policy: policy({ maxMarketingPerSlot: 2 }),
    });
    const groupOf = (r: typeof alone) =>
      new Map([
        ...r.holdout.filter((h) => h.campaignId === 'A').map((h) => [h.userId, 'holdout'] as const),
        ...r.messages
          .filter((m) => m.campaignId === 'A')
          .map((m) => [m.userId, m.variant ?? 'none'] as const),
      ]);
    const before = groupOf(alone);
    const after = groupOf(crowded);
    let shared = 0;
    for (const [id, g] of after)
      if (before.has(id)) {
        shared++;
        expect(g).toBe(before.get(id));
      }
    expect(shared).toBe(2000);
  });
});

describe('planner: input invariants', () => {
  const base = () => ({
    slotAt: S,
    campaigns: [campaign('A')],
    members: new Map([['A', ['u']]]),
    users: new Map([['u', user('u')]]),
    history: new Map(),
    policy: policy(),
  });

  it.each([
    ['a campaign listed twice', { campaigns: [campaign('A'), campaign('A')] }, 'campaign A: listed twice'],
    [
      'a holdout share above one half',
      { campaigns: [campaign('A', { holdoutShare: 0.6 })] },
      'campaign A: holdoutShare must be within [0, 0.5], got 0.6',
    ],
    [
      'members of an unknown campaign',
      { members: new Map([['Z', ['u']]]) },
      'members: campaign Z is not among the campaigns',
    ],
    [
      'a negative budget',
      { campaigns: [campaign('A', { budgetRemaining: -1 })] },
      'campaign A: budgetRemaining: expected an integer ≥ 0, got -1',
    ],
    [
      'a malformed local time',
      { policy: policy({ quietHours: { start: '7:00', end: '08:00' } }) },
      "policy.quietHours.start: '7:00' is not a local time HH:MM",
    ],
    [
      'an unknown default zone',
      { policy: policy({ defaultTimezone: 'Nowhere/City' }) },
      "policy.defaultTimezone: unknown time zone 'Nowhere/City'",
    ],
    [
      'a zero variant weight',
      { campaigns: [campaign('A', { variants: [{ id: 'v', weight: 0 }] })] },
      "campaign A: variant 'v' weight must be positive, got 0",
    ],
  ])('throws on %s', (_what, over, message) => {
    expect(() => planSlot({ ...base(), ...over })).toThrow(message);
  });
});

describe('planner: local time arithmetic', () => {
  const around = (zone: string, t: number) => zoneAround(zone, t - 40 * DAY, t + 40 * DAY);
  const formats = new Map<string, Intl.DateTimeFormat>();
  const intlOffset = (zone: string, t: number): number => {
    let f = formats.get(zone);
    if (f === undefined) {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
      formats.set(zone, f);
    }
    const p = Object.fromEntries(
      f
        .formatToParts(t)
        .filter((x) => x.type !== 'literal')
        .map((x) => [x.type, Number(x.value)]),
    ) as Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', number>;
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(t / 1000) * 1000;
  };

  it.each([
    'America/New_York',
    'Europe/London',
    'Australia/Lord_Howe',
    'Pacific/Chatham',
    'Asia/Kathmandu',
    'America/St_Johns',
  ])('finds the offsets of %s exactly, every 17 minutes for 80 days', (zone) => {
    const t0 = Date.UTC(2026, 2, 1);
    const z = around(zone, t0 + 20 * DAY);
    for (let t = t0; t < t0 + 80 * DAY; t += 17 * 60_000) expect(offsetAt(z, t)).toBe(intlOffset(zone, t));
  });

  it('maps wall-clock times in DST gaps and overlaps, and finds a 23-hour local day', () => {
    const ny = around('America/New_York', Date.UTC(2026, 2, 8));
    // 02:30 on 8 March does not exist: the jump to 03:00 EDT (07:00 UTC).
    expect(iso(instantOfWall(ny, Date.UTC(2026, 2, 8, 2, 30)))).toBe('2026-03-08T07:00:00.000Z');
    // 01:30 on 1 November happens twice: the first one, still EDT (05:30 UTC).
    const fall = around('America/New_York', Date.UTC(2026, 10, 1));
    expect(iso(instantOfWall(fall, Date.UTC(2026, 10, 1, 1, 30)))).toBe('2026-11-01T05:30:00.000Z');
    const [start, end] = calendarPeriod(ny, Date.UTC(2026, 2, 8, 16), 'day');
    expect([iso(start), iso(end), (end - start) / 3_600_000]).toEqual([
      '2026-03-08T05:00:00.000Z',
      '2026-03-09T04:00:00.000Z',
      23,
    ]);
    expect(localMinuteOfDay(around('Asia/Kolkata', S), S)).toBe(9 * 60 + 30);
  });
});
