import type { SqlClient } from '../../storage/control/sql-client.ts';
import { noteWriteKeyUse, workspaceForWriteKey } from '../../storage/control/write-keys.ts';

/**
 * Segment SDKs send the write key as the Basic-auth user name (password empty); some send it
 * in the body as `writeKey`. Lookups are cached briefly so a revoked key stops within the TTL.
 */
export const writeKeyFromRequest = (authorization: string | undefined, body: unknown): string | null => {
  if (authorization?.startsWith('Basic ')) {
    const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
    const user = decoded.split(':')[0];
    if (user) return user;
  }
  if (typeof body === 'object' && body !== null && 'writeKey' in body) {
    const key = (body as { writeKey: unknown }).writeKey;
    if (typeof key === 'string' && key.length > 0) return key;
  }
  return null;
};

/**
 * Bumped when a key of the control plane is revoked in this process: every cache opened on it
 * (ingest, inbox) forgets what it knew, so a revoked key stops at once here; other processes
 * stop within the TTL.
 */
const generations = new WeakMap<SqlClient, number>();
const generationOf = (db: SqlClient) => generations.get(db) ?? 0;

export const forgetWriteKeys = (db: SqlClient): void => {
  generations.set(db, generationOf(db) + 1);
};

export class WriteKeyCache {
  private readonly cache = new Map<string, { workspace: string | null; until: number }>();
  private generation: number;

  constructor(
    private readonly db: SqlClient,
    private readonly ttlMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {
    this.generation = generationOf(db);
  }

  async workspaceFor(key: string): Promise<string | null> {
    const generation = generationOf(this.db);
    if (this.generation !== generation) {
      this.cache.clear();
      this.generation = generation;
    }
    const hit = this.cache.get(key);
    if (hit && hit.until > this.now()) return hit.workspace;
    const workspace = await workspaceForWriteKey(this.db, key);
    // Once per cache period: when the key was last used, for the console. Never fails a request.
    if (workspace !== null) await noteWriteKeyUse(this.db, key, new Date(this.now())).catch(() => undefined);
    // A revocation while the lookup ran: answer what was read, but do not keep it.
    if (generationOf(this.db) !== generation) return workspace;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, { workspace, until: this.now() + this.ttlMs });
    return workspace;
  }
}
