import { CHANNELS, type Channel } from '../core/channels/channels.ts';
import { ALL_CHANNELS } from '../core/planner/profile-columns.ts';
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
    `CASE WHEN contains(p.traits::VARCHAR, 'preferred_') THEN p.traits->>'${key}' END`;
  const dict = (k: number) => `from_json($${first + k}, '["VARCHAR"]')`;
  return `CASE WHEN p.user_id IS NULL THEN ${NO_PROFILE} ELSE
       (p.push_token IS NOT NULL AND coalesce(p.consent_push, true))::INTEGER
       | 2
       | ((p.email IS NOT NULL AND coalesce(p.consent_email, false))::INTEGER << 2)
       | ((p.phone IS NOT NULL AND coalesce(p.consent_sms, false))::INTEGER << 3)
       | (coalesce(p.consent_wecom, false)::INTEGER << 4)
       | ((p.phone IS NOT NULL AND coalesce(p.consent_call, false))::INTEGER << 5)
       | 64
       | (coalesce(list_position(${dict(0)}, ${trait('preferred_channel')}), 0) << 7)
       | (CASE WHEN p.timezone IS NULL THEN 0
               ELSE coalesce(nullif(least(list_position(${dict(1)}, p.timezone), ${TZ_OTHER}), 0), ${TZ_OTHER})
          END << 10)
       | (coalesce(list_position(${dict(2)}, ${trait('preferred_category')}), 0) << 21)
     END`;
};

/**
 * Runs `sql(packed, next)` — a query returning `user_id` and `packed` (the expression given) plus
 * any other columns — and decodes the profiles. `next` is the first parameter number after the
 * dictionaries.
 */
const readPacked = async (
  warehouse: Warehouse,
  sql: (packed: string, next: number) => string,
  params: readonly SqlParam[],
  unsubscribed: OptOuts,
  campaignCategories: readonly string[],
): Promise<{ columns: Record<string, unknown[]>; profiles: ProfileColumns; hasProfile: Uint8Array }> => {
  const categories = [...new Set(campaignCategories)].slice(0, MAX_CATEGORIES);
  const tzRows = await warehouse.columns(
    'SELECT DISTINCT timezone FROM profiles WHERE timezone IS NOT NULL ORDER BY timezone',
  );
  const timezones = [...((tzRows['timezone'] ?? []) as string[])];
  const first = params.length + 1;
  const columns = await warehouse.columns(sql(packedProfileSql(first), first + 3), [
    ...params,
    JSON.stringify(CHANNELS),
    JSON.stringify(timezones.slice(0, TZ_OTHER - 1)),
    JSON.stringify(categories),
  ]);
  const ids = (columns['user_id'] ?? []) as string[];
  const packed = (columns['packed'] ?? []) as number[];
  const size = ids.length;
  const profiles: ProfileColumns = {
    ids,
    reach: new Uint8Array(size),
    optOut: new Uint8Array(size),
    preferred: new Int8Array(size),
    category: new Int16Array(size),
    categories,
    timezone: new Int16Array(size).fill(-1),
    timezones,
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
      if (u !== undefined) profiles.optOut[i] = u === 'all' ? ALL_CHANNELS : channelMaskOf(u);
    }
  if (other.length > 0) await readOtherZones(warehouse, profiles, other);
  return { columns, profiles, hasProfile };
};

const channelMaskOf = (channels: ReadonlySet<Channel>): number => {
  let m = 0;
  for (const ch of channels) m |= 1 << CHANNELS.indexOf(ch);
  return m;
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
): Promise<ProfileColumns> =>
  (
    await readPacked(
      warehouse,
      (packed) =>
        `SELECT p.user_id, ${packed} AS packed FROM profiles p
         WHERE p.user_id IN (SELECT unnest(from_json($1, '["VARCHAR"]')))`,
      [JSON.stringify(userIds)],
      unsubscribed,
      categories,
    )
  ).profiles;

/**
 * A slot's members as a Roster, in one query: each distinct member of the snapshots once, the
 * campaigns whose snapshots list them as bits (31 a word), their packed profile beside them.
 */
export const readRoster = async (
  warehouse: Warehouse,
  snapshots: readonly { campaignId: string; snapshotId: string }[],
  unsubscribed: OptOuts,
  categories: readonly string[],
): Promise<Roster> => {
  const words = Math.ceil(snapshots.length / ROSTER_WORD_BITS);
  const { columns, profiles, hasProfile } = await readPacked(
    warehouse,
    (packed) => {
      const wordSql = Array.from({ length: words }, (_, w) => {
        const cases = snapshots
          .slice(w * ROSTER_WORD_BITS, (w + 1) * ROSTER_WORD_BITS)
          .map((_, b) => `WHEN $${w * ROSTER_WORD_BITS + b + 1} THEN ${1 << b}`)
          .join(' ');
        return `bit_or(CASE snapshot_id ${cases} ELSE 0 END)::INTEGER AS w${w}`;
      });
      return `WITH m AS (
          SELECT user_id, ${wordSql.join(', ')} FROM audience_snapshot_members
          WHERE snapshot_id IN (${snapshots.map((_, i) => `$${i + 1}`).join(', ')})
          GROUP BY user_id)
        SELECT m.*, ${packed} AS packed FROM m LEFT JOIN profiles p ON p.user_id = m.user_id`;
    },
    snapshots.map((s) => s.snapshotId),
    unsubscribed,
    categories,
  );
  return {
    campaignIds: snapshots.map((s) => s.campaignId),
    ids: profiles.ids,
    words: Array.from({ length: words }, (_, w) => Int32Array.from((columns[`w${w}`] ?? []) as number[])),
    hasProfile,
    profiles,
  };
};
