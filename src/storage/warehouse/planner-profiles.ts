import { CHANNELS } from '../../core/channels/channels.ts';
import { ROSTER_WORD_BITS } from '../../core/planner/types.ts';
import type { SqlParam, Warehouse } from './warehouse.ts';

/**
 * The warehouse reads behind the planner's profile columns and roster (planner/plan-profiles.ts
 * decodes them). Everything of a profile but the id comes packed in one integer per user, the
 * time zone and preferences as positions in small dictionaries: reading a million profiles costs
 * two columns, not nine (each column of a million values costs the event loop about as much as
 * the query).
 *
 * Bits: 0–6 reach in CHANNELS order; 7–9 preferred channel (position in CHANNELS, 0 none);
 * 10–20 time zone (position in the dictionary read just before, 0 none, 2047 one the
 * dictionary lacks: a profile changed in between, or a dictionary too long, read again by id);
 * 21–30 preferred category (position in `categories`, 0 none or not one of them). -1: no profile.
 */
export const TZ_OTHER = 2047;
export const MAX_CATEGORIES = 1022;
export const NO_PROFILE = -1;

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

/** The dictionaries the packed profiles index. */
export interface Dictionaries {
  timezones: string[];
  categories: string[];
}

/** The time zones profiles name, sorted: the time-zone dictionary. */
export const profileTimezones = async (warehouse: Warehouse): Promise<string[]> => {
  const tzRows = await warehouse.columns(
    'SELECT DISTINCT timezone FROM profiles WHERE timezone IS NOT NULL ORDER BY timezone',
  );
  return [...((tzRows['timezone'] ?? []) as string[])];
};

/** The dictionaries as the parameters `packedProfileSql` reads. */
const dictionaryParams = (d: Dictionaries): SqlParam[] => [
  JSON.stringify(CHANNELS),
  JSON.stringify(d.timezones.slice(0, TZ_OTHER - 1)),
  JSON.stringify(d.categories),
];

/** The given users' time zones (null: none), by id. */
export const timezonesByIds = async (
  warehouse: Warehouse,
  userIds: readonly string[],
): Promise<Map<string, string | null>> => {
  const r = await warehouse.columns(
    `SELECT user_id, timezone FROM profiles WHERE user_id IN (SELECT unnest(from_json($1, '["VARCHAR"]')))`,
    [JSON.stringify(userIds)],
  );
  const zoneOf = new Map<string, string | null>();
  ((r['user_id'] ?? []) as string[]).forEach((id, k) =>
    zoneOf.set(id, ((r['timezone'] ?? []) as (string | null)[])[k] ?? null),
  );
  return zoneOf;
};

/** The given users' packed profiles (those who have one); ids travel as one JSON parameter. */
export const packedProfilesByIds = async (
  warehouse: Warehouse,
  userIds: readonly string[],
  d: Dictionaries,
): Promise<{ ids: string[]; packed: number[] }> => {
  const c = await warehouse.columns(
    `SELECT p.user_id, ${packedProfileSql(2)} AS packed FROM profiles p
     WHERE p.user_id IN (SELECT unnest(from_json($1, '["VARCHAR"]')))`,
    [JSON.stringify(userIds), ...dictionaryParams(d)],
  );
  return { ids: (c['user_id'] ?? []) as string[], packed: (c['packed'] ?? []) as number[] };
};

/** Text chunks the roster comes back in (DuckDB builds them in parallel). */
const ROSTER_CHUNKS = 16;

/**
 * The snapshots' members, each distinct member once with the campaigns whose snapshots list them
 * as bits (31 a word, columns `w0`, `w1`, …) and their packed profile. As text (`lines`: a line
 * per member, `w0,…,packed,user id`, in a few large strings) unless a member id holds a newline;
 * then as columns.
 */
export const rosterRows = async (
  warehouse: Warehouse,
  snapshotIds: readonly string[],
  d: Dictionaries,
): Promise<
  | { kind: 'lines'; lines: (string | null)[]; wordNames: string[] }
  | { kind: 'columns'; columns: Record<string, unknown[]>; wordNames: string[] }
> => {
  const nWords = Math.ceil(snapshotIds.length / ROSTER_WORD_BITS);
  const wordNames = Array.from({ length: nWords }, (_, w) => `w${w}`);
  const wordSql = wordNames.map((name, w) => {
    const cases = snapshotIds
      .slice(w * ROSTER_WORD_BITS, (w + 1) * ROSTER_WORD_BITS)
      .map((_, b) => `WHEN $${w * ROSTER_WORD_BITS + b + 1} THEN ${1 << b}`)
      .join(' ');
    return `bit_or(CASE snapshot_id ${cases} ELSE 0 END)::INTEGER AS ${name}`;
  });
  const rows = `WITH m AS (
      SELECT user_id, ${wordSql.join(', ')} FROM audience_snapshot_members
      WHERE snapshot_id IN (${snapshotIds.map((_, i) => `$${i + 1}`).join(', ')})
      GROUP BY user_id),
    r AS (SELECT m.*, ${packedProfileSql(snapshotIds.length + 1)} AS packed
          FROM m LEFT JOIN profiles p ON p.user_id = m.user_id)`;
  const params = [...snapshotIds, ...dictionaryParams(d)];
  const text = await warehouse.columns(
    `${rows}
     SELECT string_agg(concat_ws(',', ${[...wordNames, 'packed'].join(', ')}, user_id), chr(10)) AS lines,
            bool_or(contains(user_id, chr(10))) AS unsafe
     FROM r GROUP BY hash(user_id) % ${ROSTER_CHUNKS}`,
    params,
  );
  if (((text['unsafe'] ?? []) as boolean[]).some((u) => u))
    return {
      kind: 'columns',
      columns: await warehouse.columns(`${rows} SELECT * FROM r`, params),
      wordNames,
    };
  return { kind: 'lines', lines: (text['lines'] ?? []) as (string | null)[], wordNames };
};
