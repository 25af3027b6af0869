import { createHash, hkdfSync } from 'node:crypto';
import type { SqlClient } from './sql-client.ts';
import { openSecrets, sealSecrets, type MasterKeys } from '../../lib/secret-box.ts';

/**
 * Where vendor access tokens live between processes: `provider_access_tokens` (migration 016),
 * one row per credential. The token is sealed with the secret box under a key derived from the
 * credential's own secret, so a reader of the table alone learns nothing usable, and a rotated
 * secret simply makes the old row unreadable (the next fetch replaces it).
 */

export interface TokenCredential {
  /** Provider kind, e.g. `wechat_oa`. */
  kind: string;
  /** The token endpoint's base URL: a test vendor and production never share a token. */
  endpoint: string;
  /** Who the token belongs to: app id, corp id + agent id, service-account e-mail. */
  credentialId: string;
  /** The credential's secret; only used to derive the sealing key. */
  secret: string;
}

export interface StoredToken {
  value: string;
  expiresAt: number;
  fetchedAt: number;
}

/**
 * The row of a credential. The secret takes part (hashed twice, so the key reveals nothing of
 * it): a provider saved with another secret is another credential, whose token it must fetch.
 */
export const tokenKey = (c: TokenCredential): string => {
  const secretHash = createHash('sha256').update(c.secret).digest('hex');
  return createHash('sha256')
    .update(`${c.kind}\n${c.endpoint}\n${c.credentialId}\n${secretHash}`)
    .digest('hex');
};

export const sealingKeys = (c: TokenCredential): MasterKeys => ({
  current: Buffer.from(hkdfSync('sha256', c.secret, tokenKey(c), 'rekindle provider access token', 32)),
  previous: [],
});

interface Row {
  token_enc: string | null;
  expires_at: Date | string | null;
  fetched_at: Date | string | null;
}

const ms = (v: Date | string | null): number => (v === null ? 0 : new Date(v).getTime());

const openRow = (keys: MasterKeys, row: Row | undefined): StoredToken | null => {
  if (!row?.token_enc || row.expires_at === null) return null;
  try {
    const value = openSecrets(keys, row.token_enc)['token'];
    return typeof value === 'string'
      ? { value, expiresAt: ms(row.expires_at), fetchedAt: ms(row.fetched_at) }
      : null;
  } catch {
    // Sealed under a secret that has since changed: as good as no token.
    return null;
  }
};

export const readToken = async (
  db: SqlClient,
  key: string,
  keys: MasterKeys,
): Promise<StoredToken | null> => {
  const rows = await db.query<Row>(
    'SELECT token_enc, expires_at, fetched_at FROM provider_access_tokens WHERE token_key = $1',
    [key],
  );
  return openRow(keys, rows[0]);
};

/**
 * Runs `fn` with the credential's row locked: on PostgreSQL `SELECT … FOR UPDATE` inside a
 * transaction, so a worker in another process waits and then reads what this one stored. PGlite
 * lives in one process (the data-directory lock), where the caller's in-process lock already
 * serialises fetches; holding a PGlite transaction over a vendor call would stall every other
 * query of the process, so there the row is read and written without one.
 */
export const withLockedToken = async <T>(
  db: SqlClient,
  key: string,
  keys: MasterKeys,
  fn: (current: StoredToken | null, store: (t: StoredToken) => Promise<void>) => Promise<T>,
): Promise<T> => {
  const store = (tx: SqlClient) => async (t: StoredToken) => {
    await tx.query(
      `UPDATE provider_access_tokens
          SET token_enc = $2, expires_at = $3, fetched_at = $4, fetch_count = fetch_count + 1
        WHERE token_key = $1`,
      [key, sealSecrets(keys, { token: t.value }), new Date(t.expiresAt), new Date(t.fetchedAt)],
    );
  };
  const lockedRead = async (tx: SqlClient, forUpdate: boolean) => {
    await tx.query(
      'INSERT INTO provider_access_tokens (token_key) VALUES ($1) ON CONFLICT (token_key) DO NOTHING',
      [key],
    );
    const rows = await tx.query<Row>(
      `SELECT token_enc, expires_at, fetched_at FROM provider_access_tokens WHERE token_key = $1${
        forUpdate ? ' FOR UPDATE' : ''
      }`,
      [key],
    );
    return openRow(keys, rows[0]);
  };
  if (db.kind === 'pglite') return fn(await lockedRead(db, false), store(db));
  return db.transaction(async (tx) => fn(await lockedRead(tx, true), store(tx)));
};
