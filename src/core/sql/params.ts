import { duckdbDialect, type SqlDialect, type SqlValue } from './dialect.ts';

/**
 * Building parameterised SQL, shared by every compiler in the core (audiences, scores) and the
 * statements in storage/: values only ever travel as parameters (`$n` in DuckDB, `{pN:Type}` in
 * ClickHouse; dialect.ts).
 */

export type { SqlValue } from './dialect.ts';

/**
 * JSON read from storage through `TRY`: a stored document DuckDB cannot parse (a lone UTF-16
 * surrogate escape such as `"\\ud800"`, text imported straight into the table) is "no value" for
 * that row instead of an error that fails the whole query, i.e. every audience that looks at
 * the property, for good.
 */
export const safeJson = (
  fn: 'json_extract_string' | 'json_extract' | 'json_type',
  doc: string,
  path: string,
) => `TRY(${fn}(${doc}, ${path}))`;

/**
 * Parameterised SQL: the text holds only placeholders, `params[n - 1]` the value of `$n` (DuckDB)
 * or `{pN:Type}` (ClickHouse: pass `namedParams(q)` from dialect.ts).
 */
export interface CompiledQuery {
  sql: string;
  params: SqlValue[];
}

/**
 * Collects bound values and hands out their placeholders. Equal values share one placeholder
 * (a query that names `now` ten times binds it once).
 */
export class Params {
  readonly values: SqlValue[] = [];
  private readonly seen = new Map<string, string>();

  constructor(
    private readonly offset = 0,
    readonly dialect: SqlDialect = duckdbDialect,
  ) {}

  add(value: SqlValue): string {
    const key = `${typeof value}:${String(value)}`;
    const known = this.seen.get(key);
    if (known !== undefined) return known;
    this.values.push(value);
    const placeholder = this.dialect.placeholder(this.offset + this.values.length, value);
    this.seen.set(key, placeholder);
    return placeholder;
  }

  /** An instant (epoch ms) as a TIMESTAMP expression over a bound integer. */
  time(ms: number): string {
    return this.dialect.timeFromMs(this.add(ms));
  }
}
