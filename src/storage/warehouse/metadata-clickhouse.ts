import type { FieldRef } from '../../core/audience/fields.ts';
import { clickhouseDialect } from '../../core/sql/dialect.ts';
import type { Params } from '../../core/sql/params.ts';
import type { MetadataSample } from './metadata-sample.ts';

/**
 * The ClickHouse spellings of metadata.ts's statements where DuckDB's differ (JSON keys and
 * types, list functions, QUALIFY, MATERIALIZED CTEs, epoch_ms). Values are still `$n`
 * placeholders from a `Params`: ClickHouseSql binds them typed from their values. Each function
 * answers the same columns as the DuckDB statement it replaces.
 *
 * Keys are read with JSONExtractKeys (none for a document that does not parse, as DuckDB's TRY)
 * and each key's value through (document, key) rather than a built JSONPath, so no key text is
 * ever escaped into SQL.
 */

/** The newest `rows` events (of one name, or all) within `days` before the newest such event. */
export const sampleOf = (
  columns: string,
  event: string | undefined,
  sample: MetadataSample,
  p: Params,
): string => {
  const e = event === undefined ? undefined : p.add(event);
  const which = e === undefined ? '' : `event = ${e} AND `;
  const newest = `(SELECT toUnixTimestamp64Milli(max(ts)) FROM events${e === undefined ? '' : ` WHERE event = ${e}`})`;
  return (
    `SELECT ${columns} FROM events WHERE ${which}` +
    `ts >= fromUnixTimestamp64Milli(toInt64(${newest} - toFloat64(${p.add(sample.days)}) * 86400000), 'UTC') ` +
    `ORDER BY ts DESC LIMIT ${p.add(sample.rows)}`
  );
};

/**
 * A text that DuckDB's TIMESTAMP cast reads: a valid date, optionally with a time (hours and
 * minutes at least) and an offset, and no blanks around (DuckDB refuses ' 2026-01-05 ').
 * ClickHouse's best-effort parser alone would also read '7', 'May 3' or '20260105'.
 */
const isTimeText = (t: string): string =>
  `(match(${t}, '^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\\\.[0-9]+)?)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?$') ` +
  `AND parseDateTime64BestEffortOrNull(${t}, 3, 'UTC') IS NOT NULL)`;

/** The builder's type (metadata.ts InferredType) of the value of key `k` in `doc`. */
const typeOf = (doc: string, k: string): string =>
  `multiIf(JSONType(${doc}, ${k}) = 'String', if(${isTimeText(`JSONExtractString(${doc}, ${k})`)}, 'time', 'string'), ` +
  `JSONType(${doc}, ${k}) IN ('Int64', 'UInt64', 'Double'), 'number', JSONType(${doc}, ${k}) = 'Bool', 'boolean', ` +
  `JSONType(${doc}, ${k}) = 'Array', 'array', JSONType(${doc}, ${k}) = 'Object', 'object', 'null')`;

/** Rows (k, t, n): per top-level key of `doc` in the sample `s`, how many rows hold it as each type. */
export const keyTypes = (s: string, doc: string): string =>
  `SELECT k, ${typeOf('d', 'k')} AS t, count() AS n ` +
  `FROM (SELECT ${doc} AS d, arrayJoin(JSONExtractKeys(${doc})) AS k FROM (${s}) AS s) GROUP BY k, t`;

/** Rows (k): the distinct top-level keys of `doc` in the sample `s`, sorted. */
export const distinctKeys = (s: string, doc: string): string =>
  `SELECT DISTINCT arrayJoin(JSONExtractKeys(${doc})) AS k FROM (${s}) AS s ORDER BY k`;

/**
 * An event field's value as text (metadata.ts readPropertyValues): a JSON value as the dialect's
 * jsonText (json_extract_string's text); a column as DuckDB's VARCHAR cast writes it, which
 * keeps '.0' on a whole DOUBLE (10 → '10.0') where ClickHouse's toString writes '10'.
 */
export const valueText = (field: FieldRef, p: Params): string => {
  if (field.kind === 'json')
    return clickhouseDialect.jsonText(
      'properties',
      clickhouseDialect.jsonPath(field.segments, field.path, (v) => p.add(v)),
    );
  if (field.type !== 'number') return `toString(${field.column})`;
  const c = field.column;
  return `if(isFinite(${c}) AND ${c} = floor(${c}) AND abs(${c}) < 1e15, concat(toString(${c}), '.0'), toString(${c}))`;
};

/** The `rows` most recently updated profiles ($1), with these columns. */
const profileSample = (columns: string): string =>
  `(SELECT ${columns} FROM profiles ORDER BY updated_at DESC LIMIT $1) AS s`;

/** One row: sampled profiles ($1 most recent) and how many have a value in each column. */
export const profileHead = (names: readonly string[]): string =>
  `SELECT count() AS sampled, ${names.map((c) => `count(${c}) AS ${c}`).join(', ')} FROM ${profileSample(names.join(', '))}`;

/**
 * Rows (c, v, n): the $2 most frequent values of each listed column in the sample, ties by value.
 * The sample is read once: each profile gives one (column, text) pair per column by ARRAY JOIN.
 */
export const profileTopValues = (columns: readonly string[]): string => {
  const pairs = columns.map((c) => `tuple('${c}', toString(${c}))`).join(', ');
  return (
    `SELECT c, v, n FROM (SELECT c, v, count() AS n, row_number() OVER (PARTITION BY c ORDER BY count() DESC, v) AS rk ` +
    `FROM (SELECT cv.1 AS c, cv.2 AS v FROM ${profileSample(columns.join(', '))} ARRAY JOIN [${pairs}] AS cv ` +
    `WHERE cv.2 IS NOT NULL) GROUP BY c, v) WHERE rk <= $2 ORDER BY c, n DESC, v`
  );
};

/**
 * Rows (part, k, x, n) as metadata.ts's trait statement: part 'type' (x a type, n profiles)
 * and part 'top' (x one of the $2 most frequent scalar values held by at least two profiles, at
 * most 100 characters). Keys in the comma-separated $3 (traits that fill typed columns) are skipped.
 */
export const traitRows = (): string => {
  const kv =
    `(SELECT traits AS d, arrayJoin(JSONExtractKeys(traits)) AS k FROM ${profileSample('traits')}) AS kv ` +
    `WHERE NOT has(splitByChar(',', $3), k)`;
  const value = `JSONExtract(d, k, 'Nullable(String)')`;
  const types = `SELECT 'type' AS part, k, ${typeOf('d', 'k')} AS x, count() AS n FROM ${kv} GROUP BY k, x`;
  const top =
    `SELECT 'top' AS part, k, v AS x, n FROM (SELECT k, v, n, row_number() OVER (PARTITION BY k ORDER BY n DESC, v) AS rk ` +
    `FROM (SELECT k, ${value} AS v, count() AS n FROM ${kv} AND JSONType(d, k) NOT IN ('Array', 'Object', 'Null') ` +
    `AND lengthUTF8(${value}) <= 100 GROUP BY k, v HAVING count() >= 2)) WHERE rk <= $2`;
  return `SELECT * FROM (${types} UNION ALL ${top}) ORDER BY part, k, n DESC, x`;
};

/** Rows (k): the distinct top-level trait keys of the $1 most recently updated profiles, sorted. */
export const traitKeys = (): string =>
  `SELECT DISTINCT arrayJoin(JSONExtractKeys(traits)) AS k FROM ${profileSample('traits')} ORDER BY k`;
