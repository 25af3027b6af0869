import type { Actor } from '../core/auth/roles.ts';
import { sessionState } from '../core/auth/session-policy.ts';
import { err, ok, type Result } from '../core/result.ts';
import { appendAudit } from '../storage/control/audit-log.ts';
import { revokeSession, sessionByToken, touchSession } from '../storage/control/sessions.ts';
import type { AuthContext } from './context.ts';

export interface SessionIdentity {
  actor: Actor;
  sessionId: number;
  /** When the session ends if no further request comes. */
  endsAt: number;
}

/** Why a session token does not authenticate, in words for the 401 answer. */
export interface SessionRefusal {
  type: 'unknown' | 'revoked' | 'idle' | 'expired' | 'disabled';
  reason: string;
}

const hours = (ms: number) => Math.round(ms / 3_600_000);
const days = (ms: number) => Math.round(ms / 86_400_000);

/**
 * The actor behind a session token, sliding the idle limit forward. A session of a disabled
 * user is refused even if disabling it somehow missed the session (it revokes them all).
 */
export const sessionActor = async (
  ctx: AuthContext,
  token: string,
): Promise<Result<SessionIdentity, SessionRefusal>> => {
  const found = await sessionByToken(ctx.control, token);
  if (found === null) return err({ type: 'unknown', reason: 'unknown session; log in again' });
  const { session, user } = found;
  if (user.disabledAt !== null) return err({ type: 'disabled', reason: 'the user is disabled' });
  const now = ctx.clock();
  const state = sessionState(session, ctx.sessions, now);
  switch (state.state) {
    case 'revoked':
      return err({
        type: 'revoked',
        reason: 'the session was ended (logout, password change or a disabled user); log in again',
      });
    case 'idle':
      return err({
        type: 'idle',
        reason: `the session ended after ${hours(ctx.sessions.idleMs)} h without use; log in again`,
      });
    case 'expired':
      return err({
        type: 'expired',
        reason: `the session reached its limit of ${days(ctx.sessions.maxMs)} days since login; log in again`,
      });
    case 'active':
      if (state.touch) await touchSession(ctx.control, session.id, now);
      return ok({
        actor: { userId: user.id, workspaceId: user.workspaceId, name: user.name, role: user.role },
        sessionId: session.id,
        endsAt: state.endsAt,
      });
  }
};

/** Ends the session the actor is using; false if it had ended already. */
export const logOut = async (ctx: AuthContext, actor: Actor, sessionId: number): Promise<boolean> => {
  const at = ctx.clock();
  return ctx.control.transaction(async (tx) => {
    const ended = await revokeSession(tx, sessionId, at);
    if (ended)
      await appendAudit(tx, {
        workspaceId: actor.workspaceId,
        at,
        actorId: actor.userId,
        action: 'auth.logout',
        objectType: 'user',
        objectId: String(actor.userId),
        details: { sessionId },
      });
    return ended;
  });
};
