import type { LocalRange } from './types.ts';
import { MINUTE_MS, MINUTES_PER_DAY, minuteOfWall, pieceAt, type Zone } from './time-zones.ts';

/**
 * Quiet hours and per-channel send windows (features.md E4) as a table over the 1 440 minutes of a local
 * day, built once per channel per slot: what blocks each minute, and how many minutes until the
 * next allowed one. A send time is then a table read plus, when held, one wall-clock → instant
 * conversion in the user's zone.
 *
 * Ranges are [start, end) in local minutes; start > end wraps midnight (22:00–08:00); start = end
 * is empty (no quiet hours; a send window that never opens).
 */

export type TimingBlock = 'quiet_hours' | 'send_window';

const ALLOWED = 0;
const QUIET = 1;
const OUTSIDE = 2;

export interface LocalWindows {
  /** Per local minute: 0 allowed, 1 quiet hours, 2 outside the channel's send windows. */
  block: Uint8Array;
  /** Per local minute: minutes until the next allowed one (0 when allowed); -1 when none is. */
  wait: Int16Array;
}

/** 'HH:MM' → minutes after midnight; a malformed time is a broken policy and throws. */
export const clockMinutes = (hhmm: string, where: string): number => {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
  if (m === null) throw new Error(`${where}: '${hhmm}' is not a local time HH:MM`);
  return Number(m[1]) * 60 + Number(m[2]);
};

const inRange = (m: number, start: number, end: number): boolean =>
  start < end ? m >= start && m < end : start > end ? m >= start || m < end : false;

/** The table for one channel; `windows` undefined means the channel may send at any time. */
export const localWindows = (
  quietHours: LocalRange | null,
  windows: readonly LocalRange[] | undefined,
  where: string,
): LocalWindows => {
  const quiet = quietHours && [
    clockMinutes(quietHours.start, 'policy.quietHours.start'),
    clockMinutes(quietHours.end, 'policy.quietHours.end'),
  ];
  const open = windows?.map((w, i) => [
    clockMinutes(w.start, `${where}[${i}].start`),
    clockMinutes(w.end, `${where}[${i}].end`),
  ]);
  const block = new Uint8Array(MINUTES_PER_DAY);
  for (let m = 0; m < MINUTES_PER_DAY; m++) {
    if (quiet && inRange(m, quiet[0] as number, quiet[1] as number)) block[m] = QUIET;
    else if (open && !open.some(([s, e]) => inRange(m, s as number, e as number))) block[m] = OUTSIDE;
    else block[m] = ALLOWED;
  }
  // Walk two days backwards so a minute late in the day sees tomorrow's first allowed minute.
  const wait = new Int16Array(MINUTES_PER_DAY);
  let next = -1;
  for (let k = 2 * MINUTES_PER_DAY - 1; k >= 0; k--) {
    const m = k % MINUTES_PER_DAY;
    if (block[m] === ALLOWED) next = k;
    if (k < MINUTES_PER_DAY) wait[m] = next < 0 ? -1 : next - k;
  }
  return { block, wait };
};

/** What blocks local minute `m`, or null when a send may go out then. */
export const blockAt = (w: LocalWindows, m: number): TimingBlock | null => {
  const b = w.block[m];
  return b === QUIET ? 'quiet_hours' : b === OUTSIDE ? 'send_window' : null;
};

/**
 * The first instant at or after `t` whose local minute (in zone z) is allowed: `t` itself, or
 * the start of the next allowed local minute. Exact around DST changes: within one piece of
 * constant offset the wall clock runs with real time, so the table gives the answer directly;
 * when that answer lies beyond the piece, the search goes on from the change, where the clock
 * may have jumped forward over the allowed time or back into it. Null when the channel is never
 * allowed.
 */
export const nextAllowed = (z: Zone, t: number, w: LocalWindows): number | null => {
  let at = t;
  let piece = pieceAt(z, t);
  for (; piece < z.starts.length; piece++) {
    const offset = z.offsets[piece] as number;
    const end = z.starts[piece + 1] ?? Number.POSITIVE_INFINITY;
    const wall = at + offset;
    const wait = w.wait[minuteOfWall(wall)] as number;
    if (wait < 0) return null;
    if (wait === 0) return at;
    const next = Math.floor(wall / MINUTE_MS) * MINUTE_MS + wait * MINUTE_MS - offset;
    if (next < end) return next;
    at = end;
  }
  return null;
};

/** The ranges in words, for skip details: '22:00–08:00', '09:30–11:30, 14:00–18:00'. */
export const describeRanges = (ranges: readonly LocalRange[]): string =>
  ranges.length === 0 ? 'never' : ranges.map((r) => `${r.start}–${r.end}`).join(', ');
