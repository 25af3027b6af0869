import { DAY_MS } from '../time/units.ts';

/**
 * Time semantics of the audience language. The SQL compiler and the in-memory reference
 * evaluator both implement exactly this; the property test holds them to it.
 *
 * - Every time is a UTC instant in epoch milliseconds. A day is exactly 86 400 000 ms (no
 *   calendar or time-zone arithmetic); an hour 3 600 000 ms, a minute 60 000 ms. Durations
 *   given in fractional units are rounded to the nearest millisecond.
 * - `now` is injected (epoch ms passed to compile). Behaviour conditions (did, did_not, metric,
 *   first_time, last_time, sequence) see only events with `ts <= now`: an audience is evaluated
 *   "as of now", so a `now` in the past gives the audience as it was then (events arriving with
 *   a future timestamp are ignored until their time comes). Profile attributes and scores are
 *   their current stored values unless an attribute names `at` (value at time T).
 * - The universe at `now` is the users who existed then: least(first_seen, register_time) <= now
 *   (first_seen is the user's earliest identify or event timestamp). A user who appears later is
 *   no member of an audience evaluated as of an earlier time, `not` included.
 * - Scores (user_scores) are current values with no history. When the caller passes the real
 *   present, a score condition with `now` more than SCORE_CLOCK_SKEW_MS before it is refused
 *   (a validation error at the condition) rather than answered with values from the future.
 * - `cart_abandoned` within W: some add event A (in the window, A.ts + W <= now) has no order
 *   event O with A.ts <= O.ts <= A.ts + W (same product_id with `sameProduct`; adds without a
 *   product_id are then ignored).
 * - Time specs: an epoch-ms integer, an ISO-8601 text (UTC when it carries no offset), or
 *   `{ daysAgo: d }` = now − d·day.
 * - Windows of behaviour conditions (all ends inclusive):
 *   - none:                        ts <= now (all history);
 *   - `last_days` N:               now − N·day <= ts <= now;
 *   - `between` {from, to}:        from <= ts <= to, and ts <= now;
 *   - `since` {event Y, occurrence}: t_Y < ts <= now, where t_Y is the time of the user's last
 *     (default) or first Y event with ts <= now (matching Y's filters). A user who never did Y
 *     has an empty window: `did` is false and `count` is 0 for them.
 * - Comparisons on a time value v: `before` T: v < T; `after` T: v > T; `between` {min, max}:
 *   min <= v <= max; `within_last` N: now − N·day <= v <= now.
 * - Value at time T (`at`): the value carried by the user's latest identify with timestamp <= T
 *   that contained the attribute (ties: later received_at, then the larger message id); a JSON
 *   null there means "no value". Values at T are the values as sent (before normalisation).
 * - Sequences: steps at strictly increasing times t1 < t2 < … < tk, every step inside the
 *   window; `within` W: tk − t1 <= W; `without` C: no C event with t1 < ts < tk.
 * - A time stored as text (a trait, a value at T) is read as an ISO-8601 date-time, or else as
 *   integer epoch milliseconds; anything else is "no value".
 */

export const MINUTE_MS = 60_000;
/** A client's "now" may lag the server's by this much and still count as now (scores, asOf). */
export const SCORE_CLOCK_SKEW_MS = 5 * 60_000;
export const HOUR_MS = 3_600_000;
export const DURATION_UNIT_MS = { minutes: MINUTE_MS, hours: HOUR_MS, days: DAY_MS } as const;
export type DurationUnit = keyof typeof DURATION_UNIT_MS;

export type TimeSpec = string | number | { daysAgo: number };

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/** Parses an ISO-8601 date or date-time; one without an offset is UTC (never the machine's zone). */
export const parseIsoUtc = (text: string): number | null => {
  const m = ISO.exec(text);
  if (m === null) return null;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h ?? 0);
  const minute = Number(mi ?? 0);
  const second = Number(s ?? 0);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const base = Date.UTC(year, month - 1, day, hour, minute, second);
  // Reject 2024-02-31 and the like instead of rolling over.
  if (new Date(base).getUTCDate() !== day) return null;
  const ms = frac === undefined ? 0 : Math.floor(Number(`0.${frac}`) * 1000 + 1e-6);
  let offset = 0;
  if (zone !== undefined && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offset = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0)) * MINUTE_MS;
  }
  return base + ms - offset;
};

/** The instant a time spec names, given `now`; null for an unparsable text. */
export const resolveTime = (spec: TimeSpec, now: number): number | null => {
  if (typeof spec === 'number') return Number.isFinite(spec) ? Math.round(spec) : null;
  if (typeof spec === 'string') return parseIsoUtc(spec);
  return now - durationMs(spec.daysAgo, 'days');
};

export const durationMs = (amount: number, unit: DurationUnit): number =>
  Math.round(amount * DURATION_UNIT_MS[unit]);
