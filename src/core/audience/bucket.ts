import { createHash } from 'node:crypto';

/**
 * The deterministic random bucket (0..99) of a user for a salt: md5 of `salt + ':' + userId`
 * (UTF-8), its first 8 hex digits as an unsigned integer, modulo 100. The SQL compiler computes
 * the same in DuckDB (`md5`), so holdouts agree wherever they are evaluated.
 */
export const bucketOf = (userId: string, salt: string): number => {
  const hex = createHash('md5').update(`${salt}:${userId}`, 'utf8').digest('hex');
  return Number.parseInt(hex.slice(0, 8), 16) % 100;
};
