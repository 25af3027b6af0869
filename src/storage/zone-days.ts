import { DAY_MS } from '../core/time/units.ts';
import { zoneAround } from '../core/planner/time-zones.ts';

/**
 * Calendar days in an operator's zone for SQL that groups by day (issue 18: a Chinese operator's
 * day starts at 00:00 in Beijing, not in UTC). Neither the warehouse nor the control plane is
 * asked to know zones: the zone's UTC offsets over the span are worked out here (Intl) and handed
 * to SQL as a CASE over numbers, so both engines shift an instant to local time the same way.
 */

export interface ZoneDays {
  timeZone: string;
  /** The zone's offset pieces: from `startMs` on (the first piece reaches back without end), `offsetMs`. */
  pieces: { startMs: number; offsetMs: number }[];
  /** When set, only instants in [fromMs, toMs) count (a range of whole days in the zone). */
  window: { fromMs: number; toMs: number } | null;
}

/** How far back a report without a range reads offsets (before it the first offset is assumed). */
const DEFAULT_SPAN_MS = 5 * 366 * DAY_MS;

/** The zone's days over [fromMs, toMs), or, without a window, over the last years up to now. */
export const zoneDays = (
  timeZone: string,
  window: { fromMs: number; toMs: number } | null,
  now: number,
): ZoneDays => {
  const from = window ? window.fromMs : now - DEFAULT_SPAN_MS;
  const to = window ? window.toMs : now + 2 * DAY_MS;
  const z = zoneAround(timeZone, from - DAY_MS, to + DAY_MS);
  const pieces = z.starts.map((startMs, i) => ({ startMs, offsetMs: z.offsets[i] as number }));
  return { timeZone, pieces, window };
};

const int = (n: number): string => {
  // Only numbers computed above reach SQL; guard against anything else all the same.
  if (!Number.isSafeInteger(n)) throw new Error(`not an integer offset or instant: ${n}`);
  return String(n);
};

/** SQL for the offset (ms) at the instant `msExpr` (epoch milliseconds), from the zone's pieces. */
export const offsetSql = (msExpr: string, d: ZoneDays): string => {
  const [first, ...rest] = d.pieces;
  const base = int(first?.offsetMs ?? 0);
  if (rest.length === 0) return base;
  const whens = [...rest]
    .reverse()
    .map((p) => `WHEN ${msExpr} >= ${int(p.startMs)} THEN ${int(p.offsetMs)}`)
    .join(' ');
  return `(CASE ${whens} ELSE ${base} END)`;
};

/** SQL keeping instants `msExpr` (epoch ms) inside the window; TRUE without one. */
export const windowSql = (msExpr: string, d: ZoneDays): string =>
  d.window === null ? 'TRUE' : `(${msExpr} >= ${int(d.window.fromMs)} AND ${msExpr} < ${int(d.window.toMs)})`;
