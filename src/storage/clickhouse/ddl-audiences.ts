/** The ClickHouse tables of the audiences statements (src/storage/warehouse/); applied by ddl.ts. */
export const AUDIENCES_DDL: readonly string[] = [];
