import { PROFILE_COLUMNS, type ProfileColumn } from '../../core/profile/columns.ts';
import { DURABLE, TIME } from './ddl-settings.ts';

/**
 * Profiles on ClickHouse, designed to be written by many processes at once and by batches in any
 * order: nothing reads the current profile before writing it.
 *
 * `profile_state` (AggregatingMergeTree, ORDER BY user_id) gets one row per user per commit, and
 * merges fold the rows of a user with functions that are commutative, associative and idempotent
 * (so order, concurrency and a retried insert never change the result):
 * - first_seen: min over the user's events and identify calls;
 * - identified_at: max identify time (NULL while only events were seen);
 * - each typed column: max of (ts, received_at, message_id, value) over the calls that set it; an
 *   unset column is UNSET_KEY, lower than any call, so "newer call wins, older fills gaps" per column;
 * - traits: maxMap over trait key → (ts, received_at, message_id, JSON value), the latest value of
 *   each key; a JSON null as latest value removes the key, as a merge patch does.
 * The (ts, received_at, message_id) key breaks ties between calls of the same time the same way in
 * every process: the later received wins, then the greater message id.
 *
 * `profiles` is a VIEW with exactly DuckDB's columns: it reads the state with FINAL (the rows of a
 * user that no merge folded yet are folded at read by the same functions; about 3× cheaper than
 * a GROUP BY user_id, measured on 1 M users) and takes the values out of the tuples.
 */

/** The key of a column no call set: below any stored call (times are validated to ≥ 1900). */
const UNSET_TS = "toDateTime64('1900-01-01 00:00:00', 3, 'UTC')";

const VALUE_TYPE: Record<ProfileColumn['kind'], string> = {
  timestamp: TIME,
  number: 'Float64',
  boolean: 'Bool',
  string: 'String',
  timezone: 'String',
  email: 'String',
  phone: 'String',
};

const keyed = (valueType: string): string => `Tuple(${TIME}, ${TIME}, String, ${valueType})`;
const columnTuple = (c: ProfileColumn): string => keyed(`Nullable(${VALUE_TYPE[c.kind]})`);
const TRAIT_MAP = `Map(String, ${keyed('String')})`;

const unsetOf = (c: ProfileColumn): string =>
  `CAST((${UNSET_TS}, ${UNSET_TS}, '', NULL), '${columnTuple(c).replace(/'/g, "\\'")}')`;

/** The tuple a profiles_import row gives a column: set at its updated_at, or unset. */
const importedTuple = (c: ProfileColumn): string =>
  `if(i_${c.name} IS NULL, ${unsetOf(c)}, CAST((i_updated_at, i_updated_at, '', i_${c.name}), '${columnTuple(c).replace(/'/g, "\\'")}'))`;

/** profiles_import's columns renamed i_*, so the view's output names cannot shadow its inputs. */
const IMPORT_INPUT = `SELECT ${[
  'user_id',
  ...PROFILE_COLUMNS.map((c) => c.name),
  'traits',
  'first_seen',
  'updated_at',
]
  .map((n) => `${n} AS i_${n}`)
  .join(', ')} FROM profiles_import`;

export const PROFILE_DDL: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS profile_state (
     user_id       String,
     first_seen    SimpleAggregateFunction(min, ${TIME}),
     identified_at SimpleAggregateFunction(max, Nullable(${TIME})),
     ${PROFILE_COLUMNS.map((c) => `${c.name} SimpleAggregateFunction(max, ${columnTuple(c)}) DEFAULT ${unsetOf(c)}`).join(',\n     ')},
     traits        SimpleAggregateFunction(maxMap, ${TRAIT_MAP})
   ) ENGINE = AggregatingMergeTree ORDER BY user_id
   SETTINGS ${DURABLE}`,
  // Whole profile rows written as DuckDB has them (a copy from an embedded warehouse, an import):
  // each value counts as set at the row's updated_at. Null engine: nothing is kept but the state.
  `CREATE TABLE IF NOT EXISTS profiles_import (
     user_id String,
     ${PROFILE_COLUMNS.map((c) => `${c.name} Nullable(${VALUE_TYPE[c.kind]})`).join(',\n     ')},
     traits     String,
     first_seen ${TIME},
     updated_at ${TIME}
   ) ENGINE = Null`,
  `CREATE MATERIALIZED VIEW IF NOT EXISTS profiles_import_mv TO profile_state AS
   SELECT i_user_id AS user_id, i_first_seen AS first_seen,
     if(i_traits IN ('', '{}'), NULL, i_updated_at) AS identified_at,
     ${PROFILE_COLUMNS.map((c) => `${importedTuple(c)} AS ${c.name}`).join(',\n     ')},
     mapFromArrays(
       arrayMap(kv -> kv.1, JSONExtractKeysAndValuesRaw(i_traits)),
       arrayMap(kv -> (i_updated_at, i_updated_at, '', kv.2), JSONExtractKeysAndValuesRaw(i_traits))
     ) AS traits
   FROM (${IMPORT_INPUT})`,
  // Push tokens a provider refused for good (as DuckDB's table): a commit leaves out the calls
  // that may not set a token any more (withoutForgottenPushTokens), and the view hides a token
  // that is the latest one but was refused, with its trait.
  `CREATE TABLE IF NOT EXISTS forgotten_push_tokens (
     user_id      String,
     push_token   String,
     profile_ts   Nullable(${TIME}),
     forgotten_at ${TIME}
   ) ENGINE = MergeTree ORDER BY user_id
   SETTINGS ${DURABLE}`,
  `CREATE OR REPLACE VIEW profiles AS
   SELECT user_id,
     ${PROFILE_COLUMNS.map((c) => (c.name === 'push_token' ? `if(token_refused, NULL, s_push_token.4) AS push_token` : `s_${c.name}.4 AS ${c.name}`)).join(',\n     ')},
     concat('{', arrayStringConcat(arrayMap((k, v) -> concat(toJSONString(k), ':', v.4),
       mapKeys(s_traits), mapValues(s_traits)), ','), '}') AS traits,
     s_first_seen AS first_seen,
     coalesce(s_identified_at, s_first_seen) AS updated_at
   FROM (
     SELECT s.user_id AS user_id,
       ${PROFILE_COLUMNS.map((c) => `s.${c.name} AS s_${c.name}`).join(',\n       ')},
       s.first_seen AS s_first_seen,
       s.identified_at AS s_identified_at,
       has(f.tokens, tupleElement(s.push_token, 4)) AS token_refused,
       mapFilter((k, v) -> v.4 != 'null' AND NOT (k = 'push_token' AND token_refused), s.traits) AS s_traits
     FROM profile_state AS s FINAL
     LEFT JOIN (SELECT user_id, groupUniqArray(push_token) AS tokens FROM forgotten_push_tokens GROUP BY user_id) AS f
       ON f.user_id = s.user_id
   )`,
];
