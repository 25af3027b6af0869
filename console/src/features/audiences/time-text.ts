import { parseIsoUtc } from '../../lib/audience-tree.ts';

/**
 * A point in time of the audience API (schema.ts TimeSpec) as the text a row holds: an ISO-8601
 * date or date-time as written, or epoch milliseconds as their digits. No ISO text is all digits,
 * so the text says which one was saved and an untouched row writes it back the same way; a time
 * the operator picks is written as ISO text. (`daysAgo` is the "N days ago" rows' own field.)
 */

const EPOCH = /^-?\d+$/;
/** The instants a JS Date holds (schema.ts MAX_INSTANT_MS). */
const MAX_INSTANT_MS = 8_640_000_000_000_000;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** The row's text of a saved time, or null when it is not a date, a date-time or epoch ms. */
export const timeText = (spec: unknown): string | null => {
  if (typeof spec === 'number') return Number.isInteger(spec) ? String(spec) : null;
  if (typeof spec === 'string') return !EPOCH.test(spec) && parseIsoUtc(spec) !== null ? spec : null;
  return null;
};

/** The epoch milliseconds of a row's time text, or null when it is none. */
export const timeMs = (text: string): number | null => {
  if (EPOCH.test(text)) {
    const ms = Number(text);
    return Math.abs(ms) <= MAX_INSTANT_MS ? ms : null;
  }
  return parseIsoUtc(text);
};

export const isTimeText = (text: string): boolean => timeMs(text) !== null;

/** The time as the tree writes it: epoch ms as a number, anything else as the text. */
export const timeSpec = (text: string): string | number => (EPOCH.test(text) ? Number(text) : text);

/** A number (a count, an amount) or a time: `between` takes both on the same fields. */
export const numOrTimeText = (v: unknown): string | null => (typeof v === 'number' ? String(v) : timeText(v));
export const numOrTimeSpec = (text: string): string | number => {
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : text;
};
export const isNumOrTime = (text: string): boolean =>
  (text.trim() !== '' && Number.isFinite(Number(text))) || isTimeText(text);

/** What a date input shows: the date alone when that is all, else a UTC date-time input's text. */
export const shownTime = (text: string): { kind: 'date' | 'datetime'; value: string } => {
  if (text === '' || DATE_ONLY.test(text)) return { kind: 'date', value: text };
  const ms = timeMs(text);
  if (ms === null) return { kind: 'date', value: '' };
  return { kind: 'datetime', value: new Date(ms).toISOString().slice(0, 19) };
};
