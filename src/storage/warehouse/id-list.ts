/** A list of ids as one JSON parameter; `IN (${inList('$n')})` unpacks it in DuckDB. */
export const jsonList = (ids: readonly string[]): string => JSON.stringify(ids);
export const inList = (param: string): string =>
  `SELECT unnest(CAST(json_extract_string(${param}, '$[*]') AS VARCHAR[]))`;
