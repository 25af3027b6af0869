import { CHANNELS } from '../../core/channels/channels.ts';
import { ROSTER_WORD_BITS } from '../../core/planner/types.ts';
import type { SqlParam, WarehouseSql } from '../warehouse-sql.ts';
import { inList } from './id-list.ts';
import { chTextArray, chTrait, readColumns } from './planner-sql.ts';

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

/**
 * The same packed profile on ClickHouse, which has no `|` or `<<` on integers: the fields occupy
 * disjoint bits, so their sum times powers of two is their OR. `indexOf` is 0 where DuckDB's
 * `list_position` is NULL. The profile `p` must come from a join with join_use_nulls (a missing
 * profile's user_id NULL, not '').
 */
const chPackedProfileSql = (first: number): string => {
  const trait = (key: string) =>
    `if(position(p.traits, 'preferred_') > 0, ${chTrait('p.traits', key)}, NULL)`;
  const dict = (k: number) => chTextArray(`$${first + k}`);
  const pos = (k: number, v: string) => `if(${v} IS NULL, 0, indexOf(${dict(k)}, assumeNotNull(${v})))`;
  const bit = (cond: string, shift: number) => `toInt32(ifNull(${cond}, false)) * ${1 << shift}`;
  return `if(p.user_id IS NULL, ${NO_PROFILE}, toInt32(
       ${bit('p.push_token IS NOT NULL AND ifNull(p.consent_push, true)', 0)}
       + 2
       + ${bit('p.email IS NOT NULL AND ifNull(p.consent_email, false)', 2)}
       + ${bit('p.phone IS NOT NULL AND ifNull(p.consent_sms, false)', 3)}
       + ${bit(
         `ifNull(p.consent_wecom, false) AND position(p.traits, 'wecom_') > 0
           AND (${chTrait('p.traits', 'wecom_openid')} IS NOT NULL OR ${chTrait('p.traits', 'wecom_userid')} IS NOT NULL)`,
         4,
       )}
       + ${bit('p.phone IS NOT NULL AND ifNull(p.consent_call, false)', 5)}
       + 64
       + ${pos(0, trait('preferred_channel'))} * 128
       + if(p.timezone IS NULL, 0,
            if(${pos(1, 'p.timezone')} = 0, ${TZ_OTHER}, least(${pos(1, 'p.timezone')}, ${TZ_OTHER}))) * 1024
       + ${pos(2, trait('preferred_category'))} * 2097152))`;
};

/** The dictionaries the packed profiles index. */
export interface Dictionaries {
  timezones: string[];
  categories: string[];
}

/** The time zones profiles name, sorted: the time-zone dictionary. */
export const profileTimezones = async (warehouse: WarehouseSql): Promise<string[]> => {
  const tzRows = await readColumns(
    warehouse,
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
  warehouse: WarehouseSql,
  userIds: readonly string[],
): Promise<Map<string, string | null>> => {
  const d = warehouse.dialect;
  const r = await readColumns(
    warehouse,
    d.name === 'duckdb'
      ? `SELECT user_id, timezone FROM profiles WHERE user_id IN (SELECT unnest(from_json($1, '["VARCHAR"]')))`
      : `SELECT user_id, timezone FROM profiles WHERE user_id IN (${inList('$1', d)})`,
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
  warehouse: WarehouseSql,
  userIds: readonly string[],
  d: Dictionaries,
): Promise<{ ids: string[]; packed: number[] }> => {
  const dialect = warehouse.dialect;
  const c = await readColumns(
    warehouse,
    dialect.name === 'duckdb'
      ? `SELECT p.user_id, ${packedProfileSql(2)} AS packed FROM profiles p
     WHERE p.user_id IN (SELECT unnest(from_json($1, '["VARCHAR"]')))`
      : // Every row here is a profile: its user_id is never NULL, so the packing's NULL test holds.
        `SELECT p.user_id AS user_id, ${chPackedProfileSql(2)} AS packed FROM profiles AS p
     WHERE p.user_id IN (${inList('$1', dialect)})`,
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
  warehouse: WarehouseSql,
  snapshotIds: readonly string[],
  d: Dictionaries,
): Promise<
  | { kind: 'lines'; lines: (string | null)[]; wordNames: string[] }
  | { kind: 'columns'; columns: Record<string, unknown[]>; wordNames: string[] }
> => {
  if (warehouse.dialect.name !== 'duckdb') return chRosterRows(warehouse, snapshotIds, d);
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
  const text = await readColumns(
    warehouse,
    `${rows}
     SELECT string_agg(concat_ws(',', ${[...wordNames, 'packed'].join(', ')}, user_id), chr(10)) AS lines,
            bool_or(contains(user_id, chr(10))) AS unsafe
     FROM r GROUP BY hash(user_id) % ${ROSTER_CHUNKS}`,
    params,
  );
  if (((text['unsafe'] ?? []) as boolean[]).some((u) => u))
    return {
      kind: 'columns',
      columns: await readColumns(warehouse, `${rows} SELECT * FROM r`, params),
      wordNames,
    };
  return { kind: 'lines', lines: (text['lines'] ?? []) as (string | null)[], wordNames };
};

/**
 * rosterRows on ClickHouse: the same words, packing and lines. groupBitOr for bit_or, a text of
 * each line joined by arrayStringConcat for string_agg, cityHash64 for the chunks; the profile
 * join fills a missing profile with NULLs (join_use_nulls) so that it packs as NO_PROFILE.
 */
const chRosterRows = async (
  warehouse: WarehouseSql,
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
      .map((_, b) => `WHEN $${w * ROSTER_WORD_BITS + b + 1} THEN toUInt32(${1 << b})`)
      .join(' ');
    return `toInt32(groupBitOr(CASE snapshot_id ${cases} ELSE toUInt32(0) END)) AS ${name}`;
  });
  const rows = `WITH m AS (
      SELECT user_id, ${wordSql.join(', ')} FROM audience_snapshot_members
      WHERE snapshot_id IN (${snapshotIds.map((_, i) => `$${i + 1}`).join(', ')})
      GROUP BY user_id),
    r AS (SELECT m.user_id AS user_id, ${wordNames.map((w) => `m.${w} AS ${w}`).join(', ')},
                 ${chPackedProfileSql(snapshotIds.length + 1)} AS packed
          FROM m LEFT JOIN profiles AS p ON p.user_id = m.user_id)`;
  const nulls = 'SETTINGS join_use_nulls = 1';
  const params = [...snapshotIds, ...dictionaryParams(d)];
  const fields = [...wordNames, 'packed'].map((f) => `toString(${f})`).join(', ');
  const text = await readColumns(
    warehouse,
    `${rows}
     SELECT arrayStringConcat(groupArray(concatWithSeparator(',', ${fields}, user_id)), '\n') AS lines,
            max(position(user_id, '\n') > 0) AS unsafe
     FROM r GROUP BY cityHash64(user_id) % ${ROSTER_CHUNKS} ${nulls}`,
    params,
  );
  if (((text['unsafe'] ?? []) as (boolean | number)[]).some((u) => Boolean(u)))
    return {
      kind: 'columns',
      columns: await readColumns(warehouse, `${rows} SELECT * FROM r ${nulls}`, params),
      wordNames,
    };
  return { kind: 'lines', lines: (text['lines'] ?? []) as (string | null)[], wordNames };
};
