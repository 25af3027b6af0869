import type { LocalRange } from '../planner/types.ts';
import { wallClockFormatter } from '../time/wall-clock-format.ts';

/**
 * Whether a campaign's slot falls in the workspace's quiet hours (in its default time zone), and
 * when its marketing messages will then really go: at the end of the quiet hours. Pure; the
 * planner decides per user in each user's own zone, this is what the console says of the slot.
 */
export interface SlotQuietHours {
  /** The slot's local time, HH:MM, in `timezone`. */
  localTime: string;
  timezone: string;
  inQuietHours: boolean;
  /** When held messages start to go (the quiet hours' end, HH:MM); null when not in quiet hours. */
  sendsFrom: string | null;
}

const minutesOf = (hhmm: string): number => {
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
};

const inRange = (m: number, start: number, end: number): boolean =>
  start < end ? m >= start && m < end : start > end ? m >= start || m < end : false;

export const slotQuietHours = (
  slotAt: number,
  quietHours: LocalRange | null,
  timezone: string,
  marketing: boolean,
): SlotQuietHours => {
  const parts: Record<string, string> = {};
  for (const p of wallClockFormatter(timezone).formatToParts(slotAt)) parts[p.type] = p.value;
  const hour = (parts['hour'] ?? '00') === '24' ? '00' : (parts['hour'] ?? '00');
  const localTime = `${hour.padStart(2, '0')}:${(parts['minute'] ?? '00').padStart(2, '0')}`;
  const quiet =
    marketing &&
    quietHours !== null &&
    inRange(minutesOf(localTime), minutesOf(quietHours.start), minutesOf(quietHours.end));
  return { localTime, timezone, inQuietHours: quiet, sendsFrom: quiet && quietHours ? quietHours.end : null };
};
