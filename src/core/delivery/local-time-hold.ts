import type { Channel } from '../channels/channels.ts';
import { localWindows, nextAllowed } from '../planner/local-windows.ts';
import { hashString } from '../planner/hash.ts';
import { spreadHeld } from '../planner/spreading.ts';
import { localMinuteOfDay, ZoneBook } from '../planner/time-zones.ts';
import type { LocalRange } from '../planner/types.ts';

/** The parts of the workspace policy (features.md E4) that say when a marketing message may go out. */
export interface LocalTimeRules {
  quietHours: LocalRange | null;
  sendWindows: Partial<Record<Channel, readonly LocalRange[]>>;
  defaultTimezone: string;
  /** Held messages spread over this many minutes from the window start, as the planner does; absent: 0. */
  quietSpreadMinutes?: number;
}

/**
 * When a provider defers a marketing message (a per-number limit: "try in an hour"), the new time
 * must still respect the user's quiet hours and the channel's send windows, as the planner did
 * for the first one: `at` → the first allowed instant at or after it in the user's zone (the
 * policy's default zone when the user has none). A channel that is never allowed, or a policy the
 * tables cannot read, leaves `at` as it is — the planner would not have planned such a message.
 */
export const localTimeHold = (
  rules: LocalTimeRules,
  channel: Channel,
  timezone: string | undefined,
  /** The recipient: the same stable minute in the window as the planner gives them. */
  userId?: string,
): ((at: number) => number) => {
  return (at) => {
    try {
      const zone = new ZoneBook(at, rules.defaultTimezone).get(timezone ?? null);
      const windows = localWindows(
        rules.quietHours,
        rules.sendWindows[channel],
        `policy.sendWindows.${channel}`,
      );
      const held = nextAllowed(zone, at, windows);
      if (held === null) return at;
      // Held out of the quiet hours: spread like the planner's held messages, not all at the first minute.
      if (held === at || userId === undefined) return held;
      const minute = localMinuteOfDay(zone, held);
      return spreadHeld(windows, minute, held, rules.quietSpreadMinutes ?? 0, hashString(userId));
    } catch {
      return at;
    }
  };
};
