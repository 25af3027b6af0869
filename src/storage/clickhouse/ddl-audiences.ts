/**
 * The ClickHouse tables of the audiences statements (src/storage/warehouse/); applied by ddl.ts.
 * None of their own: they read events, profiles and user_scores, and write
 * audience_snapshot_members, which ddl.ts creates with DuckDB's columns (snapshot_id, user_id,
 * both text and never NULL), ordered by (snapshot_id, user_id) for the keyset pages and exports.
 */
export const AUDIENCES_DDL: readonly string[] = [];
