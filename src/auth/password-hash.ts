import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Password hashing with scrypt (a shell module: salts are random, and hashing is slow on
 * purpose; the pure policy is `core/auth/password-policy.ts`). The stored string names its own
 * parameters (`scrypt$N$r$p$salt$hash`, salt and hash in base64url), so the defaults can be
 * raised later: old hashes still verify, and `needsRehash` says when to store a stronger one.
 */
export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  /** Block size. */
  r: number;
  /** Parallelism. */
  p: number;
}

/**
 * OWASP's scrypt settings for 32 MiB of memory (equivalent to N=2^17, p=1 at a quarter of the
 * memory): about a quarter of a second per hash on a small server core.
 */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 3 };

const SALT_BYTES = 16;
const KEY_BYTES = 32;
// Bounds on what a stored string may ask for, so a corrupted row cannot make a login allocate gigabytes.
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;

const derive = (password: string, salt: Buffer, params: ScryptParams, keyBytes: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    // Node refuses scrypt above `maxmem` (32 MiB by default); 128·N·r is what it needs, doubled for slack.
    const maxmem = 256 * params.N * params.r;
    scrypt(password.normalize('NFC'), salt, keyBytes, { ...params, maxmem }, (e, key) =>
      e ? reject(e) : resolve(key),
    );
  });

/** Hashes a password with a fresh random salt; the result is what `users.password_hash` stores. */
export const hashPassword = async (
  password: string,
  params: ScryptParams = DEFAULT_SCRYPT,
): Promise<string> => {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params, KEY_BYTES);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join(
    '$',
  );
};

interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

const positiveInt = (text: string | undefined, max: number): number | null => {
  if (text === undefined || !/^[1-9]\d{0,9}$/.test(text)) return null;
  const n = Number(text);
  return n <= max ? n : null;
};

/** Parses a stored hash; a string Rekindle did not write is an invariant violation, so it throws. */
const parseHash = (stored: string): ParsedHash => {
  const parts = stored.split('$');
  // The message never quotes the stored string: it would put the hash into logs.
  const bad = (why: string) => new Error(`stored password hash is malformed: ${why}`);
  if (parts.length !== 6 || parts[0] !== 'scrypt') throw bad('expected scrypt$N$r$p$salt$hash');
  const N = positiveInt(parts[1], MAX_N);
  const r = positiveInt(parts[2], MAX_R);
  const p = positiveInt(parts[3], MAX_P);
  if (N === null || N < 2 || (N & (N - 1)) !== 0) throw bad(`N must be a power of two from 2 to ${MAX_N}`);
  if (r === null) throw bad(`r must be an integer from 1 to ${MAX_R}`);
  if (p === null) throw bad(`p must be an integer from 1 to ${MAX_P}`);
  const salt = Buffer.from(parts[4] ?? '', 'base64url');
  const key = Buffer.from(parts[5] ?? '', 'base64url');
  if (salt.length < 8) throw bad('the salt is shorter than 8 bytes');
  if (key.length < 16) throw bad('the hash is shorter than 16 bytes');
  return { params: { N, r, p }, salt, key };
};

/** True when `password` produces `stored`; the comparison takes the same time wherever they differ. */
export const verifyPassword = async (password: string, stored: string): Promise<boolean> => {
  const { params, salt, key } = parseHash(stored);
  const candidate = await derive(password, salt, params, key.length);
  return timingSafeEqual(candidate, key);
};

/** True when `stored` was made with weaker parameters than `params` (rehash after a successful login). */
export const needsRehash = (stored: string, params: ScryptParams = DEFAULT_SCRYPT): boolean => {
  const parsed = parseHash(stored).params;
  return parsed.N < params.N || parsed.r < params.r || parsed.p < params.p;
};
