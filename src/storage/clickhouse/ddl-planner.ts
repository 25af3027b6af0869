/** The ClickHouse tables of the planner statements (src/storage/warehouse/); applied by ddl.ts. */
export const PLANNER_DDL: readonly string[] = [];
