import cronParser from 'cron-parser';
import { err, ok, type Result } from '../result.ts';
import type { Timing } from './schema.ts';

export const isTimeZone = (tz: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

/** Checks what the schema cannot: the cron expression and time zone, and the window order. */
export const checkTiming = (t: Timing): { path: string; message: string }[] => {
  if (t.kind !== 'periodic') return [];
  const problems: { path: string; message: string }[] = [];
  if (!isTimeZone(t.timezone))
    problems.push({ path: 'timing.timezone', message: `unknown time zone '${t.timezone}'` });
  else {
    const fields = t.cron.trim().split(/\s+/);
    if (fields.length !== 5)
      problems.push({
        path: 'timing.cron',
        message: `expected 5 fields (minute hour day month weekday), got ${fields.length}`,
      });
    else {
      try {
        cronParser.parseExpression(t.cron, { tz: t.timezone });
      } catch (e) {
        problems.push({ path: 'timing.cron', message: (e as Error).message });
      }
    }
  }
  if (t.startAt && t.endAt && Date.parse(t.endAt) <= Date.parse(t.startAt))
    problems.push({ path: 'timing.endAt', message: 'must be after startAt' });
  return problems;
};

/**
 * The first slot strictly after `after` (epoch ms) that the timing asks for, or null when there
 * is none (a one-off already planned, a periodic schedule past its end, a triggered campaign).
 * A one-off's slot is its instant, even if that has passed: it is then due at once.
 */
export const nextSlot = (t: Timing, after: number, alreadyRan: boolean): Result<number | null, string> => {
  switch (t.kind) {
    case 'one_off':
      return ok(alreadyRan ? null : Date.parse(t.at));
    case 'triggered':
      return ok(null);
    case 'periodic': {
      const start = t.startAt ? Date.parse(t.startAt) : -Infinity;
      const from = Math.max(after, start - 1);
      try {
        const it = cronParser.parseExpression(t.cron, {
          tz: t.timezone,
          currentDate: new Date(from),
          ...(t.endAt ? { endDate: new Date(t.endAt) } : {}),
        });
        if (!it.hasNext()) return ok(null);
        return ok(it.next().getTime());
      } catch (e) {
        return err((e as Error).message);
      }
    }
  }
};
