import { hashString, mix, unitInterval } from './hash.ts';
import { blockAt, type LocalWindows } from './local-windows.ts';
import { MINUTE_MS, MINUTES_PER_DAY } from './time-zones.ts';

/**
 * Send-time spreading and the minimum gap between marketing messages (features.md E4), pure.
 *
 * Quiet hours used to release every held message at the first allowed minute (08:00 in
 * Asia/Shanghai, which reads 00:00 in UTC: the "same second at 00:00" of issue 17), so a user
 * whom two campaigns held got both in the same second and the providers got the whole night's
 * backlog at once. A held message now goes out at a minute of the first `spread` minutes of the
 * allowed window, picked by a stable hash of the user (the same user, the same minute, in every
 * slot and campaign), never past the window's end (a call window 09:30–11:30 spreads over at
 * most its two hours).
 */

const SPREAD_SALT = hashString('spread');

/** Allowed minutes in a row from local minute `m` on, at most `max`. */
export const allowedRun = (w: LocalWindows, m: number, max: number): number => {
  let k = 0;
  while (k < max && k < MINUTES_PER_DAY && blockAt(w, (m + k) % MINUTES_PER_DAY) === null) k++;
  return k;
};

/** The user's minute in a run of `run` allowed minutes: uniform in [0, run) by the user's hash. */
export const spreadMinute = (run: number, userHash: number): number =>
  run <= 1 ? 0 : Math.floor(unitInterval(mix(userHash, SPREAD_SALT)) * run);

/**
 * The minutes after the window opens (local minute `m`) at which this user's held message goes
 * out: uniform in [0, min(spread, allowed run)) by the user's hash. (The planner computes the run
 * once per zone and channel and calls `spreadMinute` per user.)
 */
export const spreadOffsetMinutes = (w: LocalWindows, m: number, spread: number, userHash: number): number =>
  spread <= 0 ? 0 : spreadMinute(allowedRun(w, m, spread), userHash);

/** `heldAt` moved by the user's spread offset (whole minutes). */
export const spreadHeld = (
  w: LocalWindows,
  heldMinute: number,
  heldAt: number,
  spread: number,
  userHash: number,
): number => heldAt + spreadOffsetMinutes(w, heldMinute, spread, userHash) * MINUTE_MS;

/**
 * The latest of `ats` (marketing messages of the user, sent or planned) closer than `gapMs` to
 * `t`, either side; NaN when none is.
 */
export const nearestWithinGap = (ats: readonly number[], n: number, t: number, gapMs: number): number => {
  let found = Number.NaN;
  for (let i = 0; i < n; i++) {
    const a = ats[i] as number;
    if (Math.abs(a - t) < gapMs && !(a <= found)) found = a;
  }
  return found;
};
