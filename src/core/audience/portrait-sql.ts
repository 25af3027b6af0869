import type { CompiledQuery } from '../sql/params.ts';
import { duckdbDialect, type SqlDialect } from '../sql/dialect.ts';

/**
 * An audience's portrait: its members broken down by one dimension (acquisition channel, city,
 * lifecycle stage, RFM tier, churn risk level), the N largest values each with its count, the
 * rest summed as "other", and the members without a value (no city, not scored) as "unknown".
 * One query per dimension over the compiled audience; the groups sum to the audience's size.
 */
export const PORTRAIT_DIMENSIONS = [
  'acquisition_channel',
  'city',
  'lifecycle_stage',
  'rfm_tier',
  'churn_risk_level',
] as const;
export type PortraitDimension = (typeof PORTRAIT_DIMENSIONS)[number];

/** Where each dimension lives: a whitelisted table and column, never text from a request. */
const SOURCES: Readonly<Record<PortraitDimension, { table: 'profiles' | 'user_scores'; column: string }>> = {
  acquisition_channel: { table: 'profiles', column: 'acquisition_channel' },
  city: { table: 'profiles', column: 'city' },
  lifecycle_stage: { table: 'user_scores', column: 'lifecycle_stage' },
  rfm_tier: { table: 'user_scores', column: 'rfm_tier' },
  churn_risk_level: { table: 'user_scores', column: 'churn_risk_level' },
};

export const MAX_PORTRAIT_TOP = 50;

/**
 * Rows `(bucket, value, users)`: `bucket` is `value` (one of the `top` largest, ties by value),
 * `other` (the rest together, absent when none) or `unknown` (no value or a blank one, absent
 * when none). Largest first.
 */
export const portraitQuery = (
  members: CompiledQuery,
  dimension: PortraitDimension,
  top: number,
  dialect: SqlDialect = duckdbDialect,
): CompiledQuery => {
  if (!Number.isInteger(top) || top < 1 || top > MAX_PORTRAIT_TOP)
    throw new Error(`portrait top must be an integer 1..${MAX_PORTRAIT_TOP}`);
  const { table, column } = SOURCES[dimension];
  const params = [...members.params, top];
  const k = dialect.placeholder(params.length, top);
  const sql =
    `WITH g AS (SELECT NULLIF(trim(${dialect.toText(`d.${column}`)}), '') AS value, count(*) AS users ` +
    `FROM (${members.sql}) AS m LEFT JOIN ${table} d ON d.user_id = m.user_id GROUP BY 1), ` +
    `r AS (SELECT value, users, row_number() OVER (ORDER BY users DESC, value) AS rk FROM g WHERE value IS NOT NULL) ` +
    dialect.orderedUnionAll(
      [
        `SELECT 'value' AS bucket, value, users, ${dialect.unionInt('rk', 'rk')} FROM r WHERE rk <= ${k}`,
        `SELECT 'other', NULL, sum(users), ${dialect.unionInt(`${k} + 1`)} FROM r WHERE rk > ${k} HAVING count(*) > 0`,
        `SELECT 'unknown', NULL, users, ${dialect.unionInt(`${k} + 2`)} FROM g WHERE value IS NULL`,
      ],
      'rk',
    );
  return { sql, params };
};
