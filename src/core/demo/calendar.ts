import {
  HOUR_WEIGHTS,
  REGISTRATION_DAYS,
  SPRING_FESTIVALS,
  WEEKDAY_ACTIVITY,
  WEEKDAY_BUYING,
} from './model.ts';
import { wallClockFormatter } from '../time/wall-clock-format.ts';
import { DAY_MS } from '../time/units.ts';

export const HOUR_MS = 3_600_000;

/**
 * Everything date-dependent, computed once per run so the per-event loops do array reads only:
 * the UTC offset of each time zone on each day, and each local calendar day's activity and buying
 * factors (weekday, Double 11, 618, Double 12, Spring Festival). Days are epoch-day numbers of a
 * local calendar date (day 0 = 1970-01-01).
 */
export interface DemoCalendar {
  /** Epoch-day number of index 0 of the per-day arrays. */
  firstDay: number;
  /** Per time zone (same order as the zones given), UTC offset in ms of each day (local = utc + offset). */
  offsets: Float64Array[];
  /** Relative session rate of each day. */
  activity: Float64Array;
  /** Relative checkout probability of each day (>= 2 on a big shopping festival). */
  buying: Float64Array;
  /** Cumulative sign-up weight of the REGISTRATION_DAYS days ending on the day of `now`. */
  registrationCdf: Float64Array;
  /** Local hour of day by a uniform index in [0, HOUR_LUT_SIZE). */
  hourLut: Uint8Array;
}

export const HOUR_LUT_SIZE = 4096;

const zoneOffset = (format: Intl.DateTimeFormat, utc: number): number => {
  const parts: Record<string, number> = {};
  for (const p of format.formatToParts(utc)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const local = Date.UTC(
    parts['year'] ?? 1970,
    (parts['month'] ?? 1) - 1,
    parts['day'] ?? 1,
    (parts['hour'] ?? 0) % 24,
    parts['minute'] ?? 0,
    parts['second'] ?? 0,
  );
  return local - (utc - (utc % 1000));
};

const zoneOffsets = (timezone: string, firstDay: number, days: number): Float64Array => {
  const format = wallClockFormatter(timezone);
  const out = new Float64Array(days);
  // Probed at noon UTC: DST switches happen at night, so the offset holds for the local day.
  for (let i = 0; i < days; i++) out[i] = zoneOffset(format, (firstDay + i) * DAY_MS + 12 * HOUR_MS);
  return out;
};

const springFestivalDays = SPRING_FESTIVALS.map((d) => Date.parse(`${d}T00:00:00Z`) / DAY_MS);

const nearestSpringFestival = (day: number): number => {
  let best = Number.POSITIVE_INFINITY;
  for (const f of springFestivalDays) if (Math.abs(day - f) < Math.abs(best)) best = day - f;
  return best;
};

const dayFactors = (day: number): { activity: number; buying: number; acquisition: number } => {
  const date = new Date(day * DAY_MS);
  const month = date.getUTCMonth() + 1;
  const dom = date.getUTCDate();
  const weekday = (date.getUTCDay() + 6) % 7;
  let activity = WEEKDAY_ACTIVITY[weekday] ?? 1;
  let buying = WEEKDAY_BUYING[weekday] ?? 1;
  let acquisition = weekday >= 5 ? 1.1 : 1;
  // Double 11: pre-sale from 20 October, the festival itself, a little tail.
  if (month === 11 && dom === 11) {
    activity *= 1.8;
    buying *= 3.5;
    acquisition *= 2.5;
  } else if (month === 11 && dom === 12) {
    activity *= 1.15;
    buying *= 1.3;
  } else if ((month === 10 && dom >= 20) || (month === 11 && dom < 11)) {
    activity *= 1.12;
    buying *= 1.15;
    acquisition *= 1.6;
  }
  // 618 (JD's mid-year festival) and Double 12.
  if (month === 6 && dom === 18) {
    activity *= 1.5;
    buying *= 2.5;
    acquisition *= 1.8;
  } else if (month === 6 && dom < 18) {
    activity *= 1.08;
    buying *= 1.25;
    acquisition *= 1.3;
  }
  if (month === 12 && dom === 12) {
    activity *= 1.2;
    buying *= 1.6;
  }
  // Spring Festival: New-Year shopping before it, a quiet week around it (couriers stop).
  const sf = nearestSpringFestival(day);
  if (sf >= -25 && sf <= -10) buying *= 1.25;
  else if (sf >= -7 && sf <= 7) {
    activity *= 0.78;
    buying *= 0.5;
    acquisition *= 0.6;
  } else if (sf > 7 && sf <= 15) activity *= 0.92;
  return { activity, buying, acquisition };
};

/** The calendar around `now` for the given time zones; pure (Intl only supplies zone rules). */
export const buildCalendar = (now: number, timezones: readonly string[]): DemoCalendar => {
  const nowDay = Math.floor(now / DAY_MS);
  // Local dates reach a day either side of the UTC date; registrations go back REGISTRATION_DAYS.
  const firstDay = nowDay - REGISTRATION_DAYS - 3;
  const days = nowDay + 3 - firstDay;
  const activity = new Float64Array(days);
  const buying = new Float64Array(days);
  const acquisition: number[] = [];
  for (let i = 0; i < days; i++) {
    const f = dayFactors(firstDay + i);
    activity[i] = f.activity;
    buying[i] = f.buying;
  }
  const regFirst = nowDay - REGISTRATION_DAYS + 1;
  for (let r = 0; r < REGISTRATION_DAYS; r++) {
    // A growing app: recent months bring more sign-ups than the first ones.
    acquisition.push((0.55 + (0.9 * r) / (REGISTRATION_DAYS - 1)) * dayFactors(regFirst + r).acquisition);
  }
  const total = acquisition.reduce((s, w) => s + w, 0);
  const registrationCdf = new Float64Array(REGISTRATION_DAYS);
  let run = 0;
  acquisition.forEach((w, r) => {
    run += w;
    registrationCdf[r] = run / total;
  });

  const hourTotal = HOUR_WEIGHTS.reduce((s, w) => s + w, 0);
  const hourLut = new Uint8Array(HOUR_LUT_SIZE);
  let hour = 0;
  let upTo = (HOUR_WEIGHTS[0] ?? 0) / hourTotal;
  for (let k = 0; k < HOUR_LUT_SIZE; k++) {
    while ((k + 0.5) / HOUR_LUT_SIZE > upTo && hour < 23) {
      hour++;
      upTo += (HOUR_WEIGHTS[hour] ?? 0) / hourTotal;
    }
    hourLut[k] = hour;
  }

  return {
    firstDay,
    offsets: timezones.map((tz) => zoneOffsets(tz, firstDay, days)),
    activity,
    buying,
    registrationCdf,
    hourLut,
  };
};

/** Index of the first cumulative weight above u (binary search). */
export const searchCdf = (cdf: Float64Array, u: number): number => {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (u < (cdf[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
};
