import { err, ok, type Result } from '../result.ts';
import { signToken, verifyToken, type TokenError } from './signed-token.ts';

/**
 * Proof that an app may read one user's in-app inbox. Write keys ship inside apps, so they only
 * say "this workspace"; the app's own server (which knows who is signed in) asks Rekindle for
 * this token (`POST /v1/users/{id}/inbox-token`) and hands it to the app, like the identity
 * verification hashes of the engagement platforms.
 */
const PURPOSE = 'inbox';

export const signInboxToken = (secret: string, workspaceId: string, userId: string): string =>
  signToken(secret, PURPOSE, { w: workspaceId, u: userId });

export type InboxTokenError = TokenError | 'other_user';

export const verifyInboxToken = (
  secret: string,
  token: string,
  workspaceId: string,
  userId: string,
): Result<true, InboxTokenError> => {
  const v = verifyToken(secret, PURPOSE, token);
  if (!v.ok) return v;
  const p = v.value as Record<string, unknown>;
  return p['w'] === workspaceId && p['u'] === userId ? ok(true) : err('other_user');
};
