/** Warehouse tables for identity (features.md A1): which ids are one person. */
export const IDENTITY_DDL: readonly string[] = [];
