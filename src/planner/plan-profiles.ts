import type { Channel } from '../core/channels/channels.ts';
import { ALL_CHANNELS, channelMask } from '../core/planner/profile-columns.ts';
import type { ProfileColumns, Roster } from '../core/planner/types.ts';
import {
  MAX_CATEGORIES,
  NO_PROFILE,
  packedProfilesByIds,
  profileTimezones,
  rosterRows,
  timezonesByIds,
  TZ_OTHER,
  type Dictionaries,
} from '../storage/warehouse/planner-profiles.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';

/**
 * Profiles as the planner's columns (ProfileColumns), read from the warehouse: which channels can
 * reach a user (a contact or token AND consent; in-app and webhook need neither), opt-outs,
 * preferences from traits, time zone. They come packed in one integer per user (the bit layout
 * and the reads: storage/warehouse/planner-profiles.ts); here they are decoded.
 */
type OptOuts = ReadonlyMap<string, ReadonlySet<Channel> | 'all'>;

const dictionaries = async (
  warehouse: WarehouseSql,
  campaignCategories: readonly string[],
): Promise<Dictionaries> => ({
  timezones: await profileTimezones(warehouse),
  categories: [...new Set(campaignCategories)].slice(0, MAX_CATEGORIES),
});

/** Packed profiles (NO_PROFILE: none) decoded into columns; zones the dictionary lacked read by id. */
const decodeProfiles = async (
  warehouse: WarehouseSql,
  ids: string[],
  packed: ArrayLike<number>,
  d: Dictionaries,
  unsubscribed: OptOuts,
): Promise<{ profiles: ProfileColumns; hasProfile: Uint8Array }> => {
  const size = ids.length;
  const profiles: ProfileColumns = {
    ids,
    reach: new Uint8Array(size),
    optOut: new Uint8Array(size),
    preferred: new Int8Array(size),
    category: new Int16Array(size),
    categories: d.categories,
    timezone: new Int16Array(size).fill(-1),
    timezones: d.timezones,
  };
  const hasProfile = new Uint8Array(size);
  const other: number[] = [];
  for (let i = 0; i < size; i++) {
    const v = packed[i] as number;
    if (v === NO_PROFILE) continue;
    hasProfile[i] = 1;
    profiles.reach[i] = v & 127;
    profiles.preferred[i] = ((v >> 7) & 7) - 1;
    const tz = (v >> 10) & 2047;
    if (tz === TZ_OTHER) other.push(i);
    profiles.timezone[i] = tz - 1;
    profiles.category[i] = ((v >> 21) & 1023) - 1;
  }
  if (unsubscribed.size > 0)
    for (let i = 0; i < size; i++) {
      const u = unsubscribed.get(ids[i] as string);
      if (u !== undefined) profiles.optOut[i] = u === 'all' ? ALL_CHANNELS : channelMask(u);
    }
  if (other.length > 0) await readOtherZones(warehouse, profiles, other);
  return { profiles, hasProfile };
};

/** Time zones the dictionary lacked, read by user id and added to it. */
const readOtherZones = async (warehouse: WarehouseSql, cols: ProfileColumns, at: readonly number[]) => {
  const zoneOf = await timezonesByIds(
    warehouse,
    at.map((i) => cols.ids[i] as string),
  );
  const dict = cols.timezones as string[];
  const index = new Map(dict.map((tz, i) => [tz, i]));
  for (const i of at) {
    const tz = zoneOf.get(cols.ids[i] as string) ?? null;
    if (tz === null) {
      cols.timezone[i] = -1;
      continue;
    }
    let k = index.get(tz);
    if (k === undefined) {
      k = dict.length;
      dict.push(tz);
      index.set(tz, k);
    }
    cols.timezone[i] = k;
  }
};

/** The given users' profiles (a trigger batch, a notification); ids travel as one JSON parameter. */
export const planUsersByIds = async (
  warehouse: WarehouseSql,
  userIds: readonly string[],
  unsubscribed: OptOuts,
  categories: readonly string[],
): Promise<ProfileColumns> => {
  const d = await dictionaries(warehouse, categories);
  const { ids, packed } = await packedProfilesByIds(warehouse, userIds, d);
  return (await decodeProfiles(warehouse, ids, packed, d, unsubscribed)).profiles;
};

/**
 * A slot's members as a Roster, in one query: each distinct member of the snapshots once, the
 * campaigns whose snapshots list them as bits (31 a word), their packed profile beside them.
 *
 * The rows come back as text, a line per member — its words and packed profile as numbers, then
 * its id — in a few large strings that JavaScript splits: handing over a million strings one by
 * one cost the event loop several times the query. A member id holding a newline cannot travel
 * so; then the rows come back as columns.
 */
export const readRoster = async (
  warehouse: WarehouseSql,
  snapshots: readonly { campaignId: string; snapshotId: string }[],
  unsubscribed: OptOuts,
  categories: readonly string[],
): Promise<Roster> => {
  const d = await dictionaries(warehouse, categories);
  const r = await rosterRows(
    warehouse,
    snapshots.map((s) => s.snapshotId),
    d,
  );
  let ids: string[];
  let packed: Int32Array;
  let words: Int32Array[];
  if (r.kind === 'columns') {
    const c = r.columns;
    ids = (c['user_id'] ?? []) as string[];
    packed = Int32Array.from((c['packed'] ?? []) as number[]);
    words = r.wordNames.map((name) => Int32Array.from((c[name] ?? []) as number[]));
  } else ({ ids, packed, words } = parseRosterLines(r.lines, r.wordNames.length));
  const { profiles, hasProfile } = await decodeProfiles(warehouse, ids, packed, d, unsubscribed);
  return { campaignIds: snapshots.map((s) => s.campaignId), ids, words, hasProfile, profiles };
};

/** Lines `w0,…,packed,user id` (the id last: it may hold commas) into columns. */
export const parseRosterLines = (
  chunks: readonly (string | null)[],
  nWords: number,
): { ids: string[]; packed: Int32Array; words: Int32Array[] } => {
  let size = 0;
  for (const c of chunks)
    if (c)
      for (let i = c.indexOf('\n'); ; i = c.indexOf('\n', i + 1)) {
        size++;
        if (i < 0) break;
      }
  const ids = new Array<string>(size);
  const packed = new Int32Array(size);
  const words = Array.from({ length: nWords }, () => new Int32Array(size));
  let row = 0;
  for (const c of chunks) {
    if (!c) continue;
    let at = 0;
    while (at <= c.length) {
      let end = c.indexOf('\n', at);
      if (end < 0) end = c.length;
      let p = at;
      for (let f = 0; f <= nWords; f++) {
        // A decimal integer up to the comma, read digit by digit (no substring per field).
        let v = 0;
        let sign = 1;
        if (c.charCodeAt(p) === 45) {
          sign = -1;
          p++;
        }
        for (let ch = c.charCodeAt(p); ch !== 44; ch = c.charCodeAt(++p)) v = v * 10 + (ch - 48);
        p++;
        if (f < nWords) (words[f] as Int32Array)[row] = sign * v;
        else packed[row] = sign * v;
      }
      ids[row++] = c.slice(p, end);
      at = end + 1;
    }
  }
  return { ids, packed, words };
};
