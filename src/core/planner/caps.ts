import { CHANNELS } from '../channels/channels.ts';
import { calendarPeriod, type CalendarUnit, type Zone } from './time-zones.ts';
import type { CapRule } from './types.ts';

/**
 * Global caps (features.md E1): per user, at most `max` messages in any window — in total or on one
 * channel, over a rolling number of hours or a calendar day / week / month of the user's zone.
 * Every message counts (sent, planned earlier, planned in this slot, either class), at its send
 * instant; only marketing messages are held to the caps.
 *
 * A rolling cap holds for EVERY window of its length, not only the one ending now: history may
 * hold messages planned for later (held ones), so a new message at t is allowed only if each
 * window [s, s + H) that contains t keeps at most `max` messages with it. Such a window has a
 * busiest position starting at a message (or at t), so checking those starts is exact.
 */

/**
 * One user's messages as the caps and re-eligibility see them — the history, then what this slot
 * planned — as parallel arrays: a scratch the pass refills for each member.
 */
export interface UserMessages {
  at: number[];
  /** Index in CHANNELS (-1: a channel the planner does not know). */
  channel: number[];
  /** Index of the campaign in the pass (-1: not in this slot). */
  campaign: number[];
  n: number;
}

export interface PreparedCap {
  /** Index in CHANNELS; -1 counts every channel. */
  channel: number;
  max: number;
  /** > 0 for a rolling window. */
  rollingMs: number;
  unit: CalendarUnit | null;
  reason: 'cap_total' | 'cap_channel';
  /** The rule in words, for skip details. */
  text: string;
}

const HOUR_MS = 3_600_000;

export const prepareCap = (rule: CapRule, index: number): PreparedCap => {
  const where = `policy.caps[${index}]`;
  if (!Number.isInteger(rule.max) || rule.max < 0)
    throw new Error(`${where}.max: expected an integer ≥ 0, got ${rule.max}`);
  const w = rule.window;
  if (w.kind === 'rolling' && !(w.hours > 0))
    throw new Error(`${where}.window.hours: expected a positive number, got ${w.hours}`);
  const channel = rule.scope === 'total' ? -1 : CHANNELS.indexOf(rule.scope);
  if (rule.scope !== 'total' && channel < 0)
    throw new Error(`${where}.scope: expected 'total' or a channel, got '${String(rule.scope)}'`);
  const span = w.kind === 'rolling' ? `${w.hours} h (rolling)` : `calendar ${w.unit} (user's time zone)`;
  return {
    channel,
    max: rule.max,
    rollingMs: w.kind === 'rolling' ? w.hours * HOUR_MS : 0,
    unit: w.kind === 'calendar' ? w.unit : null,
    reason: rule.scope === 'total' ? 'cap_total' : 'cap_channel',
    text: `${rule.scope} cap: at most ${rule.max} per ${span}`,
  };
};

/** The caps a message on channel index `ch` must respect: the total ones first, then the channel's own. */
export const capsOnChannel = (caps: readonly PreparedCap[], ch: number): PreparedCap[] => [
  ...caps.filter((c) => c.channel === -1),
  ...caps.filter((c) => c.channel === ch),
];

/** Calendar periods of one zone, computed once per (unit, instant) for all its users. */
export class ZonePeriods {
  private readonly cache: Record<CalendarUnit, Map<number, [number, number]>> = {
    day: new Map(),
    week: new Map(),
    month: new Map(),
  };
  constructor(readonly zone: Zone) {}

  get(unit: CalendarUnit, t: number): [number, number] {
    const byInstant = this.cache[unit];
    let p = byInstant.get(t);
    if (p === undefined) {
      p = calendarPeriod(this.zone, t, unit);
      byInstant.set(t, p);
    }
    return p;
  }
}

const counts = (cap: PreparedCap, msgs: UserMessages, i: number): boolean =>
  cap.channel === -1 || msgs.channel[i] === cap.channel;

const countIn = (cap: PreparedCap, msgs: UserMessages, from: number, to: number): number => {
  let n = 0;
  for (let i = 0; i < msgs.n; i++) {
    const at = msgs.at[i] as number;
    if (at >= from && at < to && counts(cap, msgs, i)) n++;
  }
  return n;
};

const rollingAllows = (cap: PreparedCap, t: number, msgs: UserMessages): boolean => {
  const h = cap.rollingMs;
  // Only messages within (t − H, t + H) share a window with t.
  const times = [t];
  for (let i = 0; i < msgs.n; i++) {
    const at = msgs.at[i] as number;
    if (at > t - h && at < t + h && counts(cap, msgs, i)) times.push(at);
  }
  if (times.length <= cap.max) return true;
  for (const s of times) {
    if (s <= t - h || s > t) continue;
    let n = 0;
    for (const u of times) if (u >= s && u < s + h) n++;
    if (n > cap.max) return false;
  }
  return true;
};

/**
 * Whether one more message at instant `t` keeps the cap in every window that contains it.
 * `periods` gives the user's calendar periods (their zone's).
 */
export const capAllows = (cap: PreparedCap, t: number, msgs: UserMessages, periods: ZonePeriods): boolean => {
  if (cap.max === 0) return false;
  // Most users have fewer messages of the scope in all their history than the cap allows.
  if (countIn(cap, msgs, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY) < cap.max) return true;
  if (cap.unit === null) return rollingAllows(cap, t, msgs);
  const [from, to] = periods.get(cap.unit, t);
  return countIn(cap, msgs, from, to) < cap.max;
};
