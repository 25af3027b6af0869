import type { FieldRef } from '../../core/audience/fields.ts';
import { PROFILE_COLUMNS, profileColumnForTrait } from '../../core/profile/columns.ts';
import { Params } from '../../core/sql/params.ts';
import { epochMsOrNull, numberOrZero, textOrNull } from '../row-values.ts';
import type { WarehouseSql } from '../warehouse-sql.ts';
import * as ch from './metadata-clickhouse.ts';

/**
 * What the warehouse has seen, for the audience builder's pickers and the audience warnings.
 * Event names are counted over the whole table (one GROUP BY on a low-cardinality column);
 * property keys and values are read from a sample — the newest `rows` events of that name
 * within `days` before its latest one — and traits from the `rows` most recently updated
 * profiles, so each answer reads a bounded number of JSON documents on any size of warehouse.
 * On ClickHouse the statements that use DuckDB's JSON, list and QUALIFY spellings are written in
 * ClickHouse's (metadata-clickhouse.ts); the answers are the same.
 */

import type { MetadataSample } from './metadata-sample.ts';

export type { MetadataSample };

export type InferredType = 'string' | 'number' | 'boolean' | 'time' | 'array' | 'object' | 'null';

export interface EventName {
  event: string;
  count: number;
  lastSeen: number | null;
}

export interface KeyStats {
  key: string;
  /** Sampled rows that carry the key, and how many of them per JSON type. */
  count: number;
  types: Partial<Record<InferredType, number>>;
}

export interface ValueCount {
  value: string;
  count: number;
}

/** The JSON type of a value as the builder thinks of it (a text that parses as a time is a time). */
const TYPE_SQL = (doc: string, path: string) =>
  `CASE TRY(json_type(${doc}, ${path})) WHEN 'VARCHAR' THEN ` +
  `CASE WHEN TRY_CAST(TRY(json_extract_string(${doc}, ${path})) AS TIMESTAMP) IS NOT NULL THEN 'time' ELSE 'string' END ` +
  `WHEN 'BIGINT' THEN 'number' WHEN 'UBIGINT' THEN 'number' WHEN 'DOUBLE' THEN 'number' ` +
  `WHEN 'BOOLEAN' THEN 'boolean' WHEN 'ARRAY' THEN 'array' WHEN 'OBJECT' THEN 'object' ELSE 'null' END`;
/** `$."key"` for a key read from the data (quotes and backslashes escaped). */
const KEY_PATH = (k: string) => `'$."' || replace(replace(${k}, '\\', '\\\\'), '"', '\\"') || '"'`;

const keyStats = (rows: { k: unknown; t: unknown; n: unknown }[]): KeyStats[] => {
  const byKey = new Map<string, KeyStats>();
  for (const r of rows) {
    const key = String(r.k);
    const s = byKey.get(key) ?? { key, count: 0, types: {} };
    const n = numberOrZero(r.n);
    s.count += n;
    s.types[String(r.t) as InferredType] = n;
    byKey.set(key, s);
  }
  return [...byKey.values()].sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
};

/** Every event name with its count and latest time, most frequent first. */
export const readEventNames = async (wh: WarehouseSql, limit: number): Promise<EventName[]> => {
  const rows = await wh.query(
    'SELECT event, count(*) AS n, max(ts) AS last FROM events GROUP BY event ORDER BY n DESC, event LIMIT $1',
    [limit],
  );
  return rows.map((r) => ({
    event: String(r['event']),
    count: numberOrZero(r['n']),
    lastSeen: epochMsOrNull(r['last']),
  }));
};

/** The sampled events of one name (or of all names): `SELECT … FROM (<this>) s`. */
const sampleOf = (
  wh: WarehouseSql,
  columns: string,
  event: string | undefined,
  sample: MetadataSample,
  p: Params,
): string => {
  if (wh.dialect.name === 'clickhouse') return ch.sampleOf(columns, event, sample, p);
  const e = event === undefined ? undefined : p.add(event);
  const which = e === undefined ? '' : `event = ${e} AND `;
  const newest = `(SELECT epoch_ms(max(ts)) FROM events${e === undefined ? '' : ` WHERE event = ${e}`})`;
  return (
    `SELECT ${columns} FROM events WHERE ${which}` +
    `ts >= epoch_ms(CAST(${newest} - CAST(${p.add(sample.days)} AS DOUBLE) * 86400000 AS BIGINT)) ` +
    `ORDER BY ts DESC LIMIT ${p.add(sample.rows)}`
  );
};

/** Top-level keys of a JSON object column (none for a document DuckDB cannot parse). */
const KEYS = (doc: string) => `unnest(coalesce(TRY(json_keys(${doc})), []))`;

/** Typed event columns other than the JSON: how many sampled rows have a value in each. */
const EVENT_TYPED: readonly [string, InferredType][] = [
  ['amount', 'number'],
  ['currency', 'string'],
  ['product_id', 'string'],
  ['category', 'string'],
  ['order_id', 'string'],
  ['platform', 'string'],
];

/** Property keys of sampled events of one name: JSON keys and the typed columns that are set. */
export const readEventProperties = async (
  wh: WarehouseSql,
  event: string,
  sample: MetadataSample,
): Promise<{ sampled: number; properties: KeyStats[] }> => {
  const p = new Params();
  const s = sampleOf(wh, `properties, ${EVENT_TYPED.map(([c]) => c).join(', ')}`, event, sample, p);
  const counts = await wh.query(
    `SELECT count(*) AS sampled, ${EVENT_TYPED.map(([c]) => `count(${c}) AS ${c}`).join(', ')} FROM (${s}) s`,
    p.values,
  );
  const head = counts[0] ?? {};
  const typed: KeyStats[] = EVENT_TYPED.filter(([c]) => numberOrZero(head[c]) > 0).map(([c, t]) => ({
    key: c,
    count: numberOrZero(head[c]),
    types: { [t]: numberOrZero(head[c]) },
  }));
  const rows = await wh.query<{ k: unknown; t: unknown; n: unknown }>(
    wh.dialect.name === 'clickhouse'
      ? ch.keyTypes(s, 'properties')
      : `WITH kv AS MATERIALIZED (SELECT u.k AS k, TRY(json_extract(s.properties, ${KEY_PATH('u.k')})) AS j ` +
          `FROM (${s}) s, ${KEYS('s.properties')} AS u(k)) ` +
          `SELECT k, ${TYPE_SQL('j', "'$'")} AS t, count(*) AS n FROM kv GROUP BY 1, 2`,
    p.values,
  );
  // The typed columns are kept in the JSON too: list each key once.
  const json = keyStats(rows).filter((k) => !EVENT_TYPED.some(([c]) => c === k.key));
  return { sampled: numberOrZero(head['sampled']), properties: [...typed, ...json] };
};

/** The most frequent values of an event property in the sample (of one event name, or all). */
export const readPropertyValues = async (
  wh: WarehouseSql,
  field: FieldRef,
  event: string | undefined,
  sample: MetadataSample,
  limit: number,
): Promise<ValueCount[]> => {
  // A column name comes from the core's whitelist (EVENT_COLUMNS); a JSON path is a parameter.
  const p = new Params();
  const value =
    wh.dialect.name === 'clickhouse'
      ? ch.valueText(field, p)
      : field.kind === 'column'
        ? `CAST(${field.column} AS VARCHAR)`
        : `TRY(json_extract_string(properties, ${p.add(field.path)}))`;
  const s = sampleOf(wh, `${value} AS v`, event, sample, p);
  const rows = await wh.query(
    `SELECT v, count(*) AS n FROM (${s}) s WHERE v IS NOT NULL GROUP BY v ORDER BY n DESC, v LIMIT ${p.add(limit)}`,
    p.values,
  );
  return rows.map((r) => ({ value: String(r['v']), count: numberOrZero(r['n']) }));
};

export interface ColumnStats {
  name: string;
  /** Sampled profiles with a value. */
  count: number;
  topValues: ValueCount[];
}

/**
 * Trait names that fill a typed column (kept in the JSON too): listed as columns, so the trait
 * scan skips them — most of a profile's keys.
 */
const COLUMN_TRAITS = PROFILE_COLUMNS.flatMap((c) => [c.name, ...c.aliases]).join(',');

/** Profile columns whose values may be listed: contacts and push tokens never are. */
const LISTED_COLUMNS = new Set(['acquisition_channel', 'city', 'timezone', 'membership']);
const LISTED_KINDS = new Set(['boolean']);

/**
 * Profile columns and trait keys of the `rows` most recently updated profiles, with the top
 * values of listable columns and of scalar traits. A trait value is listed only when at least
 * two sampled profiles share it, so a free-text trait (a name, a note) does not leak one user's value.
 */
export const readProfileAttributes = async (
  wh: WarehouseSql,
  rows: number,
  topValues: number,
): Promise<{
  sampled: number;
  columns: ColumnStats[];
  traits: (KeyStats & { topValues: ValueCount[] })[];
}> => {
  const onCh = wh.dialect.name === 'clickhouse';
  // Each query reads its sample once (MATERIALIZED): a plain CTE is inlined into every branch.
  const names = ['user_id', 'first_seen', 'updated_at', ...PROFILE_COLUMNS.map((c) => c.name)];
  const listed = PROFILE_COLUMNS.filter((c) => LISTED_COLUMNS.has(c.name) || LISTED_KINDS.has(c.kind));
  const sample = `WITH s AS MATERIALIZED (SELECT ${names.join(', ')} FROM profiles ORDER BY updated_at DESC LIMIT $1)`;
  const head =
    (
      await wh.query(
        onCh
          ? ch.profileHead(names)
          : `${sample} SELECT count(*) AS sampled, ${names.map((c) => `count(${c}) AS ${c}`).join(', ')} FROM s`,
        [rows],
      )
    )[0] ?? {};
  const values = new Map<string, ValueCount[]>();
  const parts = listed.map(
    (c) => `SELECT '${c.name}' AS c, CAST(${c.name} AS VARCHAR) AS v FROM s WHERE ${c.name} IS NOT NULL`,
  );
  const top = await wh.query(
    onCh
      ? ch.profileTopValues(listed.map((c) => c.name))
      : `${sample} SELECT c, v, count(*) AS n FROM (${parts.join(' UNION ALL ')}) GROUP BY c, v ` +
          `QUALIFY row_number() OVER (PARTITION BY c ORDER BY count(*) DESC, v) <= $2 ORDER BY c, n DESC, v`,
    [rows, topValues],
  );
  for (const r of top) {
    const c = String(r['c']);
    values.set(c, [...(values.get(c) ?? []), { value: String(r['v']), count: numberOrZero(r['n']) }]);
  }
  const columns = names.map((name) => ({
    name,
    count: numberOrZero(head[name]),
    topValues: values.get(name) ?? [],
  }));

  // One row per (profile, trait key) with the value, read once; types and top values from it.
  const keyed =
    `WITH s AS MATERIALIZED (SELECT traits FROM profiles ORDER BY updated_at DESC LIMIT $1), ` +
    `kv AS MATERIALIZED (SELECT u.k AS k, TRY(json_extract(s.traits, ${KEY_PATH('u.k')})) AS j ` +
    `FROM s, ${KEYS('s.traits')} AS u(k) WHERE NOT list_contains(string_split($3, ','), u.k))`;
  const traitRows = await wh.query(
    onCh
      ? ch.traitRows()
      : `${keyed} SELECT 'type' AS part, k, ${TYPE_SQL('j', "'$'")} AS x, count(*) AS n FROM kv GROUP BY 1, 2, 3 ` +
          `UNION ALL SELECT 'top' AS part, k, v AS x, n FROM (SELECT k, json_extract_string(j, '$') AS v, count(*) AS n ` +
          `FROM kv WHERE json_type(j) NOT IN ('ARRAY', 'OBJECT', 'NULL') AND length(json_extract_string(j, '$')) <= 100 ` +
          `GROUP BY k, v HAVING count(*) >= 2 QUALIFY row_number() OVER (PARTITION BY k ORDER BY count(*) DESC, v) <= $2) ` +
          `ORDER BY part, k, n DESC, x`,
    [rows, topValues, COLUMN_TRAITS],
  );
  const traitValues = new Map<string, ValueCount[]>();
  for (const r of traitRows.filter((x) => x['part'] === 'top')) {
    const k = String(r['k']);
    traitValues.set(k, [
      ...(traitValues.get(k) ?? []),
      { value: textOrNull(r['x']) ?? '', count: numberOrZero(r['n']) },
    ]);
  }
  const traitTypes = traitRows
    .filter((x) => x['part'] === 'type')
    .map((x) => ({ k: x['k'], t: x['x'], n: x['n'] }));
  return {
    sampled: numberOrZero(head['sampled']),
    columns,
    // Traits that fill a typed column are kept in the JSON too; they are listed as columns.
    traits: keyStats(traitTypes)
      .filter((s) => profileColumnForTrait(s.key) === undefined)
      .map((s) => ({ ...s, topValues: traitValues.get(s.key) ?? [] })),
  };
};

/** Top-level trait keys of the sampled profiles (for warnings). */
export const readTraitKeys = async (wh: WarehouseSql, rows: number): Promise<string[]> => {
  const r = await wh.query(
    wh.dialect.name === 'clickhouse'
      ? ch.traitKeys()
      : `SELECT DISTINCT u.k AS k FROM (SELECT traits FROM profiles ORDER BY updated_at DESC LIMIT $1) s, ` +
          `${KEYS('s.traits')} AS u(k) ORDER BY 1`,
    [rows],
  );
  return r.map((x) => String(x['k']));
};

/** Top-level property keys of the sampled events of each of these names (for warnings). */
export const readPropertyKeys = async (
  wh: WarehouseSql,
  events: readonly string[],
  sample: MetadataSample,
): Promise<Map<string, string[]>> => {
  const out = new Map<string, string[]>();
  for (const event of new Set(events)) {
    const p = new Params();
    const s = sampleOf(wh, 'properties', event, sample, p);
    const r = await wh.query(
      wh.dialect.name === 'clickhouse'
        ? ch.distinctKeys(s, 'properties')
        : `SELECT DISTINCT u.k AS k FROM (${s}) s, ${KEYS('s.properties')} AS u(k) ORDER BY 1`,
      p.values,
    );
    out.set(
      event,
      r.map((x) => String(x['k'])),
    );
  }
  return out;
};
