import { err, ok, type Result } from '../core/result.ts';
import { DAY_MS } from '../core/time/units.ts';
import { periodRange, type PeriodRangeProblem } from './period-range.ts';

/**
 * A range of whole calendar days picked on a report (issue 18): `from` and `to` are dates
 * (YYYY-MM-DD), both included, read in the operator's time zone — Beijing time unless the console
 * says otherwise, since a Chinese operator's "today" starts at 00:00 in Beijing, not in UTC. A range
 * that ends today runs up to the end of today (what has happened so far is counted). Every mistake
 * is named precisely (which field, what was given), so an API caller can fix it at once.
 */

/** The zone days are read in when the caller names none (the product's default, see policy-schema). */
export const DEFAULT_REPORT_TIME_ZONE = 'Asia/Shanghai';
/** The longest range a report takes: a year, leap day included. */
export const MAX_RANGE_DAYS = 366;

export interface DayRangeInput {
  from?: string | undefined;
  to?: string | undefined;
  timeZone?: string | undefined;
}

export interface DayRange {
  from: string;
  to: string;
  /** Calendar days in the range, both ends included. */
  days: number;
  timeZone: string;
  /** [fromMs, toMs): the start of `from` to the start of the day after `to`, in the zone. */
  fromMs: number;
  toMs: number;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Whether the text is a date that exists (2026-02-30 does not). */
const realDate = (d: string): boolean => {
  if (!DATE.test(d)) return false;
  const t = Date.parse(`${d}T00:00:00Z`);
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === d;
};

export const knownZone = (name: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
};

/** The calendar day of an instant in a zone (YYYY-MM-DD). */
export const dayInZone = (ms: number, timeZone: string): string =>
  new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    new Date(ms),
  );

/** One message for a list of problems, field by field (`from: …; to: …`). */
export const problemText = (problems: readonly PeriodRangeProblem[]): string =>
  problems.map((p) => `${p.path} ${p.message}`).join('; ');

/**
 * The range, or what is wrong with it. `to` may be left out: up to today in the zone. `from` may
 * not (callers with a default — the dashboard's `days` — decide before calling).
 */
export const dayRange = (
  input: DayRangeInput,
  now: number,
  maxDays: number = MAX_RANGE_DAYS,
): Result<DayRange, PeriodRangeProblem[]> => {
  const timeZone = input.timeZone ?? DEFAULT_REPORT_TIME_ZONE;
  if (!knownZone(timeZone)) return err([{ path: 'timeZone', message: `unknown time zone '${timeZone}'` }]);
  const problems: PeriodRangeProblem[] = [];
  const from = input.from;
  const to = input.to ?? dayInZone(now, timeZone);
  if (from === undefined)
    problems.push({ path: 'from', message: 'is required with to (a date, YYYY-MM-DD)' });
  else if (!realDate(from))
    problems.push({ path: 'from', message: `must be a date (YYYY-MM-DD), got '${from}'` });
  if (!realDate(to)) problems.push({ path: 'to', message: `must be a date (YYYY-MM-DD), got '${to}'` });
  if (problems.length > 0 || from === undefined) return err(problems);
  if (from > to) return err([{ path: 'from', message: `(${from}) is after to (${to})` }]);
  const days = Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1;
  if (days > maxDays)
    return err([{ path: 'to', message: `makes the range ${days} days long; at most ${maxDays} days` }]);
  const r = periodRange({ from, to, timeZone }, now);
  if (!r.ok) return r;
  return ok({ from, to, days, timeZone, ...r.value });
};
