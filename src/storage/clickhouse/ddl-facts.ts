/** The ClickHouse tables of the facts statements (src/storage/warehouse/); applied by ddl.ts. */
export const FACTS_DDL: readonly string[] = [];
