import { CHANNELS, type Channel } from '../channels/channels.ts';
import type { PlanUser, ProfileColumns } from './types.ts';

/** The opt-out mask of 'all'. */
export const ALL_CHANNELS = (1 << CHANNELS.length) - 1;
if (CHANNELS.join() !== 'push,in_app,email,sms,wecom,call,webhook')
  throw new Error('profile-columns.ts: reachMask spells out the channels; update it with CHANNELS');

/** Bits in CHANNELS order; named reads, as a loop over the names is a slow keyed lookup. */
const reachMask = ({ reachable: r }: PlanUser): number =>
  (r.push === true ? 1 : 0) |
  (r.in_app === true ? 2 : 0) |
  (r.email === true ? 4 : 0) |
  (r.sms === true ? 8 : 0) |
  (r.wecom === true ? 16 : 0) |
  (r.call === true ? 32 : 0) |
  (r.webhook === true ? 64 : 0);

/** Bits in CHANNELS order of the given channels (an opt-out mask). */
export const channelMask = (channels: Iterable<Channel>): number => {
  let m = 0;
  for (const ch of channels) m |= 1 << CHANNELS.indexOf(ch);
  return m;
};

export const isProfileColumns = (
  users: ReadonlyMap<string, PlanUser> | ProfileColumns,
): users is ProfileColumns => !(users instanceof Map);

/** Profile objects (tests, small batches) as the columns the pass reads. */
export const profileColumnsOf = (users: ReadonlyMap<string, PlanUser>): ProfileColumns => {
  const n = users.size;
  const cols = {
    ids: new Array<string>(n),
    reach: new Uint8Array(n),
    optOut: new Uint8Array(n),
    preferred: new Int8Array(n),
    category: new Int16Array(n),
    timezone: new Int16Array(n),
  };
  const categories = new Map<string, number>();
  const timezones = new Map<string, number>();
  const code = (dict: Map<string, number>, v: string | null) => {
    if (v === null) return -1;
    let i = dict.get(v);
    if (i === undefined) dict.set(v, (i = dict.size));
    return i;
  };
  let i = 0;
  for (const [id, p] of users) {
    cols.ids[i] = id;
    cols.reach[i] = reachMask(p);
    cols.optOut[i] =
      p.unsubscribed === 'all' ? ALL_CHANNELS : p.unsubscribed.size === 0 ? 0 : channelMask(p.unsubscribed);
    cols.preferred[i] = p.preferredChannel === null ? -1 : CHANNELS.indexOf(p.preferredChannel);
    cols.category[i] = code(categories, p.preferredCategory);
    cols.timezone[i] = code(timezones, p.timezone);
    i++;
  }
  return { ...cols, categories: [...categories.keys()], timezones: [...timezones.keys()] };
};
