import { parseTimestamp } from '../core/events/timestamp.ts';
import { instantOfWall, zoneAround } from '../core/planner/time-zones.ts';
import { DAY_MS } from '../core/time/units.ts';
import { err, ok, type Result } from '../core/result.ts';

/**
 * The period a report covers, from what an operator picks (features.md G2). A date picker gives
 * days: `from=2026-12-01&to=2026-12-07` means the whole of 1 to 7 December, so a day given as
 * `to` ends at the start of the next day — before, it ended at 7 December 00:00 and the last day
 * picked (today, most of the time) was left out. Days are read in `timeZone` (an IANA name, the
 * operator's; UTC when absent). Instants (`2026-12-07T10:00:00Z`) are taken as they are, and no
 * `to` means now (the injected clock), so "up to now" always includes today.
 */

export interface PeriodRangeInput {
  from: string;
  to?: string | undefined;
  timeZone?: string | undefined;
}

export interface PeriodRange {
  fromMs: number;
  toMs: number;
}

export interface PeriodRangeProblem {
  path: 'from' | 'to' | 'timeZone';
  message: string;
}

const DAY_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The instant a local day starts in the zone (UTC without one); NaN for a day that does not exist. */
const startOfDay = (day: string, timeZone: string | undefined): number => {
  const m = DAY_ONLY.exec(day);
  if (m === null) return Number.NaN;
  const wall = parseTimestamp(day);
  if (!Number.isFinite(wall)) return Number.NaN;
  if (timeZone === undefined) return wall;
  // Offsets of the zone around that day (a day is never more than 14 hours from UTC).
  const zone = zoneAround(timeZone, wall - 2 * DAY_MS, wall + 2 * DAY_MS);
  return instantOfWall(zone, wall);
};

const knownZone = (name: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
};

/** [fromMs, toMs) of the report, or what is wrong with the input, field by field. */
export const periodRange = (
  input: PeriodRangeInput,
  now: number,
): Result<PeriodRange, PeriodRangeProblem[]> => {
  const problems: PeriodRangeProblem[] = [];
  const zone = input.timeZone;
  if (zone !== undefined && !knownZone(zone)) {
    problems.push({ path: 'timeZone', message: `unknown time zone '${zone}'` });
    return err(problems);
  }
  const read = (text: string, end: boolean): number => {
    if (DAY_ONLY.test(text)) {
      const start = startOfDay(text, zone);
      if (!end || !Number.isFinite(start)) return start;
      // The next local day's start: 23 or 25 hours later on a day the clocks change.
      const next = new Date(parseTimestamp(text) + DAY_MS).toISOString().slice(0, 10);
      return startOfDay(next, zone);
    }
    return parseTimestamp(text);
  };
  const fromMs = read(input.from, false);
  const toMs = input.to === undefined || input.to === '' ? now : read(input.to, true);
  if (!Number.isFinite(fromMs))
    problems.push({ path: 'from', message: 'must be a day (YYYY-MM-DD) or an ISO-8601 instant' });
  if (!Number.isFinite(toMs))
    problems.push({ path: 'to', message: 'must be a day (YYYY-MM-DD) or an ISO-8601 instant' });
  if (problems.length === 0 && !(toMs > fromMs)) problems.push({ path: 'to', message: 'must be after from' });
  return problems.length > 0 ? err(problems) : ok({ fromMs, toMs });
};
