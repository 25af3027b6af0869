import { throttleDecision, throttleWindowStart } from '../core/auth/login-throttle.ts';
import { checkPasswordPolicy } from '../core/auth/password-policy.ts';
import { hashPassword, verifyPassword } from './password-hash.ts';
import type { Actor } from '../core/auth/roles.ts';
import { err, ok } from '../core/result.ts';
import { forbidden, invalidAll, notFound, throttled, type Outcome } from '../core/service-failure.ts';
import { appendAudit } from '../storage/control/audit-log.ts';
import { loginFailureTimes, recordLoginFailure } from '../storage/control/login-failures.ts';
import { revokeUserSessions } from '../storage/control/sessions.ts';
import { findUserForLogin, setPasswordHash, type UserInfo } from '../storage/control/users.ts';
import { TOO_MANY_LOGINS, type AuthContext } from './context.ts';

export interface PasswordChange {
  /** Sessions of the user that were ended (all but the one that made the change). */
  revokedSessions: number;
}

/**
 * Sets a user's password. `by` is the person doing it (null: the `rekindle` CLI, run by whoever
 * operates the server); people set their own, admins anyone's in their workspace. Every other
 * session of the user ends, so a stolen session does not outlive the new password; `keepSession`
 * is the session that made the change, if any. API tokens are machine credentials and stay.
 */
export const setPassword = async (
  ctx: AuthContext,
  by: Actor | null,
  user: UserInfo,
  password: string,
  options: { keepSession?: number | null; field?: string } = {},
): Outcome<PasswordChange> => {
  if (by !== null && by.userId !== user.id && (by.role !== 'admin' || by.workspaceId !== user.workspaceId))
    return err(forbidden(`only '${user.name}' or an admin may set this password`));
  const policy = checkPasswordPolicy(password, user.name);
  if (!policy.ok)
    return err(
      invalidAll(policy.error.reason, [{ path: options.field ?? 'password', message: policy.error.reason }]),
    );
  const hash = await hashPassword(password, ctx.scrypt);
  const at = ctx.clock();
  const revokedSessions = await ctx.control.transaction(async (tx) => {
    await setPasswordHash(tx, user.id, hash, at);
    const revoked = await revokeUserSessions(tx, user.id, at, options.keepSession ?? null);
    await appendAudit(tx, {
      workspaceId: user.workspaceId,
      at,
      actorId: by?.userId ?? null,
      action: 'auth.password_set',
      objectType: 'user',
      objectId: String(user.id),
      details: { name: user.name, by: by === null ? 'cli' : by.name, revokedSessions: revoked },
    });
    return revoked;
  });
  return ok({ revokedSessions });
};

/**
 * A person changes their own password, proving the current one. Wrong guesses count as failed
 * logins for the name, so this is no way around login throttling.
 */
export const changeOwnPassword = async (
  ctx: AuthContext,
  actor: Actor,
  input: { currentPassword: string; newPassword: string; keepSession: number | null },
): Outcome<PasswordChange> => {
  const now = ctx.clock();
  const failures = await loginFailureTimes(
    ctx.control,
    actor.workspaceId,
    actor.name,
    throttleWindowStart(now),
  );
  const throttle = throttleDecision(failures, now);
  if (!throttle.allowed) return err(throttled(TOO_MANY_LOGINS, throttle.retryAfterMs));
  const user = await findUserForLogin(ctx.control, actor.workspaceId, actor.name);
  if (user === null || user.id !== actor.userId) return err(notFound(`user '${actor.name}'`));
  if (user.passwordHash === null)
    return err(
      forbidden(
        `'${user.name}' has no password yet; an operator sets the first one with \`rekindle users password\``,
      ),
    );
  if (!(await verifyPassword(input.currentPassword, user.passwordHash))) {
    await recordLoginFailure(ctx.control, { workspaceId: actor.workspaceId, name: actor.name, at: now });
    return err(forbidden('the current password is wrong'));
  }
  return setPassword(ctx, actor, user, input.newPassword, {
    keepSession: input.keepSession,
    field: 'newPassword',
  });
};
