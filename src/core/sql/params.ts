/**
 * Building parameterised DuckDB SQL, shared by every compiler in the core (audiences, scores)
 * and the statements in storage/: values only ever travel as `$n` parameters.
 */

/** A value bound to a `$n` placeholder; never part of the SQL text. */
export type SqlValue = string | number | boolean | null;

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

/** Parameterised SQL: the text holds only `$n` placeholders, `params[n - 1]` their values. */
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

  constructor(private readonly offset = 0) {}

  add(value: SqlValue): string {
    const key = `${typeof value}:${String(value)}`;
    const known = this.seen.get(key);
    if (known !== undefined) return known;
    this.values.push(value);
    const placeholder = `$${this.offset + this.values.length}`;
    this.seen.set(key, placeholder);
    return placeholder;
  }

  /** An instant (epoch ms) as a DuckDB TIMESTAMP expression over a bound integer. */
  time(ms: number): string {
    return `epoch_ms(CAST(${this.add(ms)} AS BIGINT))`;
  }
}
