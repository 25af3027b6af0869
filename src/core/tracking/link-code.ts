import { createHmac } from 'node:crypto';

/**
 * The short-link code of a message's `index`-th link: 12 base64url characters (72 bits) of an
 * HMAC of the message's idempotency key and the link's position. Deterministic, so composing a
 * message again after a crash yields the same codes (the insert is idempotent); keyed, so codes
 * cannot be guessed from another message's.
 */
export const linkCode = (secret: string, idempotencyKey: string, index: number): string =>
  createHmac('sha256', secret).update(`${idempotencyKey}#${index}`).digest('base64url').slice(0, 12);

export const LINK_CODE = /^[A-Za-z0-9_-]{12}$/;
