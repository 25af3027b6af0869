/**
 * The SQL dialects the warehouse compilers write: DuckDB (the embedded default) and ClickHouse
 * (a server, or chDB in-process). Modelled on Kysely's dialects: one compiler (one visitor per
 * node kind) asks the dialect for every spelling that differs — placeholders, time conversions,
 * JSON reads, casts, hashing, ASOF joins — and writes the shared SQL (SELECT, IN, GROUP BY,
 * HAVING, BETWEEN, CASE) itself. Every function returns SQL text built from its SQL arguments and
 * constant text only; values always travel as parameters.
 *
 * Semantics are DuckDB's: the ClickHouse spellings are chosen so that a predicate is true, false
 * or NULL on exactly the rows where DuckDB's is (the property tests hold both engines to the same
 * reference evaluator). Adding a function: add it to the interface, write both spellings, and say
 * in its comment what the ClickHouse one does about NULL, bad input and rounding.
 */

/** A value bound to a placeholder; never part of the SQL text. */
export type SqlValue = string | number | boolean | null;

/** A JSON path as the dialect binds it (see `SqlDialect.jsonPath`). */
export type JsonPathSql = string;

export interface SqlDialect {
  readonly name: 'duckdb' | 'clickhouse';
  /** The placeholder of the `n`-th bound value (1-based); ClickHouse types it from the value. */
  placeholder(n: number, value: SqlValue): string;
  /** Matches every placeholder this dialect writes; group 1 is its number. Global. */
  readonly placeholderPattern: RegExp;
  /** A timestamp from an epoch-milliseconds SQL expression (a bound integer). */
  timeFromMs(ms: string): string;
  /** Epoch milliseconds (an integer) of a timestamp expression. */
  msFromTime(time: string): string;
  /**
   * The path argument(s) of the JSON functions for a path's segments, binding through `add`:
   * DuckDB binds one JSONPath text (`$."a"."b"`, fields.ts `jsonPath`), ClickHouse one key per
   * segment (`{p1:String}, {p2:String}`); the root is `$` in DuckDB and no key in ClickHouse.
   */
  jsonPath(segments: readonly string[], duckPath: string, add: (v: SqlValue) => string): JsonPathSql;
  /**
   * The text of the value at a path (json_extract_string): strings unquoted, other values as JSON
   * text, NULL where absent, JSON null, or the document does not parse.
   */
  jsonText(doc: string, path: JsonPathSql): string;
  /** Whether the value at a path is a JSON array (false or NULL otherwise). */
  jsonIsArray(doc: string, path: JsonPathSql): string;
  /** Whether the JSON array at a path has an element whose text (as `jsonText`) equals `value`. */
  jsonArrayHas(doc: string, path: JsonPathSql, value: string): string;
  /** Text to DOUBLE; NULL where it is not a number. */
  toDouble(text: string): string;
  /** Text to BOOLEAN; NULL where it is not one. */
  toBoolean(text: string): string;
  /** Text to a timestamp: a date-time text, else epoch milliseconds; NULL where neither. */
  toTime(text: string): string;
  /** Whether `text` contains `needle` as a substring (NULL for a NULL text). */
  contains(text: string, needle: string): string;
  /** A possibly NULL predicate made two-valued (NULL is false). */
  isTrue(predicate: string): string;
  /** The user's bucket 0..99: md5(salt || id), first 8 hex digits as an unsigned integer, mod 100. */
  md5Bucket(salt: string, id: string): string;
  /** `value` of the row with the greatest `order` tuple in a group (NULL values kept). */
  argMax(value: string, order: readonly string[]): string;
  /** The keyword of an ASOF join. */
  asofJoin(left: boolean): string;
  /**
   * What ends a SELECT whose ASOF LEFT JOIN tests the right side for NULL: ClickHouse fills a
   * missing right row with default values unless told to use NULLs.
   */
  readonly asofLeftNullsTail: string;
  /** `name AS (body)` for a WITH clause, computed once where the engine can. */
  materializedCte(name: string, body: string): string;
  /** A stable pseudo-random ordering key of a text (a preview sample's order). */
  hashOrder(text: string): string;
  /** Any value as text. */
  toText(value: string): string;
  /** The lesser of a non-NULL value and a possibly NULL one, NULL skipped (DuckDB's `least`). */
  leastSkippingNull(value: string, nullable: string): string;
  /**
   * SELECTs joined by UNION ALL and ordered as a whole: ClickHouse applies a trailing ORDER BY to
   * the last SELECT only, so it orders a subquery (whose columns the first SELECT names).
   */
  orderedUnionAll(selects: readonly string[], orderBy: string): string;
  /**
   * An integer column of a UNION ALL branch: ClickHouse has no common type of UInt64 (a count, a
   * row number) and Int64 (a parameter) and would make a Variant; DuckDB widens by itself.
   */
  unionInt(value: string, as?: string): string;
}

const duckPlaceholder = /\$(\d+)/g;

// The texts the reference evaluator reads (reference-evaluator.ts, time.ts parseIsoUtc), as RE2
// patterns for regexp_full_match (blanks around allowed, as the reference trims).
const DUCK_NUMBER = String.raw`\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*`;
const DUCK_INTEGER = String.raw`\s*[+-]?\d+\s*`;
const DUCK_ISO = String.raw`\s*\d{4}-\d{2}-\d{2}([T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?)?`;
const DUCK_ZONE = String.raw`(Z|[+-]\d{2}(:?\d{2})?)\s*`;
/** One of the patterns above as a ClickHouse string literal for match(), anchored (match is partial). */
const chPattern = (re: string): string => `'^${re.replaceAll('\\', '\\\\')}$'`;
/**
 * `body` of the text `t`, which it names `json_txt`: a one-element list's lambda, so that the JSON
 * text (a json_extract_string, which parses the document) is computed once however often the
 * body reads it. DuckDB does not share repeated subexpressions of a filter.
 */
const withText = (t: string, body: string): string => `list_transform([${t}], lambda json_txt: ${body})[1]`;
/**
 * Text to a timestamp as the reference evaluator reads it: an ISO date-time with an offset
 * through TIMESTAMPTZ (TIMESTAMP would drop the offset; an explicit offset makes the session's
 * zone irrelevant), one without as UTC, both cut to whole milliseconds (the reference floors the
 * fraction); else an integer text as epoch ms. A decimal text ('12.5') is no time (a BIGINT cast
 * would round it). An integer beyond DuckDB's timestamps (±9e15 ms, past JavaScript's ±8.64e15)
 * is ±infinity, before or after every time as in the reference, rather than epoch_ms's error.
 */
const duckToTime = (t: string): string =>
  withText(
    t,
    `CASE WHEN regexp_full_match(json_txt, '${DUCK_ISO}${DUCK_ZONE}') ` +
      `THEN epoch_ms(epoch_ms(TRY_CAST(json_txt AS TIMESTAMPTZ))) ` +
      `WHEN regexp_full_match(json_txt, '${DUCK_ISO}\\s*') THEN epoch_ms(epoch_ms(TRY_CAST(json_txt AS TIMESTAMP))) ` +
      `WHEN regexp_full_match(json_txt, '${DUCK_INTEGER}') THEN CASE ` +
      `WHEN TRY_CAST(json_txt AS DOUBLE) >= 9e15 THEN 'infinity'::TIMESTAMP ` +
      `WHEN TRY_CAST(json_txt AS DOUBLE) <= -9e15 THEN '-infinity'::TIMESTAMP ` +
      `ELSE epoch_ms(CAST(json_txt AS BIGINT)) END END`,
  );

export const duckdbDialect: SqlDialect = {
  name: 'duckdb',
  placeholder: (n) => `$${n}`,
  placeholderPattern: duckPlaceholder,
  timeFromMs: (ms) => `epoch_ms(CAST(${ms} AS BIGINT))`,
  msFromTime: (t) => `epoch_ms(${t})`,
  jsonPath: (_segments, duckPath, add) => add(duckPath),
  // TRY: a stored document DuckDB cannot parse is "no value" for that row (params.ts safeJson).
  jsonText: (doc, path) => `TRY(json_extract_string(${doc}, ${path}))`,
  jsonIsArray: (doc, path) => `TRY(json_type(${doc}, ${path})) = 'ARRAY'`,
  jsonArrayHas: (doc, path, value) =>
    `list_contains(TRY_CAST(TRY(json_extract(${doc}, ${path})) AS VARCHAR[]), ${value})`,
  // Only texts the reference evaluator reads as numbers: DuckDB's cast also reads 'inf', 'nan',
  // 'Infinity' and '1_000'. A decimal text too large for a DOUBLE ('1e400') is infinite in both.
  toDouble: (t) =>
    withText(
      t,
      `CASE WHEN regexp_full_match(json_txt, '${DUCK_NUMBER}') THEN TRY_CAST(json_txt AS DOUBLE) END`,
    ),
  toBoolean: (t) => `TRY_CAST(${t} AS BOOLEAN)`,
  toTime: duckToTime,
  contains: (t, needle) => `contains(${t}, ${needle})`,
  isTrue: (p) => `(${p} IS TRUE)`,
  md5Bucket: (salt, id) => `(CAST('0x' || left(md5(${salt} || ${id}), 8) AS BIGINT) % 100)`,
  argMax: (value, order) => `arg_max(${value}, (${order.join(', ')}))`,
  asofJoin: (left) => (left ? 'ASOF LEFT JOIN' : 'ASOF JOIN'),
  asofLeftNullsTail: '',
  materializedCte: (name, body) => `${name} AS MATERIALIZED (${body})`,
  hashOrder: (t) => `hash(${t})`,
  toText: (v) => `CAST(${v} AS VARCHAR)`,
  leastSkippingNull: (v, nullable) => `least(${v}, ${nullable})`,
  orderedUnionAll: (selects, orderBy) => `${selects.join(' UNION ALL ')} ORDER BY ${orderBy}`,
  unionInt: (v, as) => (as === undefined || as === v ? v : `${v} AS ${as}`),
};

/** ClickHouse's type of a bound value: integers are Int64, other numbers Float64. */
export const clickHouseType = (value: SqlValue): string =>
  value === null
    ? 'Nullable(String)'
    : typeof value === 'string'
      ? 'String'
      : typeof value === 'boolean'
        ? 'Bool'
        : Number.isSafeInteger(value)
          ? 'Int64'
          : 'Float64';

const chKeys = (doc: string, path: JsonPathSql) => (path === '' ? doc : `${doc}, ${path}`);

export const clickhouseDialect: SqlDialect = {
  name: 'clickhouse',
  placeholder: (n, value) => `{p${n}:${clickHouseType(value)}}`,
  placeholderPattern: /\{p(\d+):[A-Za-z0-9()]+\}/g,
  timeFromMs: (ms) => `fromUnixTimestamp64Milli(${ms}, 'UTC')`,
  msFromTime: (t) => `toUnixTimestamp64Milli(${t})`,
  jsonPath: (segments, _duckPath, add) => segments.map((s) => add(s)).join(', '),
  // JSONExtract(…, 'Nullable(String)') is json_extract_string: strings unquoted, numbers, booleans,
  // arrays and objects as their JSON text, NULL for absent and JSON null; a document that does
  // not parse is absent (ClickHouse's JSON functions never throw on bad input).
  jsonText: (doc, path) => `JSONExtract(${chKeys(doc, path)}, 'Nullable(String)')`,
  jsonIsArray: (doc, path) => `JSONType(${chKeys(doc, path)}) = 'Array'`,
  // `json_el` rather than a short name: a lambda parameter would shadow a table alias `x`. A
  // NULL document (a history value) is no array: ClickHouse has no Nullable(Array).
  jsonArrayHas: (doc, path, value) =>
    `has(arrayMap(json_el -> JSONExtract(json_el, 'Nullable(String)'), JSONExtractArrayRaw(${chKeys(`ifNull(${doc}, '')`, path)})), ${value})`,
  // Only texts the reference evaluator reads as numbers (the DuckDB pattern): 'inf' and 'nan' are
  // none. toFloat64OrNull answers NULL for a decimal text too large for a Float64 ('1e400'), which
  // the reference reads as ±Infinity: so does this.
  toDouble: (t) =>
    `if(match(${t}, ${chPattern(DUCK_NUMBER)}), coalesce(toFloat64OrNull(trimBoth(${t})), ` +
    `if(startsWith(trimBoth(${t}), '-'), -inf, inf)), NULL)`,
  toBoolean: (t) => `accurateCastOrNull(trimBoth(${t}), 'Bool')`,
  // The reference evaluator's texts (DuckDB's patterns): an ISO date-time, with an offset or as UTC
  // ('T24:00:00' is none: parseDateTime64BestEffort would read the next midnight), else an integer
  // text as epoch ms, one beyond ±9e15 (past every time DuckDB holds) ±infinity as in the reference:
  // here the instants ±9e15 ms, after or before every time the warehouse stores (1900–2299). A
  // decimal text ('12.5') is no time.
  toTime: (t) =>
    `multiIf(match(${t}, ${chPattern(`${DUCK_ISO}(${DUCK_ZONE}|\\s*)`)}), parseDateTime64BestEffortOrNull(trimBoth(${t}), 3, 'UTC'), ` +
    `match(${t}, ${chPattern(DUCK_INTEGER)}), multiIf(` +
    `toFloat64OrNull(trimBoth(${t})) >= 9e15, fromUnixTimestamp64Milli(toInt64(9000000000000000), 'UTC'), ` +
    `toFloat64OrNull(trimBoth(${t})) <= -9e15, fromUnixTimestamp64Milli(toInt64(-9000000000000000), 'UTC'), ` +
    `fromUnixTimestamp64Milli(toInt64OrNull(trimBoth(${t})), 'UTC')), NULL)`,
  contains: (t, needle) => `(position(${t}, ${needle}) > 0)`,
  // ClickHouse has no IS TRUE.
  isTrue: (p) => `ifNull(${p}, false)`,
  // MD5 is 16 bytes: the first 4 read big-endian are the first 8 hex digits.
  md5Bucket: (salt, id) =>
    `(reinterpretAsUInt32(reverse(substring(MD5(concat(${salt}, ${id})), 1, 4))) % 100)`,
  // Aggregates skip NULL arguments in ClickHouse; a tuple is never NULL, so a NULL value is kept.
  argMax: (value, order) => `argMax(tuple(${value}), (${order.join(', ')})).1`,
  asofJoin: (left) => (left ? 'ASOF LEFT JOIN' : 'ASOF JOIN'),
  asofLeftNullsTail: ' SETTINGS join_use_nulls = 1',
  // A plain CTE (inlined where used): `AS MATERIALIZED` is recent in ClickHouse and servers vary.
  materializedCte: (name, body) => `${name} AS (${body})`,
  hashOrder: (t) => `cityHash64(${t})`,
  toText: (v) => `toString(${v})`,
  // Older ClickHouse servers answer NULL for least(NULL, x) (chDB's 26.7 skips the NULL): both do this.
  leastSkippingNull: (v, nullable) => `least(${v}, coalesce(${nullable}, ${v}))`,
  orderedUnionAll: (selects, orderBy) => `SELECT * FROM (${selects.join(' UNION ALL ')}) ORDER BY ${orderBy}`,
  unionInt: (v, as) => `toInt64(${v})${as === undefined ? '' : ` AS ${as}`}`,
};

/**
 * A ClickHouse query's parameters by name, for `ClickHouseDb.query(sql, namedParams(q))`: the
 * compilers keep `CompiledQuery.params` positional in both dialects (`{p1:…}` is `params[0]`).
 */
export const namedParams = (q: { params: readonly SqlValue[] }): Record<string, SqlValue> =>
  Object.fromEntries(q.params.map((v, i) => [`p${i + 1}`, v]));
