import { CHANNELS, type Channel } from '../channels/channels.ts';
import type { UserMessages } from './caps.ts';

/**
 * The per-user eligibility steps that need no clock arithmetic: which channels to try and in
 * what order, whether a channel can reach the user, and per-campaign re-eligibility (features.md E2,
 * E4's opt-outs). Channels are indices into CHANNELS; a user's channels are bit masks (members.ts).
 */

/**
 * The channels to try, best first: the user's preferred channel when the campaign allows it,
 * then the campaign's own order. Entry p + 1 is the order for preferred channel index p (entry
 * 0: no preference), built once per campaign.
 */
export const channelOrders = (channels: readonly Channel[]): number[][] => {
  const own = [...new Set(channels)].map((c) => CHANNELS.indexOf(c));
  return [-1, ...CHANNELS.map((_, i) => i)].map((p) =>
    own.includes(p) ? [p, ...own.filter((c) => c !== p)] : own,
  );
};

/**
 * Why channel `ch` cannot carry a message to the user: no contact, token or consent on it
 * ('unreachable'), or an opt-out ('unsubscribed'); opt-outs are marketing opt-outs, so a
 * transactional message ignores them. Null when it can.
 */
export const reachBlock = (
  reach: number,
  optOut: number,
  ch: number,
  marketing: boolean,
): 'unreachable' | 'unsubscribed' | null => {
  const bit = 1 << ch;
  if ((reach & bit) === 0) return 'unreachable';
  if (marketing && (optOut & bit) !== 0) return 'unsubscribed';
  return null;
};

/**
 * At most one message of a campaign per user in any `windowMs`: true when none of the user's
 * messages from campaign index k lies less than `windowMs` before or after instant t (history
 * may hold messages planned for later).
 */
export const reEligible = (msgs: UserMessages, k: number, windowMs: number, t: number): boolean => {
  for (let i = 0; i < msgs.n; i++)
    if (msgs.campaign[i] === k && Math.abs((msgs.at[i] as number) - t) < windowMs) return false;
  return true;
};
