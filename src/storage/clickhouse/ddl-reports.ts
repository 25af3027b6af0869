/** The ClickHouse tables of the reports statements (src/storage/warehouse/); applied by ddl.ts. */
export const REPORTS_DDL: readonly string[] = [];
