import { randomBytes } from 'node:crypto';
import { openSecrets, sealSecrets, type MasterKeys } from '../../lib/secret-box.ts';
import { transactionParent, type SqlClient } from './sql-client.ts';

/**
 * Per-workspace signing secrets (unsubscribe tokens, tracking links, inbox tokens, offer codes,
 * IP hashes) at rest: sealed with the master key like provider secrets, so a copy of the
 * database alone cannot forge a link. Rows written before sealing hold the secret in clear; they
 * are sealed at startup (`sealPlaintextWorkspaceSecrets`) or at the latest when first read, with
 * the same value, so links and tokens already sent keep verifying.
 */

const keysOf = new WeakMap<SqlClient, MasterKeys>();

/** The master keys this control-plane client seals and opens workspace secrets with. */
export const bindMasterKeys = (db: SqlClient, keys: MasterKeys): void => {
  keysOf.set(db, keys);
};

const masterKeysOf = (db: SqlClient): MasterKeys => {
  for (let c: SqlClient | undefined = db; c !== undefined; c = transactionParent.get(c)) {
    const k = keysOf.get(c);
    if (k) return k;
  }
  throw new Error('no master key bound to this control-plane client (bindMasterKeys; openRuntime does it)');
};

/** A plaintext secret is base64url (no dots); a sealed one is `v1.<keyId>.<iv>.<tag>.<data>`. */
const isSealed = (stored: string): boolean => stored.startsWith('v1.');

const seal = (keys: MasterKeys, secret: string): string => sealSecrets(keys, { secret });

const open = (keys: MasterKeys, stored: string): string => {
  const s = openSecrets(keys, stored)['secret'];
  if (typeof s !== 'string') throw new Error('a sealed workspace secret holds no secret');
  return s;
};

/** Reads a stored value; a row still in clear is sealed in place (only if nobody changed it meanwhile). */
const reveal = async (
  db: SqlClient,
  keys: MasterKeys,
  workspaceId: string,
  name: string,
  stored: string,
): Promise<string> => {
  if (isSealed(stored)) return open(keys, stored);
  await db.query(
    'UPDATE workspace_secrets SET secret = $4 WHERE workspace_id = $1 AND name = $2 AND secret = $3',
    [workspaceId, name, stored, seal(keys, stored)],
  );
  return stored;
};

/** The workspace's secret `name`, created (32 random bytes) the first time it is asked for. */
export const workspaceSecret = async (db: SqlClient, workspaceId: string, name: string): Promise<string> => {
  const keys = masterKeysOf(db);
  await db.query(
    `INSERT INTO workspace_secrets (workspace_id, name, secret) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
    [workspaceId, name, seal(keys, randomBytes(32).toString('base64url'))],
  );
  const s = await existingWorkspaceSecret(db, workspaceId, name);
  if (s === null) throw new Error(`workspace secret ${name} missing after insert`);
  return s;
};

/** A workspace's secret if it exists; never creates one (a forged token must not create state). */
export const existingWorkspaceSecret = async (
  db: SqlClient,
  workspaceId: string,
  name: string,
): Promise<string | null> => {
  const rows = await db.query<{ secret: string }>(
    'SELECT secret FROM workspace_secrets WHERE workspace_id = $1 AND name = $2',
    [workspaceId, name],
  );
  const stored = rows[0]?.secret;
  return stored === undefined ? null : reveal(db, masterKeysOf(db), workspaceId, name, stored);
};

/** Seals every row still in clear (a startup step); returns how many were. */
export const sealPlaintextWorkspaceSecrets = async (db: SqlClient): Promise<number> => {
  const keys = masterKeysOf(db);
  const rows = await db.query<{ workspace_id: string; name: string; secret: string }>(
    `SELECT workspace_id, name, secret FROM workspace_secrets WHERE secret NOT LIKE 'v1.%'`,
  );
  for (const r of rows) await reveal(db, keys, r.workspace_id, r.name, r.secret);
  return rows.length;
};

/**
 * Re-seals every workspace secret under the current master key (after a rotation, with the old
 * key in `REKINDLE_MASTER_KEY_PREVIOUS`); the secrets themselves do not change. Returns the count.
 */
export const rotateWorkspaceSecrets = async (db: SqlClient, keys: MasterKeys): Promise<number> => {
  const rows = await db.query<{ workspace_id: string; name: string; secret: string }>(
    'SELECT workspace_id, name, secret FROM workspace_secrets',
  );
  for (const r of rows) {
    const plain = isSealed(r.secret) ? open(keys, r.secret) : r.secret;
    await db.query(
      'UPDATE workspace_secrets SET secret = $4 WHERE workspace_id = $1 AND name = $2 AND secret = $3',
      [r.workspace_id, r.name, r.secret, seal(keys, plain)],
    );
  }
  return rows.length;
};
