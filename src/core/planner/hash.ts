import { hash32 as fmix32 } from '../demo/prng.ts';

/**
 * The planner's hashes. A string is hashed once: FNV-1a (32-bit) over its UTF-16 code units —
 * one xor-multiply round per code unit, not per UTF-8 byte — then murmur3's fmix32 finaliser.
 * FNV-1a alone spreads similar keys ('u1', 'u2', …) badly; the finaliser avalanches every input
 * bit, so `h / 2^32` is close to uniform.
 *
 * Every per-user draw of the pass is derived from the user's hash and a salt for the purpose,
 * `mix(hashString(userId), hashString(salt))` = fmix32 of the two xored: a hash of (salt, user)
 * that costs no second pass over the id's characters. Salts are 'holdout:<campaign id>',
 * 'variant:<campaign id>', 'conflict:<campaign id>', 'order:<slot>:<campaign ids>' and
 * 'global-control' (the workspace's global control group: no campaign id, so the same users
 * everywhere).
 * Changing any of this reshuffles every holdout and variant: it is part of the data contract.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const TWO_POW_32 = 4_294_967_296;

/** FNV-1a of `s` followed by fmix32: a well-spread unsigned 32-bit hash. */
export const hashString = (s: string): number => {
  let h = FNV_OFFSET;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return fmix32(h);
};

/** The hash of (salt, user) from their two hashes. */
export const mix = (userHash: number, saltHash: number): number => fmix32(userHash ^ saltHash);

/** A hash as a number in [0, 1). */
export const unitInterval = (h: number): number => h / TWO_POW_32;
