import { createHmac } from 'node:crypto';

/**
 * Offer codes people type from an SMS or read over the phone: Crockford's base32 alphabet (no
 * I, L, O or U, so nothing to confuse with 1, 0 or V), derived from the campaign and the user
 * with a secret. Deriving instead of drawing makes issuing idempotent — a retried send gets the
 * same code — and without the secret nobody can forge another user's code.
 */

export const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** 12 symbols × 5 bits = 60 bits: a collision among a million codes of one campaign is ~1 in 2.3 million. */
export const CODE_LENGTH = 12;

/** The first `symbols` base32 symbols of `bytes`, most significant bit first. */
const base32 = (bytes: Uint8Array, symbols: number): string => {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5 && out.length < symbols) {
      out += CODE_ALPHABET[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length === symbols) break;
  }
  return out;
};

/** The code of `userId` in `campaignId`; the same inputs always give the same code. */
export const offerCode = (secret: string, campaignId: string, userId: string, prefix = ''): string => {
  if (secret.length === 0) throw new Error('the offer-code secret is empty');
  // JSON keeps the two ids apart: ("ab", "c") and ("a", "bc") must not share a code.
  const digest = createHmac('sha256', secret)
    .update(JSON.stringify([campaignId, userId]))
    .digest();
  return prefix + base32(digest, CODE_LENGTH);
};

/**
 * A code as someone typed it → the canonical form: upper case, separators dropped, and the
 * look-alikes Crockford reads as digits (O → 0, I and L → 1).
 */
export const normaliseOfferCode = (typed: string): string =>
  typed.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
