/** The ClickHouse tables of the churn statements (src/storage/warehouse/); applied by ddl.ts. */
export const CHURN_DDL: readonly string[] = [];
