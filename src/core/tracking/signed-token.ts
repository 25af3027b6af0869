import { createHmac, timingSafeEqual } from 'node:crypto';
import { err, ok, type Result } from '../result.ts';

/**
 * Tamper-evident tokens for links that act without a login (one-click unsubscribe, features.md F3):
 * `base64url(JSON payload).base64url(HMAC-SHA256(secret, purpose + "." + payload))`. The purpose
 * is signed too, so a token made for one use is rejected by another. Not encrypted: put nothing
 * secret in the payload.
 */

export type TokenError = 'malformed' | 'bad_signature';

const mac = (secret: string, purpose: string, body: string): Buffer =>
  createHmac('sha256', secret).update(`${purpose}.${body}`).digest();

export const signToken = (secret: string, purpose: string, payload: object): string => {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${mac(secret, purpose, body).toString('base64url')}`;
};

/** The payload if the token was signed with `secret` for `purpose`; the shape is the caller's to check. */
export const verifyToken = (secret: string, purpose: string, token: string): Result<unknown, TokenError> => {
  const parts = token.split('.');
  const [body, sig] = parts;
  if (parts.length !== 2 || !body || !sig || !/^[A-Za-z0-9_-]+$/.test(body + sig)) return err('malformed');
  const expected = mac(secret, purpose, body);
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return err('bad_signature');
  try {
    return ok(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as unknown);
  } catch {
    return err('malformed');
  }
};
