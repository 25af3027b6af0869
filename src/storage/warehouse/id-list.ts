import { duckdbDialect, type SqlDialect } from '../../core/sql/dialect.ts';

/** A list of ids as one JSON parameter; `IN (${inList('$n', dialect)})` unpacks it on either engine. */
export const jsonList = (ids: readonly string[]): string => JSON.stringify(ids);
export const inList = (param: string, dialect: SqlDialect = duckdbDialect): string =>
  dialect.name === 'duckdb'
    ? `SELECT unnest(CAST(json_extract_string(${param}, '$[*]') AS VARCHAR[]))`
    : `SELECT arrayJoin(JSONExtract(${param}, 'Array(String)'))`;
