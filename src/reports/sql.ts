/** Small helpers shared by the report queries. */

/** A list of ids as one JSON parameter; `IN (${IN_LIST('$n')})` unpacks it in DuckDB. */
export const jsonList = (ids: readonly string[]): string => JSON.stringify(ids);
export const inList = (param: string): string =>
  `SELECT unnest(CAST(json_extract_string(${param}, '$[*]') AS VARCHAR[]))`;

export const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
export const ms = (v: unknown): number => (v instanceof Date ? v.getTime() : Number(new Date(String(v))));
export const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);
export const yuan = (x: number): number => Math.round(x * 100) / 100;
