import { afterEach, describe, expect, it } from 'vitest';
import { createSavedAudience } from '../src/audience/saved-audiences.ts';
import { DEFAULT_POLICY, type PolicySettings } from '../src/core/campaigns/policy-schema.ts';
import { localTimeHold } from '../src/core/delivery/local-time-hold.ts';
import { hashString } from '../src/core/planner/hash.ts';
import { localWindows } from '../src/core/planner/local-windows.ts';
import { spreadOffsetMinutes } from '../src/core/planner/spreading.ts';
import { plannerPolicyOf } from '../src/planner/plan-inputs.ts';
import { runSlot } from '../src/planner/run-slot.ts';
import { readPolicy, updatePolicyAs } from '../src/planner/settings-service.ts';
import { approvedCampaign, plannerActors } from './support/planner-scenario.ts';
import { campaign, HOUR, MINUTE, plan, sent, user } from './support/planner-input.ts';
import { openScenario, profile, seed, type ScenarioStore } from './support/score-scenario.ts';

/**
 * Issue 17: messages held by quiet hours (22:00–08:00) all went out at the window's first second —
 * 08:00 in Shanghai, which is 00:00 UTC, the "00:00" of the report — and four users got two in that
 * same second. Now a held message goes out at a minute of the window's first quietSpreadMinutes
 * (default 120) picked by a hash of the user, and two marketing messages of different campaigns
 * to one user are at least marketingGapHours (default 4) apart: the later one is deferred, or
 * skipped 'min_gap' with the reason when its campaign drops what it cannot send in time.
 */

// Friday 2026-11-20 23:00 in Shanghai (15:00 UTC): inside quiet hours.
const LATE = Date.UTC(2026, 10, 20, 15);
// Saturday 08:00 in Shanghai = 00:00 UTC.
const OPEN = Date.UTC(2026, 10, 21, 0);

const defaults = (over: Partial<PolicySettings> = {}) =>
  plannerPolicyOf({ ...DEFAULT_POLICY, ...over }, [], []);
const quiet = localWindows({ start: '22:00', end: '08:00' }, undefined, 'push');
const offsetOf = (userId: string) => spreadOffsetMinutes(quiet, 8 * 60, 120, hashString(userId));

describe('send-time spreading at the default settings', () => {
  const ids = Array.from({ length: 300 }, (_, i) => `u${i}`);

  it('spreads held messages over 08:00–10:00 by user, not all at 08:00:00 (00:00 UTC)', () => {
    const r = plan({
      slotAt: LATE,
      campaigns: [campaign('A')],
      members: { A: ids },
      users: ids.map((id) => user(id)),
      policy: defaults(),
    });
    expect(r.messages).toHaveLength(300);
    const at = r.messages.map((m) => m.sendAt);
    for (const m of r.messages) {
      expect(m.sendAt).toBe(OPEN + offsetOf(m.userId) * MINUTE);
      expect(m.sendAt % MINUTE).toBe(0);
    }
    expect(Math.min(...at)).toBeGreaterThanOrEqual(OPEN);
    expect(Math.max(...at)).toBeLessThan(OPEN + 2 * HOUR);
    // 300 users over 120 minutes: most minutes used, none holding more than a few percent.
    const perMinute = new Map<number, number>();
    for (const t of at) perMinute.set(t, (perMinute.get(t) ?? 0) + 1);
    expect(perMinute.size).toBeGreaterThan(80);
    expect(Math.max(...perMinute.values())).toBeLessThanOrEqual(12);
    // Both hours get a fair share.
    const firstHour = at.filter((t) => t < OPEN + HOUR).length;
    expect(firstHour).toBeGreaterThan(100);
    expect(firstHour).toBeLessThan(200);
  });

  it('gives a user the same minute in every campaign and slot; 0 minutes restores the old single instant', () => {
    const a = plan({
      slotAt: LATE,
      campaigns: [campaign('A')],
      members: { A: ids },
      users: ids.map((id) => user(id)),
      policy: defaults(),
    });
    const b = plan({
      slotAt: LATE + 30 * MINUTE,
      campaigns: [campaign('B', { runId: 'other' })],
      members: { B: ids },
      users: ids.map((id) => user(id)),
      policy: defaults(),
    });
    const minuteOf = (r: typeof a) => new Map(r.messages.map((m) => [m.userId, m.sendAt]));
    expect(minuteOf(b)).toEqual(minuteOf(a));
    const old = plan({
      slotAt: LATE,
      campaigns: [campaign('A')],
      members: { A: ids },
      users: ids.map((id) => user(id)),
      policy: defaults({ quietSpreadMinutes: 0 }),
    });
    expect(new Set(old.messages.map((m) => new Date(m.sendAt).toISOString()))).toEqual(
      new Set(['2026-11-21T00:00:00.000Z']),
    );
  });

  it('spreads a call only inside its send window (09:30–11:30), never past its end', () => {
    const r = plan({
      slotAt: LATE,
      campaigns: [campaign('C', { channels: ['call'] })],
      members: { C: ids },
      users: ids.map((id) => user(id, { reachable: { call: true } })),
      policy: defaults({ quietSpreadMinutes: 240 }),
    });
    expect(r.messages).toHaveLength(300);
    const from = OPEN + 90 * MINUTE; // 09:30
    for (const m of r.messages) {
      expect(m.sendAt).toBeGreaterThanOrEqual(from);
      expect(m.sendAt).toBeLessThan(from + 2 * HOUR);
    }
  });

  it("spreads a provider's deferral out of quiet hours the same way as the planner", () => {
    const hold = localTimeHold(
      {
        quietHours: DEFAULT_POLICY.quietHours,
        sendWindows: {},
        defaultTimezone: 'Asia/Shanghai',
        quietSpreadMinutes: 120,
      },
      'push',
      'Asia/Shanghai',
      'u7',
    );
    expect(hold(LATE)).toBe(OPEN + offsetOf('u7') * MINUTE);
    // Inside the allowed hours nothing moves.
    expect(hold(OPEN + 5 * HOUR)).toBe(OPEN + 5 * HOUR);
  });
});

describe('minimum gap between marketing messages', () => {
  // Caps relaxed (a workspace without the daily cap): only the gap keeps them apart.
  const noCaps = () => defaults({ caps: [] });

  it('defers the second campaign 4 h after the first, or skips it with the reason when it drops', () => {
    const firstAt = OPEN + offsetOf('p') * MINUTE;
    const r = plan({
      slotAt: LATE,
      campaigns: [campaign('B'), campaign('D', { outsideWindow: 'drop', priority: 40 })],
      members: { B: ['p'], D: ['q'] },
      users: [user('p'), user('q')],
      // X was planned for both by an earlier slot: p at its spread minute, q at 23:00 (a trigger).
      history: [sent('p', 'X', firstAt), sent('q', 'X', LATE - 20 * MINUTE)],
      policy: noCaps(),
    });
    // p: held to 08:xx, 4 h after X's message → 12:xx (allowed: deferred).
    expect(r.messages.map((m) => [m.userId, m.sendAt])).toEqual([['p', firstAt + 4 * HOUR]]);
    // q's campaign drops what it cannot send now: 22:40's message is 20 minutes before.
    expect(r.skipped).toEqual([
      {
        campaignId: 'D',
        userId: 'q',
        reason: 'quiet_hours',
        detail: 'quiet hours 22:00–08:00; it is 23:00 in Asia/Shanghai',
      },
    ]);
    // At 21:00 (no quiet hours) the same drop campaign is skipped for the gap, in words.
    const nine = Date.UTC(2026, 10, 20, 13);
    const d = plan({
      slotAt: nine,
      campaigns: [campaign('D', { outsideWindow: 'drop' })],
      members: { D: ['q'] },
      users: [user('q')],
      history: [sent('q', 'X', nine - 90 * MINUTE)],
      policy: noCaps(),
    });
    expect(d.skipped).toEqual([
      {
        campaignId: 'D',
        userId: 'q',
        reason: 'min_gap',
        detail:
          'already gets a marketing message at 19:30 Asia/Shanghai (2026-11-20T11:30:00.000Z); marketing messages are at least 4 h apart',
      },
    ]);
  });

  it('does not defer a message past the caps: at the default daily cap the second campaign is capped, not moved to tomorrow', () => {
    const eight = Date.UTC(2026, 10, 20, 12); // 20:00 in Shanghai
    const r = plan({
      slotAt: eight,
      campaigns: [campaign('B')],
      members: { B: ['p'] },
      users: [user('p')],
      history: [sent('p', 'X', eight - HOUR)],
      policy: defaults(),
    });
    expect(r.messages).toEqual([]);
    expect(r.skipped.map((x) => x.reason)).toEqual(['cap_total']);
    // Without the daily cap the gap defers it; it lands in quiet hours, so the next morning, spread.
    const relaxed = plan({
      slotAt: eight,
      campaigns: [campaign('B')],
      members: { B: ['p'] },
      users: [user('p')],
      history: [sent('p', 'X', eight - HOUR)],
      policy: noCaps(),
    });
    expect(relaxed.messages.map((m) => m.sendAt)).toEqual([OPEN + offsetOf('p') * MINUTE]);
  });

  it("counts only other campaigns' marketing messages (a ladder's own steps and transactional ones do not)", () => {
    const noon = Date.UTC(2026, 10, 20, 4);
    const r = plan({
      slotAt: noon,
      campaigns: [campaign('A')],
      members: { A: ['own', 'tx', 'other'] },
      users: [user('own'), user('tx'), user('other')],
      history: [
        sent('own', 'A', noon - HOUR),
        sent('tx', 'T', noon - HOUR, 'push', 'transactional'),
        sent('other', 'X', noon - HOUR),
      ],
      policy: noCaps(),
    });
    const at = new Map(r.messages.map((m) => [m.userId, m.sendAt]));
    expect(at.get('own')).toBe(noon);
    expect(at.get('tx')).toBe(noon);
    expect(at.get('other')).toBe(noon + 3 * HOUR);
  });
});

describe('spreading and the gap on the real planner shell', () => {
  let store: ScenarioStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  it('two campaigns held by the same night reach no user twice within 4 h', async () => {
    const s = await openScenario();
    store = s;
    s.setNow(LATE - HOUR);
    const users = Array.from({ length: 8 }, (_, i) =>
      profile(`n${i}`, LATE - 100 * 24 * HOUR, {
        acquisition_channel: 'night',
        timezone: 'Asia/Shanghai',
        push_token: `t${i}`,
      }),
    );
    await seed(s.warehouse, users);
    const a = await plannerActors(s.control);
    // The workspace relaxed the daily cap (as the walk's had): only the gap keeps messages apart.
    const { version } = await readPolicy(s, a.admin);
    const saved = await updatePolicyAs(s, a.admin, { version, policy: { ...DEFAULT_POLICY, caps: [] } });
    expect(saved.ok).toBe(true);
    const aud = await createSavedAudience(s, a.op, {
      name: 'Night',
      definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: 'night' },
    });
    if (!aud.ok) throw new Error('audience');
    const content = [
      { channel: 'push', title: '好久不见', body: '回来看看', landingUrl: 'https://example.com/a' },
    ];
    const one = (at: number) => ({ kind: 'one_off', at: new Date(at).toISOString() });
    await approvedCampaign(s, a, 'First', {
      audienceId: aud.value.id,
      timing: one(LATE),
      channels: ['push'],
      content,
      holdoutShare: 0,
    });
    await approvedCampaign(s, a, 'Second', {
      audienceId: aud.value.id,
      timing: one(LATE + 30 * MINUTE),
      channels: ['push'],
      content,
      holdoutShare: 0,
    });
    s.setNow(LATE);
    await runSlot(s, 'default', LATE);
    s.setNow(LATE + 30 * MINUTE);
    await runSlot(s, 'default', LATE + 30 * MINUTE);
    const rows = await s.control.query<{ user_id: string; send_at: Date }>(
      'SELECT user_id, send_at FROM outbox ORDER BY user_id, send_at',
    );
    expect(rows).toHaveLength(16);
    const byUser = new Map<string, number[]>();
    for (const r of rows) byUser.set(r.user_id, [...(byUser.get(r.user_id) ?? []), r.send_at.getTime()]);
    for (const [id, [first, second]] of byUser) {
      expect(first).toBe(OPEN + offsetOf(id) * MINUTE);
      expect(second).toBe((first as number) + 4 * HOUR);
    }
    // Not everyone at the same second any more.
    expect(new Set(rows.map((r) => r.send_at.getTime())).size).toBeGreaterThan(8);
  });

  it('at the default policy, a message a provider deferred into the morning counts there: no second one beside it', async () => {
    const s = await openScenario();
    store = s;
    const EVENING = Date.UTC(2026, 10, 20, 13, 30); // 21:30 in Shanghai
    s.setNow(EVENING - HOUR);
    await seed(
      s.warehouse,
      Array.from({ length: 4 }, (_, i) =>
        profile(`d${i}`, EVENING - 100 * 24 * HOUR, {
          acquisition_channel: 'deferred',
          timezone: 'Asia/Shanghai',
          push_token: `t${i}`,
        }),
      ),
    );
    const a = await plannerActors(s.control);
    const aud = await createSavedAudience(s, a.op, {
      name: 'Deferred',
      definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: 'deferred' },
    });
    if (!aud.ok) throw new Error('audience');
    const content = [
      { channel: 'push', title: '好久不见', body: '回来看看', landingUrl: 'https://example.com/a' },
    ];
    const one = (at: number) => ({ kind: 'one_off', at: new Date(at).toISOString() });
    const first = await approvedCampaign(s, a, 'Evening', {
      audienceId: aud.value.id,
      timing: one(EVENING),
      channels: ['push'],
      content,
      holdoutShare: 0,
    });
    const second = await approvedCampaign(s, a, 'Night', {
      audienceId: aud.value.id,
      timing: one(LATE),
      channels: ['push'],
      content,
      holdoutShare: 0,
    });
    s.setNow(EVENING);
    await runSlot(s, 'default', EVENING);
    // The provider said "try in an hour" at 21:30: delivery holds it out of quiet hours, spread.
    const rows = await s.control.query<{ idempotency_key: string; user_id: string }>(
      'SELECT idempotency_key, user_id FROM outbox',
    );
    expect(rows).toHaveLength(4);
    for (const r of rows) {
      const hold = localTimeHold(
        { ...DEFAULT_POLICY, quietSpreadMinutes: 120 },
        'push',
        'Asia/Shanghai',
        r.user_id,
      );
      await s.control.query(
        'UPDATE outbox SET next_attempt_at = $1, attempts = 1 WHERE idempotency_key = $2',
        [new Date(hold(EVENING + HOUR)), r.idempotency_key],
      );
    }
    s.setNow(LATE);
    const night = await runSlot(s, 'default', LATE);
    // Counted where it goes out (tomorrow 08:xx), the deferred message fills tomorrow's daily cap:
    // the night campaign is skipped, instead of going out in the same second as it.
    expect(night.campaigns).toEqual([
      expect.objectContaining({ campaignId: second.id, messages: 0, skipReasons: { cap_total: 4 } }),
    ]);
    const all = await s.control.query<{ campaign_id: string }>('SELECT campaign_id FROM outbox');
    expect(all.every((r) => r.campaign_id === first.id)).toBe(true);
  });
});
