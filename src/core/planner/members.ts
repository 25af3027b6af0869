import { CHANNELS } from '../channels/channels.ts';
import { hashString, mix } from './hash.ts';
import { sortByKeys, type KeyOrder } from './order.ts';
import { isRoster } from './roster.ts';
import { ROSTER_WORD_BITS, type ProfileColumns, type Roster, type SentBefore } from './types.ts';

/**
 * The slot's members, indexed once. Every (campaign, member) pair is a membership. Memberships
 * are sorted by a hash of (slot, user id), then user id — the order in which the pass plans
 * users, so who gets a budget that runs short depends neither on the input's order nor on how
 * ids sort, and changes from slot to slot — and each distinct user gets its rank in that order
 * as its index: equal ids fall next to each other, so a user listed by several campaigns is
 * recognised without a Map of a million strings.
 *
 * What the rules read about a user — reachable channels, opt-outs, preferences, time zone, send
 * history — is copied into flat typed arrays by that index, and the pass walks them from the
 * first user to the last. Profiles and histories are joined the same way: each Map is read once
 * in its own order (its entries lie in sequence in memory), its ids sorted by the same key, and
 * the two sorted lists merged. On a 1 M-user slot this matters more than any rule: a Map.get or
 * a random read of a profile object misses the CPU caches, and a million of them took longer
 * here than all the rules together.
 */

export interface Users {
  size: number;
  ids: string[];
  /** hashString(user id): the source of every per-user draw (hash.ts). */
  hash: Uint32Array;
  /** 1 when the user has a profile. */
  hasProfile: Uint8Array;
  /** Bit i set: channel CHANNELS[i] has a contact or token and consent. */
  reach: Uint8Array;
  /** Bit i set: opted out of CHANNELS[i]. */
  optOut: Uint8Array;
  /** Index of the preferred channel in CHANNELS, -1 for none. */
  preferred: Int8Array;
  /** Index of the preferred category in the caller's list, -1 for none (or one no campaign has). */
  category: Int16Array;
  /** Index of the user's zone in the caller's list of zones. */
  zone: Uint16Array;
  /** The user's history is entries [historyFrom, historyFrom + historyLength) of `history`. */
  historyFrom: Int32Array;
  historyLength: Int32Array;
  history: FlatHistory;
}

/** Messages sent or planned before this slot, flattened. */
export interface FlatHistory {
  at: Float64Array;
  /** Index in CHANNELS; -1 for a channel the planner does not know (counted by total caps only). */
  channel: Int8Array;
  /** Index of the campaign in the caller's list; -1 for a campaign not in this slot. */
  campaign: Int32Array;
  /** 1 for a marketing message (the minimum gap between marketing messages counts only these). */
  marketing: Uint8Array;
}

/** Every (campaign, member) pair, in user order. */
export interface Memberships {
  size: number;
  /** User index of each membership: 0, 0, 1, 2, 2, 2, … */
  user: Int32Array;
  /** Campaign index (in the order given) of each membership. */
  campaign: Uint16Array;
}

export interface MemberSource {
  slotAt: number;
  /** Campaign ids, in the order the pass plans them. */
  campaignIds: readonly string[];
  /** Categories the campaigns have (a preferred category outside them cannot win a tie). */
  categories: readonly string[];
  /** Lists per campaign with `profiles`; or a Roster, which holds the profiles (then null). */
  members: ReadonlyMap<string, readonly string[]> | Roster;
  profiles: ProfileColumns | null;
  history: ReadonlyMap<string, readonly SentBefore[]>;
  /** The index of a profile's time zone (null: the default zone). */
  zoneOf: (timezone: string | null) => number;
}

// `===` first: a user listed by several campaigns compares equal to itself at once.
const compareIds = (x: string, y: string): number => (x === y ? 0 : x < y ? -1 : 1);

/** `ids` sorted by (key, id), keys = mix(hashString(id), salt). */
const sortIds = (ids: readonly string[], salt: number): KeyOrder => {
  const keys = new Uint32Array(ids.length);
  for (let i = 0; i < ids.length; i++) keys[i] = mix(hashString(ids[i] as string), salt);
  return sortByKeys(keys, (a, b) => compareIds(ids[a] as string, ids[b] as string));
};

/**
 * Merges the users (in index order, with their keys) with another list sorted the same way:
 * calls `match(u, i)` for each user whose id is `ids[i]`.
 */
const mergeJoin = (
  users: Users,
  userKeys: Uint32Array,
  ids: readonly string[],
  sorted: KeyOrder,
  match: (u: number, i: number) => void,
): void => {
  const { order, keys } = sorted;
  let j = 0;
  for (let u = 0; u < users.size && j < order.length; u++) {
    const k = userKeys[u] as number;
    while (j < order.length && (keys[j] as number) < k) j++;
    // Among equal keys (almost always one entry), ids are sorted too.
    const id = users.ids[u] as string;
    let c = -1;
    while (j < order.length && keys[j] === k && (c = compareIds(ids[order[j] as number] as string, id)) < 0)
      j++;
    if (c === 0 && keys[j] === k) match(u, order[j++] as number);
  }
};

const emptyUsers = (n: number): Users => ({
  size: n,
  ids: new Array<string>(n),
  hash: new Uint32Array(n),
  hasProfile: new Uint8Array(n),
  reach: new Uint8Array(n),
  optOut: new Uint8Array(n),
  preferred: new Int8Array(n).fill(-1),
  category: new Int16Array(n).fill(-1),
  zone: new Uint16Array(n),
  historyFrom: new Int32Array(n),
  historyLength: new Int32Array(n),
  history: {
    at: new Float64Array(0),
    channel: new Int8Array(0),
    campaign: new Int32Array(0),
    marketing: new Uint8Array(0),
  },
});

/**
 * The memberships in user order, and the users with their ids, hashes and order keys. After the
 * radix sort by key, each run of equal keys — one user listed by several campaigns, or a rare
 * collision of two users — is sorted by id and split where the id changes.
 */
const groupMembers = (src: MemberSource, members: ReadonlyMap<string, readonly string[]>, salt: number) => {
  const lists = src.campaignIds.map((id) => members.get(id) ?? []);
  const size = lists.reduce((s, l) => s + l.length, 0);
  const ids: string[] = new Array<string>(size);
  // idHash and campaign of membership m side by side, so one read fetches both.
  const meta = new Uint32Array(2 * size);
  const keys = new Uint32Array(size);
  let m = 0;
  lists.forEach((list, k) => {
    for (const id of list) {
      const h = hashString(id);
      ids[m] = id;
      meta[2 * m] = h;
      meta[2 * m + 1] = k;
      keys[m] = mix(h, salt);
      m++;
    }
  });
  // One user's memberships may stay in any order: the pass orders a user's campaigns itself.
  const sorted = sortByKeys(keys, (a, b) => compareIds(ids[a] as string, ids[b] as string));

  // A new user wherever the key or the id changes (within a run of equal keys the ids are
  // sorted, so a user's memberships are adjacent).
  const user = new Int32Array(size);
  const campaign = new Uint16Array(size);
  const firstAt = new Int32Array(size);
  let n = 0;
  let lastId = '';
  for (let i = 0; i < size; i++) {
    const at = sorted.order[i] as number;
    const id = ids[at] as string;
    if (i === 0 || sorted.keys[i] !== sorted.keys[i - 1] || id !== lastId) firstAt[n++] = at;
    lastId = id;
    user[i] = n - 1;
    campaign[i] = meta[2 * at + 1] as number;
  }
  const users = emptyUsers(n);
  const userKeys = new Uint32Array(n);
  for (let u = 0; u < n; u++) {
    const at = firstAt[u] as number;
    users.ids[u] = ids[at] as string;
    users.hash[u] = meta[2 * at] as number;
    userKeys[u] = keys[at] as number;
  }
  return { users, userKeys, memberships: { size, user, campaign } };
};

/** Copies profile row j into user u, its codes translated into the pass's (see `profileCopier`). */
type CopyProfile = (u: number, j: number) => void;

const profileCopier = (src: MemberSource, p: ProfileColumns, users: Users): CopyProfile => {
  // The profiles' dictionaries in the pass's terms: category index among the campaigns', zone index.
  const categoryIndex = new Map(src.categories.map((c, i) => [c, i]));
  const category = p.categories.map((c) => categoryIndex.get(c) ?? -1);
  const zone = p.timezones.map((tz) => src.zoneOf(tz));
  const noZone = src.zoneOf(null);
  return (u, j) => {
    users.hasProfile[u] = 1;
    users.reach[u] = p.reach[j] as number;
    users.optOut[u] = p.optOut[j] as number;
    users.preferred[u] = p.preferred[j] as number;
    const c = p.category[j] as number;
    users.category[u] = c < 0 ? -1 : (category[c] as number);
    const z = p.timezone[j] as number;
    users.zone[u] = z < 0 ? noZone : (zone[z] as number);
  };
};

/** Copies what the rules read from each profile into the users' arrays. */
const joinProfiles = (
  src: MemberSource,
  p: ProfileColumns,
  users: Users,
  userKeys: Uint32Array,
  salt: number,
): void => {
  mergeJoin(users, userKeys, p.ids, sortIds(p.ids, salt), profileCopier(src, p, users));
};

/**
 * A roster's users in the pass's order, their memberships and profiles: its ids are distinct
 * and its profiles in the same rows, so one sort of the users does what grouping the lists and
 * joining the profiles do.
 */
const groupRoster = (src: MemberSource, r: Roster, salt: number) => {
  const n = r.ids.length;
  const hashes = new Uint32Array(n);
  const keys = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const h = hashString(r.ids[i] as string);
    hashes[i] = h;
    keys[i] = mix(h, salt);
  }
  const sorted = sortByKeys(keys, (a, b) => compareIds(r.ids[a] as string, r.ids[b] as string));
  // Each planned campaign's word and bit in the roster, in the pass's campaign order: a user's
  // memberships come out in that order, as from the lists (a tie without a profile keeps it).
  const rosterIndex = new Map(r.campaignIds.map((id, i) => [id, i]));
  const wordOf: number[] = [];
  const bitOf: number[] = [];
  const passOf: number[] = [];
  src.campaignIds.forEach((id, k) => {
    const i = rosterIndex.get(id);
    if (i === undefined) return;
    wordOf.push(Math.floor(i / ROSTER_WORD_BITS));
    bitOf.push(1 << (i % ROSTER_WORD_BITS));
    passOf.push(k);
  });
  let size = 0;
  for (let j = 0; j < passOf.length; j++) {
    const word = r.words[wordOf[j] as number] as Int32Array;
    const bit = bitOf[j] as number;
    for (let i = 0; i < n; i++) if (((word[i] as number) & bit) !== 0) size++;
  }
  const users = emptyUsers(n);
  const userKeys = sorted.keys;
  const user = new Int32Array(size);
  const campaign = new Uint16Array(size);
  const copy = profileCopier(src, r.profiles, users);
  let m = 0;
  for (let u = 0; u < n; u++) {
    const row = sorted.order[u] as number;
    users.ids[u] = r.ids[row] as string;
    users.hash[u] = hashes[row] as number;
    if (r.hasProfile[row] === 1) copy(u, row);
    for (let j = 0; j < passOf.length; j++)
      if ((((r.words[wordOf[j] as number] as Int32Array)[row] as number) & (bitOf[j] as number)) !== 0) {
        user[m] = u;
        campaign[m] = passOf[j] as number;
        m++;
      }
  }
  return { users, userKeys, memberships: { size, user, campaign } };
};

/** Flattens the histories and points each user at theirs. */
const joinHistory = (src: MemberSource, users: Users, userKeys: Uint32Array, salt: number): void => {
  const n = src.history.size;
  let total = 0;
  for (const sent of src.history.values()) total += sent.length;
  const h: FlatHistory = {
    at: new Float64Array(total),
    channel: new Int8Array(total),
    campaign: new Int32Array(total),
    marketing: new Uint8Array(total),
  };
  const ids: string[] = new Array<string>(n);
  const from = new Int32Array(n);
  const length = new Int32Array(n);
  const campaignIndex = new Map(src.campaignIds.map((id, k) => [id, k]));
  let i = 0;
  let e = 0;
  for (const [id, sent] of src.history) {
    ids[i] = id;
    from[i] = e;
    length[i] = sent.length;
    for (const s of sent) {
      h.at[e] = s.at;
      h.channel[e] = CHANNELS.indexOf(s.channel);
      h.campaign[e] = campaignIndex.get(s.campaignId) ?? -1;
      h.marketing[e] = s.class === 'marketing' ? 1 : 0;
      e++;
    }
    i++;
  }
  users.history = h;
  mergeJoin(users, userKeys, ids, sortIds(ids, salt), (u, j) => {
    users.historyFrom[u] = from[j] as number;
    users.historyLength[u] = length[j] as number;
  });
};

export const indexMembers = (src: MemberSource): { users: Users; memberships: Memberships } => {
  const salt = hashString(`order:${src.slotAt}`);
  if (isRoster(src.members)) {
    const grouped = groupRoster(src, src.members, salt);
    joinHistory(src, grouped.users, grouped.userKeys, salt);
    return { users: grouped.users, memberships: grouped.memberships };
  }
  if (src.profiles === null) throw new Error('indexMembers: member lists need profiles');
  const { users, userKeys, memberships } = groupMembers(src, src.members, salt);
  joinProfiles(src, src.profiles, users, userKeys, salt);
  joinHistory(src, users, userKeys, salt);
  return { users, memberships };
};
