import { DAY_MS } from '../time/units.ts';

const pad2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const pad3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/** `YYYY-MM-DDT` of an epoch day (proleptic Gregorian; Howard Hinnant's civil_from_days). */
const datePrefix = (days: number): string => {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return `${String(year).padStart(4, '0')}-${pad2[month]!}-${pad2[day]!}T`;
};

const prefixes = new Map<number, string>();

/**
 * `Date.prototype.toISOString` for epoch milliseconds from 0000 to 9999, without a Date per call
 * (the demo file writer formats tens of millions of timestamps).
 */
export const isoTimestamp = (ms: number): string => {
  const t = Math.floor(ms);
  const days = Math.floor(t / DAY_MS);
  let prefix = prefixes.get(days);
  if (prefix === undefined) {
    prefix = datePrefix(days);
    if (prefixes.size > 10_000) prefixes.clear();
    prefixes.set(days, prefix);
  }
  let rest = t - days * DAY_MS;
  const milli = rest % 1000;
  rest = (rest - milli) / 1000;
  const second = rest % 60;
  rest = (rest - second) / 60;
  const minute = rest % 60;
  const hour = (rest - minute) / 60;
  return `${prefix}${pad2[hour]!}:${pad2[minute]!}:${pad2[second]!}.${pad3[milli]!}Z`;
};
