import type { CompiledQuery } from '../sql/params.ts';
import { duckdbDialect, type SqlDialect } from '../sql/dialect.ts';

/** The members as a count: one row, column `n`. */
export const countQuery = (q: CompiledQuery): CompiledQuery => ({
  sql: `SELECT count(*) AS n FROM (${q.sql}) AS members`,
  params: [...q.params],
});

/** Every member id, sorted. */
export const membersQuery = (q: CompiledQuery): CompiledQuery => ({
  sql: `SELECT user_id FROM (${q.sql}) AS members ORDER BY user_id`,
  params: [...q.params],
});

/** Profile fields shown in a preview sample (contacts are masked by the caller). */
export const SAMPLE_COLUMNS = [
  'user_id',
  'register_time',
  'acquisition_channel',
  'city',
  'membership',
  'balance',
  'phone',
  'email',
  'first_seen',
  'updated_at',
] as const;

/**
 * Up to `limit` members with their profile fields, in a stable pseudo-random order (DuckDB's
 * `hash(user_id)`, ClickHouse's `cityHash64`: the two engines pick different samples), so a
 * preview does not show only the oldest ids.
 */
export const sampleQuery = (
  q: CompiledQuery,
  limit: number,
  dialect: SqlDialect = duckdbDialect,
): CompiledQuery => {
  if (!Number.isInteger(limit) || limit < 0) throw new Error(`sample limit must be a non-negative integer`);
  const params = [...q.params, limit];
  return {
    sql:
      `SELECT ${SAMPLE_COLUMNS.map((c) => `sp.${c}`).join(', ')} FROM profiles sp ` +
      `WHERE sp.user_id IN (${q.sql}) ORDER BY ${dialect.hashOrder('sp.user_id')}, sp.user_id ` +
      `LIMIT ${dialect.placeholder(params.length, limit)}`,
    params,
  };
};

/**
 * A preview's count and sample in one query (one evaluation of the audience instead of two): the
 * sample's members are picked as `sampleQuery` picks them, each row carries the count `n`, and the
 * profile columns are read for the picked ids only. No row means no member (count 0); the caller
 * runs `countQuery` instead when it wants no sample row at all (limit 0).
 */
export const previewQuery = (
  q: CompiledQuery,
  limit: number,
  dialect: SqlDialect = duckdbDialect,
): CompiledQuery => {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`preview limit must be a positive integer`);
  const params = [...q.params, limit];
  return {
    sql:
      // Aliased: ClickHouse names a joined column `sp.user_id` where both sides have one.
      `SELECT ${SAMPLE_COLUMNS.map((c) => `sp.${c} AS ${c}`).join(', ')}, pick.n AS n FROM ` +
      `(SELECT m.user_id, count(*) OVER () AS n FROM (${q.sql}) AS m ` +
      `ORDER BY ${dialect.hashOrder('m.user_id')}, m.user_id LIMIT ${dialect.placeholder(params.length, limit)}) AS pick ` +
      `JOIN profiles sp ON sp.user_id = pick.user_id ORDER BY ${dialect.hashOrder('sp.user_id')}, sp.user_id`,
    params,
  };
};
