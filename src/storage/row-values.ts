/**
 * Decoders for column values as the drivers hand them over. PostgreSQL's driver parses `jsonb`
 * and `timestamptz`, PGlite and DuckDB sometimes give text or bigints instead, so every store
 * reads a column through one of these rather than trusting the driver's type.
 */

/** A JSON column: parsed already (node-postgres) or still text. */
export const jsonValue = <T = unknown>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;

/** A time column as epoch milliseconds (a Date, or text a Date can parse). */
export const epochMs = (v: unknown): number => new Date(v as string).getTime();

/** A nullable time column as epoch milliseconds. */
export const epochMsOrNull = (v: unknown): number | null =>
  v === null || v === undefined ? null : epochMs(v);

/** A nullable numeric column (bigints and numeric text included). */
export const numberOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** A count or sum that reads as 0 where the query found no row. */
export const numberOrZero = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

/** A nullable text column. */
export const textOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** A nullable time column as a Date, the form the console's time formatting takes. */
export const dateOrNull = (v: unknown): Date | null => {
  if (v === null || v === undefined) return null;
  return v instanceof Date ? v : new Date(String(v));
};

/** The columns every versioned control-plane record has (audiences, warning rules, campaigns, providers). */
export interface VersionedRow {
  id: string;
  workspaceId: string;
  version: number;
  createdAt: number;
  updatedAt: number;
}

export const versionedRow = (r: Record<string, unknown>): VersionedRow => ({
  id: String(r['id']),
  workspaceId: String(r['workspace_id']),
  version: Number(r['version']),
  createdAt: epochMs(r['created_at']),
  updatedAt: epochMs(r['updated_at']),
});

/** The owner of a record, read with `JOIN users u … u.name AS owner_name`. */
export const ownerOfRow = (r: Record<string, unknown>): { ownerId: number; ownerName: string } => ({
  ownerId: Number(r['owner_id']),
  ownerName: String(r['owner_name'] ?? ''),
});
