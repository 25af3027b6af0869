/**
 * Warehouse tables for identity (features.md A1): which ids are one person. One row per id that
 * was linked to another (an alias): `linked_to` is the id it was linked to (the call as sent),
 * `canonical_id` the end of its chain, where its events and profile now live. Rows are never
 * deleted; a merge moves `canonical_id` (src/storage/warehouse/identity-links.ts).
 */
export const IDENTITY_DDL: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS identity_links (
     alias_id     VARCHAR   PRIMARY KEY,
     linked_to    VARCHAR   NOT NULL,
     canonical_id VARCHAR   NOT NULL,
     via          VARCHAR   NOT NULL,
     message_id   VARCHAR   NOT NULL,
     linked_at    TIMESTAMP NOT NULL
   )`,
];
