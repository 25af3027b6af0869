/**
 * ISO-8601 text to epoch milliseconds. A date-time without a zone designator is read as UTC:
 * `Date.parse` would read it in the server's local zone, so the same file imported on two
 * machines would store different times. A day the month does not have (2026-02-30) is NaN:
 * `Date.parse` would roll it over into the next month and store a date nobody sent.
 */
const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i;
const hasTime = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/;
const isoDay = /^(\d{4})-(\d{2})-(\d{2})/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Whether a text starting `YYYY-MM-DD` names a day that exists (other texts are not judged). */
const dayExists = (text: string): boolean => {
  // Days 01–28 exist in every month: skip the regular expression for them (the hot path).
  const tens = text.charCodeAt(8) - 48;
  if (tens < 2 || (tens === 2 && text.charCodeAt(9) < 57)) return true;
  const m = isoDay.exec(text);
  if (m === null) return true;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const max = month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 31);
  return day <= max;
};

export const parseTimestamp = (text: string): number => {
  if (!dayExists(text)) return Number.NaN;
  // SDKs send `…Z` almost always: skip the regular expressions on the ingestion hot path.
  if (text.endsWith('Z') && text.charCodeAt(10) === 84 /* T */) return Date.parse(text);
  if (hasTime.test(text) && !hasZone.test(text)) return Date.parse(`${text.replace(' ', 'T')}Z`);
  return Date.parse(text.replace(' ', 'T'));
};
