import { err, ok, type Result } from '../result.ts';
import { signToken, verifyToken, type TokenError } from './signed-token.ts';

/** Who a one-click unsubscribe link unsubscribes, from which channel, and which message carried it. */
export interface UnsubscribeClaim {
  workspaceId: string;
  userId: string;
  channel: string;
  idempotencyKey: string;
}

const PURPOSE = 'unsubscribe';

export const signUnsubscribe = (secret: string, c: UnsubscribeClaim): string =>
  signToken(secret, PURPOSE, { w: c.workspaceId, u: c.userId, c: c.channel, k: c.idempotencyKey });

export const verifyUnsubscribe = (secret: string, token: string): Result<UnsubscribeClaim, TokenError> => {
  const v = verifyToken(secret, PURPOSE, token);
  if (!v.ok) return v;
  const p = v.value as Record<string, unknown>;
  const { w, u, c, k } = p;
  if (typeof w !== 'string' || typeof u !== 'string' || typeof c !== 'string' || typeof k !== 'string')
    return err('malformed');
  return ok({ workspaceId: w, userId: u, channel: c, idempotencyKey: k });
};
