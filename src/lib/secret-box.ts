import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Provider secrets at rest: AES-256-GCM under a master key. The ciphertext names the key it was
 * made with (`v1.<keyId>.<iv>.<tag>.<data>`, base64url), so after a rotation the previous key
 * still opens old rows until `rotateProviderSecrets` has rewritten them.
 */
export interface MasterKeys {
  current: Buffer;
  /** Keys still accepted for decryption (rotation in progress). */
  previous: readonly Buffer[];
}

const KEY_FILE = 'master.key';

export const keyId = (key: Buffer): string => createHash('sha256').update(key).digest('hex').slice(0, 8);

const parseKey = (text: string, source: string): Buffer => {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw new Error(`${source} must be 32 bytes in base64 (got ${key.length} bytes)`);
  return key;
};

/**
 * `REKINDLE_MASTER_KEY` (base64, 32 bytes) if set; otherwise `<dataDir>/master.key`, generated
 * with mode 0600 on first use. `REKINDLE_MASTER_KEY_PREVIOUS` (comma-separated) keeps old keys
 * readable during a rotation.
 */
export const loadMasterKeys = (env: NodeJS.ProcessEnv, dataDir: string): MasterKeys => {
  const previous = (env['REKINDLE_MASTER_KEY_PREVIOUS'] ?? '')
    .split(',')
    .filter((s) => s.trim() !== '')
    .map((s) => parseKey(s, 'REKINDLE_MASTER_KEY_PREVIOUS'));
  const fromEnv = env['REKINDLE_MASTER_KEY'];
  if (fromEnv) return { current: parseKey(fromEnv, 'REKINDLE_MASTER_KEY'), previous };
  const file = join(dataDir, KEY_FILE);
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    try {
      // 'wx': two processes starting together must not both write a different key.
      writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  return { current: parseKey(readFileSync(file, 'utf8'), file), previous };
};

export const sealSecrets = (keys: MasterKeys, secrets: Record<string, unknown>): string => {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keys.current, iv);
  const data = Buffer.concat([cipher.update(JSON.stringify(secrets), 'utf8'), cipher.final()]);
  const b = (x: Buffer) => x.toString('base64url');
  return ['v1', keyId(keys.current), b(iv), b(cipher.getAuthTag()), b(data)].join('.');
};

/** Throws when no known key made the ciphertext or it was altered (an invariant, not a user error). */
export const openSecrets = (keys: MasterKeys, sealed: string): Record<string, unknown> => {
  const [version, id, iv, tag, data] = sealed.split('.');
  if (version !== 'v1' || !id || !iv || !tag || data === undefined) throw new Error('unknown secret format');
  const key = [keys.current, ...keys.previous].find((k) => keyId(k) === id);
  if (!key) throw new Error(`provider secrets were sealed with master key ${id}, which is not configured`);
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  const text = Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString(
    'utf8',
  );
  return JSON.parse(text) as Record<string, unknown>;
};

export const sealedWith = (sealed: string): string | undefined => sealed.split('.')[1];
