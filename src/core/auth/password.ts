import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { err, ok, type Result } from '../result.ts';

/**
 * Password hashing with scrypt, and the password policy. The stored string names its own
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

export const PASSWORD_MIN_LENGTH = 10;
/** Long enough for any passphrase; the bound only keeps request bodies and hashing inputs sane. */
export const PASSWORD_MAX_LENGTH = 1024;

export interface PolicyViolation {
  rule: 'too_short' | 'too_long' | 'same_as_name' | 'one_character_class';
  reason: string;
}

type CharacterClass = 'lower-case letters' | 'upper-case letters' | 'digits' | 'uncased letters' | 'symbols';

const classOf = (ch: string): CharacterClass => {
  if (/\p{Ll}/u.test(ch)) return 'lower-case letters';
  if (/\p{Lu}/u.test(ch)) return 'upper-case letters';
  if (/\p{N}/u.test(ch)) return 'digits';
  // Scripts without case (Chinese, Japanese kana, Arabic…) form one class of their own.
  if (/\p{L}/u.test(ch)) return 'uncased letters';
  return 'symbols';
};

/**
 * The password policy: at least 10 characters (code points), more than one class of character
 * (lower case, upper case, digits, uncased letters, symbols and spaces), and not the user's name.
 * Answers the first rule broken, in words a person can act on.
 */
export const checkPasswordPolicy = (password: string, userName: string): Result<void, PolicyViolation> => {
  // Counted as hashed: a decomposed accent (e + ◌́) is one character, as in the composed spelling.
  const normalised = password.normalize('NFC');
  const chars = [...normalised];
  if (chars.length < PASSWORD_MIN_LENGTH)
    return err({
      rule: 'too_short',
      reason: `the password has ${chars.length} characters; at least ${PASSWORD_MIN_LENGTH} are required`,
    });
  if (chars.length > PASSWORD_MAX_LENGTH)
    return err({
      rule: 'too_long',
      reason: `the password has ${chars.length} characters; at most ${PASSWORD_MAX_LENGTH} are allowed`,
    });
  if (normalised.toLowerCase() === userName.normalize('NFC').toLowerCase())
    return err({ rule: 'same_as_name', reason: 'the password must not be the user name' });
  const classes = new Set(chars.map(classOf));
  const [only] = classes;
  if (classes.size === 1 && only !== undefined)
    return err({
      rule: 'one_character_class',
      reason: `the password consists only of ${only}; mix in another kind (lower case, upper case, digits, symbols)`,
    });
  return ok(undefined);
};
