import type { Actor } from '../core/auth/roles.ts';
import { err, ok } from '../core/result.ts';
import { conflict, forbidden, type Outcome } from '../core/service-failure.ts';
import { appendAudit } from '../storage/control/audit-log.ts';
import { revokeUserSessions } from '../storage/control/sessions.ts';
import { apiTokensChanged } from '../storage/control/api-token-changes.ts';
import { disableUserRow, type UserInfo } from '../storage/control/users.ts';
import type { AuthContext } from './context.ts';

/**
 * Disables a user: they can no longer log in, their sessions end now and their API tokens
 * stop working (token lookups skip disabled users). `by` null is the `rekindle` CLI.
 */
export const disableUser = async (
  ctx: AuthContext,
  by: Actor | null,
  user: UserInfo,
): Outcome<{ revokedSessions: number }> => {
  if (by !== null && (by.role !== 'admin' || by.workspaceId !== user.workspaceId))
    return err(forbidden('only an admin may disable users'));
  const at = ctx.clock();
  const outcome = await ctx.control.transaction(async (tx) => {
    if (!(await disableUserRow(tx, user.id, at))) return null;
    const revoked = await revokeUserSessions(tx, user.id, at);
    await appendAudit(tx, {
      workspaceId: user.workspaceId,
      at,
      actorId: by?.userId ?? null,
      action: 'user.disabled',
      objectType: 'user',
      objectId: String(user.id),
      details: { name: user.name, by: by === null ? 'cli' : by.name, revokedSessions: revoked },
    });
    return revoked;
  });
  apiTokensChanged();
  return outcome === null
    ? err(conflict(`user '${user.name}' is disabled already`))
    : ok({ revokedSessions: outcome });
};
