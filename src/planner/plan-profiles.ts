import { CHANNELS, type Channel } from '../core/channels/channels.ts';
import { ALL_CHANNELS, channelMask } from '../core/planner/profile-columns.ts';
import { ROSTER_WORD_BITS, type ProfileColumns, type Roster } from '../core/planner/types.ts';
import type { SqlParam, Warehouse } from '../storage/warehouse/warehouse.ts';

/**
 * Profiles as the planner's columns (ProfileColumns), read from the warehouse: which channels can
 * reach a user (a contact or token AND consent; in-app and webhook need neither), opt-outs,
 * preferences from traits, time zone. Everything but the id comes packed in one integer per
 * user, the time zone and preferences as positions in small dictionaries: reading a million
 * profiles costs two columns, not nine (each column of a million values costs the event loop
 * about as much as the query).
 *
 * Bits: 0–6 reach in CHANNELS order; 7–9 preferred channel (position in CHANNELS, 0 none);
 * 10–20 time zone (position in the dictionary read just before, 0 none, 2047 one the
 * dictionary lacks: a profile changed in between, or a dictionary too long, read again by id);
 * 21–30 preferred category (position in `categories`, 0 none or not one of them). -1: no profile.
 */
const TZ_OTHER = 2047;
const MAX_CATEGORIES = 1022;
const NO_PROFILE = -1;

type OptOuts = ReadonlyMap<string, ReadonlySet<Channel> | 'all'>;

/** The packed profile of `p` (NULL columns: no profile); dictionaries in $first … $first + 2. */
const packedProfileSql = (first: number): string => {
  // The preference keys are read only from traits that mention them: parsing every profile's
  // JSON costs more than the rest of the query.
  const trait = (key: string) =>
    `CASE WHEN contains(p.traits::VARCHAR, 'preferred_') THEN TRY(p.traits->>'${key}') END`;
  const dict = (k: number) => `from_json($${first + k}, '["VARCHAR"]')`;
  return `CASE WHEN p.user_id IS NULL THEN ${NO_PROFILE} ELSE
       (p.push_token IS NOT NULL AND coalesce(p.consent_push, true))::INTEGER
       | 2
       | ((p.email IS NOT NULL AND coalesce(p.consent_email, false))::INTEGER << 2)
       | ((p.phone IS NOT NULL AND coalesce(p.consent_sms, false))::INTEGER << 3)
       | ((coalesce(p.consent_wecom, false) AND contains(p.traits::VARCHAR, 'wecom_')
           AND (TRY(p.traits->>'wecom_openid') IS NOT NULL OR TRY(p.traits->>'wecom_userid') IS NOT NULL))::INTEGER << 4)
       | ((p.phone IS NOT NULL AND coalesce(p.consent_call, false))::INTEGER << 5)
       | 64
       | (coalesce(list_position(${dict(0)}, ${trait('preferred_channel')}), 0) << 7)
       | (CASE WHEN p.timezone IS NULL THEN 0
               ELSE coalesce(nullif(least(list_position(${dict(1)}, p.timezone), ${TZ_OTHER}), 0), ${TZ_OTHER})
          END << 10)
       | (coalesce(list_position(${dict(2)}, ${trait('preferred_category')}), 0) << 21)
     END`;
};

interface Dictionaries {
  timezones: string[];
  categories: string[];
}

const dictionaries = async (
  warehouse: Warehouse,
  campaignCategories: readonly string[],
): Promise<Dictionaries> => {
  const tzRows = await warehouse.columns(
    'SELECT DISTINCT timezone FROM profiles WHERE timezone IS NOT NULL ORDER BY timezone',
  );
  return {
    timezones: [...((tzRows['timezone'] ?? []) as string[])],
    categories: [...new Set(campaignCategories)].slice(0, MAX_CATEGORIES),
  };
};

/** The dictionaries as the parameters `packedProfileSql` reads. */
const dictionaryParams = (d: Dictionaries): SqlParam[] => [
  JSON.stringify(CHANNELS),
  JSON.stringify(d.timezones.slice(0, TZ_OTHER - 1)),
  JSON.stringify(d.categories),
];

/** Packed profiles (NO_PROFILE: none) decoded into columns; zones the dictionary lacked read by id. */
const decodeProfiles = async (
  warehouse: Warehouse,
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
const readOtherZones = async (warehouse: Warehouse, cols: ProfileColumns, at: readonly number[]) => {
  const r = await warehouse.columns(
    `SELECT user_id, timezone FROM profiles WHERE user_id IN (SELECT unnest(from_json($1, '["VARCHAR"]')))`,
    [JSON.stringify(at.map((i) => cols.ids[i]))],
  );
  const zoneOf = new Map<string, string | null>();
  ((r['user_id'] ?? []) as string[]).forEach((id, k) =>
    zoneOf.set(id, ((r['timezone'] ?? []) as (string | null)[])[k] ?? null),
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
  warehouse: Warehouse,
  userIds: readonly string[],
  unsubscribed: OptOuts,
  categories: readonly string[],
): Promise<ProfileColumns> => {
  const d = await dictionaries(warehouse, categories);
  const c = await warehouse.columns(
    `SELECT p.user_id, ${packedProfileSql(2)} AS packed FROM profiles p
     WHERE p.user_id IN (SELECT unnest(from_json($1, '["VARCHAR"]')))`,
    [JSON.stringify(userIds), ...dictionaryParams(d)],
  );
  const ids = (c['user_id'] ?? []) as string[];
  return (await decodeProfiles(warehouse, ids, (c['packed'] ?? []) as number[], d, unsubscribed)).profiles;
};

/** Text chunks the roster comes back in (DuckDB builds them in parallel). */
const ROSTER_CHUNKS = 16;

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
  warehouse: Warehouse,
  snapshots: readonly { campaignId: string; snapshotId: string }[],
  unsubscribed: OptOuts,
  categories: readonly string[],
): Promise<Roster> => {
  const nWords = Math.ceil(snapshots.length / ROSTER_WORD_BITS);
  const d = await dictionaries(warehouse, categories);
  const wordNames = Array.from({ length: nWords }, (_, w) => `w${w}`);
  const wordSql = wordNames.map((name, w) => {
    const cases = snapshots
      .slice(w * ROSTER_WORD_BITS, (w + 1) * ROSTER_WORD_BITS)
      .map((_, b) => `WHEN $${w * ROSTER_WORD_BITS + b + 1} THEN ${1 << b}`)
      .join(' ');
    return `bit_or(CASE snapshot_id ${cases} ELSE 0 END)::INTEGER AS ${name}`;
  });
  const rows = `WITH m AS (
      SELECT user_id, ${wordSql.join(', ')} FROM audience_snapshot_members
      WHERE snapshot_id IN (${snapshots.map((_, i) => `$${i + 1}`).join(', ')})
      GROUP BY user_id),
    r AS (SELECT m.*, ${packedProfileSql(snapshots.length + 1)} AS packed
          FROM m LEFT JOIN profiles p ON p.user_id = m.user_id)`;
  const params = [...snapshots.map((s) => s.snapshotId), ...dictionaryParams(d)];
  const text = await warehouse.columns(
    `${rows}
     SELECT string_agg(concat_ws(',', ${[...wordNames, 'packed'].join(', ')}, user_id), chr(10)) AS lines,
            bool_or(contains(user_id, chr(10))) AS unsafe
     FROM r GROUP BY hash(user_id) % ${ROSTER_CHUNKS}`,
    params,
  );
  let ids: string[];
  let packed: Int32Array;
  let words: Int32Array[];
  if (((text['unsafe'] ?? []) as boolean[]).some((u) => u)) {
    const c = await warehouse.columns(`${rows} SELECT * FROM r`, params);
    ids = (c['user_id'] ?? []) as string[];
    packed = Int32Array.from((c['packed'] ?? []) as number[]);
    words = wordNames.map((name) => Int32Array.from((c[name] ?? []) as number[]));
  } else ({ ids, packed, words } = parseRosterLines((text['lines'] ?? []) as (string | null)[], nWords));
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
