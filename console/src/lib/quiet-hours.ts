/**
 * Does a campaign's slot fall in the users' night, and when do its messages really go? The
 * planner (src/core/planner/plan-slot.ts, spreading.ts) holds a marketing message that falls in
 * the policy's quiet hours (default 22:00–08:00, in the user's time zone, else the workspace's)
 * to the end of the quiet hours, then spreads the held messages over the first
 * `quietSpreadMinutes` (default 120) minutes: 08:00–10:00. A campaign set to drop instead skips
 * those users. Pure: times in, words out by the caller.
 */
export interface QuietWindow {
  start: string;
  end: string;
}

export const DEFAULT_SPREAD_MINUTES = 120;

export const minutesOf = (hhmm: string): number => {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
};

export const clockOf = (minutes: number): string => {
  const m = ((minutes % 1440) + 1440) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
};

/** A local minute of the day is in the quiet window (which may wrap midnight; end excluded). */
export const inQuiet = (minute: number, w: QuietWindow): boolean => {
  const s = minutesOf(w.start);
  const e = minutesOf(w.end);
  if (s === e) return false;
  return s < e ? minute >= s && minute < e : minute >= s || minute < e;
};

/** Held messages go out from the window's end over `spread` minutes: [from, to]. */
export const releaseWindow = (w: QuietWindow, spread: number): { from: string; to: string } => ({
  from: w.end,
  to: clockOf(minutesOf(w.end) + Math.max(0, spread)),
});

/** The local minute of the day of an instant in a time zone. */
export const localMinute = (instantMs: number, zone: string): number => {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: zone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(instantMs));
  const h = Number(parts.find((p) => p.type === 'hour')?.value ?? 0);
  const m = Number(parts.find((p) => p.type === 'minute')?.value ?? 0);
  return h * 60 + m;
};

const field = (f: string, max: number): number[] | null => {
  if (f === '*') return null;
  const out: number[] = [];
  for (const part of f.split(',')) {
    const step = /^(\*|\d+)(?:-(\d+))?(?:\/(\d+))?$/.exec(part);
    if (!step) return null;
    const from = step[1] === '*' ? 0 : Number(step[1]);
    const to =
      step[2] !== undefined ? Number(step[2]) : step[1] === '*' || step[3] !== undefined ? max : from;
    const by = step[3] !== undefined ? Number(step[3]) : 1;
    for (let v = from; v <= to && v <= max; v += by) out.push(v);
  }
  return out;
};

/**
 * The local minutes of the day a five-field cron fires at, or null when its minute or hour is
 * `*` or not understood (then every hour, night ones included).
 */
export const cronMinutes = (cron: string): number[] | null => {
  const f = cron.trim().split(/\s+/);
  if (f.length !== 5) return null;
  const minutes = field(f[0] ?? '', 59);
  const hours = field(f[1] ?? '', 23);
  if (minutes === null || hours === null) return null;
  return hours.flatMap((h) => minutes.map((m) => h * 60 + m)).slice(0, 1440);
};

export type QuietVerdict =
  | { kind: 'none' }
  | { kind: 'day'; at: string }
  | { kind: 'night'; at: string; from: string; to: string }
  | { kind: 'some'; from: string; to: string };

/**
 * What the editor says about a schedule: a one-off instant (`atMs`) or a cron's local minutes, in
 * the zone the users' night is counted in. `quiet` null: the policy has no quiet hours.
 */
export const quietVerdict = (
  slot: { atMs: number; zone: string } | { minutes: number[] | null },
  quiet: QuietWindow | null,
  spread: number,
): QuietVerdict => {
  if (quiet === null) return { kind: 'none' };
  const r = releaseWindow(quiet, spread);
  if ('atMs' in slot) {
    if (!Number.isFinite(slot.atMs)) return { kind: 'none' };
    const m = localMinute(slot.atMs, slot.zone);
    return inQuiet(m, quiet) ? { kind: 'night', at: clockOf(m), ...r } : { kind: 'day', at: clockOf(m) };
  }
  if (slot.minutes === null) return { kind: 'some', ...r };
  const night = slot.minutes.filter((m) => inQuiet(m, quiet));
  if (night.length === 0) return { kind: 'day', at: clockOf(slot.minutes[0] ?? 0) };
  if (night.length === slot.minutes.length) return { kind: 'night', at: clockOf(night[0] ?? 0), ...r };
  return { kind: 'some', ...r };
};
