import { wallClockFormatter } from '../time/wall-clock-format.ts';
import { DAY_MS } from '../time/units.ts';

/**
 * Local time in the users' time zones without an `Intl` call per user: each zone's UTC offsets
 * are read once per slot for a range around it (`zoneAround`), as a short list of pieces with a
 * constant offset (a DST zone has one or two changes in the range), and every later question —
 * local minute, local day, the instant of a local wall-clock time, a calendar day / week / month —
 * is arithmetic on that list. `Intl` (the ICU time-zone rules) is the only source of truth.
 *
 * A wall-clock time is an epoch-ms number read as if local time were UTC: `wall = t + offset`.
 */

export const MINUTE_MS = 60_000;
export const MINUTES_PER_DAY = 1_440;

/** Probe spacing when looking for offset changes: well under the shortest gap between two changes. */
const PROBE_MS = 12 * 3_600_000;

export interface Zone {
  name: string;
  /** Start instant of each piece, ascending; the first piece reaches back without end. */
  starts: number[];
  /** UTC offset (ms) of each piece; the last one reaches forward without end. */
  offsets: number[];
}

const formatterOf = wallClockFormatter;

/** The offset at instant `t` (a whole second) as Intl reports it. */
const intlOffset = (format: Intl.DateTimeFormat, t: number): number => {
  const parts: Record<string, number> = {};
  for (const p of format.formatToParts(t)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const wall = Date.UTC(
    parts['year'] ?? 1970,
    (parts['month'] ?? 1) - 1,
    parts['day'] ?? 1,
    parts['hour'] ?? 0,
    parts['minute'] ?? 0,
    parts['second'] ?? 0,
  );
  return wall - t;
};

/**
 * The zone's offsets over [from, to] (exact to the second: changes are found by bisection between
 * probes). Outside the range the first and last offsets are assumed to hold; callers keep their
 * questions inside it. Throws RangeError for a name Intl does not know.
 */
export const zoneAround = (name: string, from: number, to: number): Zone => {
  const format = formatterOf(name);
  const second = (t: number) => Math.floor(t / 1000) * 1000;
  let at = second(from);
  const end = second(to);
  let offset = intlOffset(format, at);
  const starts = [Number.NEGATIVE_INFINITY];
  const offsets = [offset];
  while (at < end) {
    const probe = Math.min(at + PROBE_MS, end);
    const o = intlOffset(format, probe);
    if (o === offset) {
      at = probe;
      continue;
    }
    // The first second after `at` whose offset differs; the loop then goes on from it, so two
    // changes between two probes are both found.
    let lo = at / 1000;
    let hi = probe / 1000;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (intlOffset(format, mid * 1000) === offset) lo = mid;
      else hi = mid;
    }
    at = hi * 1000;
    offset = intlOffset(format, at);
    starts.push(at);
    offsets.push(offset);
  }
  return { name, starts, offsets };
};

/** Index of the piece holding instant t (the list is short: a scan from the end). */
export const pieceAt = (z: Zone, t: number): number => {
  let i = z.starts.length - 1;
  while (i > 0 && t < (z.starts[i] as number)) i--;
  return i;
};

export const offsetAt = (z: Zone, t: number): number => z.offsets[pieceAt(z, t)] as number;

export const wallOf = (z: Zone, t: number): number => t + offsetAt(z, t);

/**
 * The instant at which the local clock shows `wall`. A time that happens twice (clocks going
 * back) gives the earlier instant; a time that never happens (clocks going forward over it) gives
 * the instant of the jump, the first one after it.
 */
export const instantOfWall = (z: Zone, wall: number): number => {
  const n = z.starts.length;
  for (let i = 0; i < n; i++) {
    const t = wall - (z.offsets[i] as number);
    if (t >= (z.starts[i] as number) && (i + 1 === n || t < (z.starts[i + 1] as number))) return t;
  }
  for (let i = 1; i < n; i++) {
    const jump = z.starts[i] as number;
    if (jump + (z.offsets[i - 1] as number) <= wall && wall < jump + (z.offsets[i] as number)) return jump;
  }
  throw new Error(`zone ${z.name}: no instant for wall-clock ${new Date(wall).toISOString()}`);
};

const floorMod = (a: number, m: number): number => ((a % m) + m) % m;

/** Minute of the day (0–1439) that a wall-clock time shows. */
export const minuteOfWall = (wall: number): number => Math.floor(floorMod(wall, DAY_MS) / MINUTE_MS);

/** Minute of the local day (0–1439) at instant t. */
export const localMinuteOfDay = (z: Zone, t: number): number => minuteOfWall(wallOf(z, t));

/** Local calendar day at instant t, as days since 1970-01-01. */
export const localDay = (z: Zone, t: number): number => Math.floor(wallOf(z, t) / DAY_MS);

export type CalendarUnit = 'day' | 'week' | 'month';

/** First local day of the calendar day / week (Monday) / month holding `day`, and of the next one. */
export const calendarDays = (day: number, unit: CalendarUnit): [number, number] => {
  switch (unit) {
    case 'day':
      return [day, day + 1];
    case 'week': {
      // Day 0 (1970-01-01) was a Thursday, three days after a Monday.
      const monday = day - floorMod(day + 3, 7);
      return [monday, monday + 7];
    }
    case 'month': {
      const d = new Date(day * DAY_MS);
      const y = d.getUTCFullYear();
      const m = d.getUTCMonth();
      return [Date.UTC(y, m, 1) / DAY_MS, Date.UTC(y, m + 1, 1) / DAY_MS];
    }
  }
};

/** The instants [start, end) of the user's local calendar day / week / month holding instant t. */
export const calendarPeriod = (z: Zone, t: number, unit: CalendarUnit): [number, number] => {
  const [first, next] = calendarDays(localDay(z, t), unit);
  return [instantOfWall(z, first * DAY_MS), instantOfWall(z, next * DAY_MS)];
};

/**
 * The zones of one slot: each read once, over 40 days either side of the slot (a calendar month
 * around a send instant held at most a couple of days, with margin). Unknown names fall back to
 * the default zone; an unknown default zone is a broken policy and throws.
 */
export class ZoneBook {
  private readonly zones = new Map<string, Zone>();
  private readonly from: number;
  private readonly to: number;
  readonly fallback: Zone;

  constructor(slotAt: number, defaultZone: string) {
    this.from = slotAt - 40 * DAY_MS;
    this.to = slotAt + 40 * DAY_MS;
    try {
      this.fallback = zoneAround(defaultZone, this.from, this.to);
    } catch {
      throw new Error(`policy.defaultTimezone: unknown time zone '${defaultZone}'`);
    }
    this.zones.set(defaultZone, this.fallback);
  }

  get(name: string | null): Zone {
    if (name === null) return this.fallback;
    let z = this.zones.get(name);
    if (z === undefined) {
      try {
        z = zoneAround(name, this.from, this.to);
      } catch {
        z = this.fallback;
      }
      this.zones.set(name, z);
    }
    return z;
  }
}
