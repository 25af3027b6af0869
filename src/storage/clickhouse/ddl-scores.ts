/** The ClickHouse tables of the scores statements (src/storage/warehouse/); applied by ddl.ts. */
export const SCORES_DDL: readonly string[] = [];
