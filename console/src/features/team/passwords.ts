/**
 * The server's password rule (src/core/auth/password-policy.ts) checked before sending, so a
 * new member is not created with a password the server then refuses, and a generator for one
 * that passes it.
 */
const classOf = (ch: string): string => {
  if (/\p{Ll}/u.test(ch)) return 'lower';
  if (/\p{Lu}/u.test(ch)) return 'upper';
  if (/\p{N}/u.test(ch)) return 'digit';
  if (/\p{L}/u.test(ch)) return 'uncased';
  return 'symbol';
};

export const passwordOk = (password: string, name: string): boolean => {
  const chars = [...password.normalize('NFC')];
  if (chars.length < 10 || chars.length > 1024) return false;
  if (new Set(chars.map(classOf)).size < 2) return false;
  return password.trim().toLowerCase() !== name.trim().toLowerCase();
};

const ALPHABET = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** 14 random characters without look-alikes (0/O, 1/l/I), always with a letter and a digit. */
export const generatePassword = (
  random: (n: number) => Uint8Array = (n) => crypto.getRandomValues(new Uint8Array(n)),
): string => {
  const bytes = random(14);
  const body = [...bytes].map((b) => ALPHABET[b % ALPHABET.length] ?? 'x').join('');
  return `${body.slice(0, 6)}-${body.slice(6, 12)}${((bytes[12] ?? 0) % 8) + 2}`;
};
