import { throttleDecision, throttleWindowStart, type ThrottleDecision } from '../core/auth/login-throttle.ts';
import { hashPassword, needsRehash, verifyPassword, DEFAULT_SCRYPT } from './password-hash.ts';
import { sessionEndsAt, sessionExpiry } from '../core/auth/session-policy.ts';
import { err, ok, type Result } from '../core/result.ts';
import type { ServiceFailure } from '../core/service-failure.ts';
import { appendAudit } from '../storage/control/audit-log.ts';
import {
  clearLoginFailures,
  lockLoginName,
  loginFailureTimes,
  pruneLoginFailures,
  recordLoginFailure,
} from '../storage/control/login-failures.ts';
import { insertSession, newSessionToken, type SessionRecord } from '../storage/control/sessions.ts';
import {
  findUserForLogin,
  rehashPassword,
  workspaceExists,
  type UserInfo,
} from '../storage/control/users.ts';
import { TOO_MANY_LOGINS, type AuthContext } from './context.ts';
import { dummyHash } from './dummy-hash.ts';

export interface LoginInput {
  workspaceId: string;
  name: string;
  password: string;
  userAgent: string | null;
}

export interface LoginSuccess {
  /** The session token (`rks_…`); only its hash is stored, so this is the one time it exists. */
  token: string;
  session: SessionRecord;
  user: UserInfo;
  /** When the session ends if it is not used (the idle limit, capped by the absolute one). */
  endsAt: number;
}

/**
 * Every kind of wrong credential gets this one answer, so the caller cannot tell them apart: a
 * 401 for an unauthenticated caller, which no ServiceFailure is (those answer a known actor).
 * Throttling is the shared kind.
 */
export type LoginFailure = { type: 'invalid_credentials' } | Extract<ServiceFailure, { type: 'throttled' }>;

type RefusalReason = 'unknown_user' | 'no_password' | 'wrong_password' | 'disabled';

/** User agents are stored for people looking at their sessions; a bounded prefix is enough. */
const USER_AGENT_MAX = 300;

/**
 * Takes an attempt slot before the password is checked: under a lock on the name, counts the
 * failures in the window and, if fewer than allowed, records this attempt as a failure at once.
 * A success clears it again. Counting and recording apart would let N parallel guesses all see
 * the same count and all be evaluated (49 of 50 were, measured).
 */
const reserveAttempt = (ctx: AuthContext, input: LoginInput, now: number): Promise<ThrottleDecision> =>
  ctx.control.transaction(async (tx) => {
    await lockLoginName(tx, input.workspaceId, input.name);
    await pruneLoginFailures(tx, throttleWindowStart(now));
    const failures = await loginFailureTimes(tx, input.workspaceId, input.name, throttleWindowStart(now));
    const decision = throttleDecision(failures, now);
    if (decision.allowed)
      await recordLoginFailure(tx, { workspaceId: input.workspaceId, name: input.name, at: now });
    return decision;
  });

/** The failure itself was recorded when the attempt took its slot; this writes who and why. */
const refuse = async (
  ctx: AuthContext,
  input: LoginInput,
  user: UserInfo | null,
  reason: RefusalReason,
  at: number,
): Promise<void> => {
  // The audit log belongs to a workspace; a name tried against a workspace that does not exist
  // is throttled like any other, but there is no log to record it in.
  const audit = user !== null || (await workspaceExists(ctx.control, input.workspaceId));
  if (!audit) return;
  await appendAudit(ctx.control, {
    workspaceId: input.workspaceId,
    at,
    actorId: user?.id ?? null,
    action: 'auth.login_failed',
    objectType: user === null ? 'login_name' : 'user',
    objectId: user === null ? input.name : String(user.id),
    details: { name: input.name, reason, userAgent: input.userAgent },
  });
};

/**
 * Workspace + name + password → a new session. Unknown names, users without a password,
 * wrong passwords and disabled users all get `invalid_credentials` after one scrypt run each;
 * the audit log records which it was. Five failures for a name within 15 minutes throttle it.
 */
export const logIn = async (
  ctx: AuthContext,
  raw: LoginInput,
): Promise<Result<LoginSuccess, LoginFailure>> => {
  const input = { ...raw, userAgent: raw.userAgent?.slice(0, USER_AGENT_MAX) ?? null };
  const now = ctx.clock();
  const throttle = await reserveAttempt(ctx, input, now);
  if (!throttle.allowed)
    return err({ type: 'throttled', reason: TOO_MANY_LOGINS, retryAfterMs: throttle.retryAfterMs });

  const params = ctx.scrypt ?? DEFAULT_SCRYPT;
  const user = await findUserForLogin(ctx.control, input.workspaceId, input.name);
  const stored = user?.passwordHash ?? null;
  const matches = await verifyPassword(input.password, stored ?? (await dummyHash(params)));
  if (user === null || stored === null || !matches || user.disabledAt !== null) {
    const reason: RefusalReason =
      user === null
        ? 'unknown_user'
        : stored === null
          ? 'no_password'
          : !matches
            ? 'wrong_password'
            : 'disabled';
    await refuse(ctx, input, user, reason, now);
    return err({ type: 'invalid_credentials' });
  }

  if (needsRehash(stored, params))
    await rehashPassword(ctx.control, user.id, stored, await hashPassword(input.password, params));
  const token = newSessionToken();
  const session = await ctx.control.transaction(async (tx) => {
    await clearLoginFailures(tx, input.workspaceId, input.name);
    const s = await insertSession(tx, {
      token,
      userId: user.id,
      at: now,
      expiresAt: sessionExpiry(now, ctx.sessions),
      userAgent: input.userAgent,
    });
    await appendAudit(tx, {
      workspaceId: user.workspaceId,
      at: now,
      actorId: user.id,
      action: 'auth.login',
      objectType: 'user',
      objectId: String(user.id),
      details: { sessionId: s.id, userAgent: input.userAgent },
    });
    return s;
  });
  return ok({ token, session, user, endsAt: sessionEndsAt(now, session.expiresAt, ctx.sessions) });
};
