import type { Actor, Role } from '../core/auth/roles.ts';
import { err, ok } from '../core/result.ts';
import { conflict, forbidden, type Outcome } from '../core/service-failure.ts';
import { appendAudit } from '../storage/control/audit-log.ts';
import { enableUserRow } from '../storage/control/team-members.ts';
import { apiTokensChanged } from '../storage/control/api-token-changes.ts';
import { createUser, revokeApiTokens, setUserRoleRow, type UserInfo } from '../storage/control/users.ts';
import type { AuthContext } from './context.ts';

/**
 * Team members: creating one and changing a role, each with its audit entry in the same
 * transaction (issue 17: user and role changes are audited, like disabling and passwords).
 * `by` null is the `rekindle` CLI, run by whoever operates the server; a person must be an
 * admin of the workspace.
 */

const adminOf = (by: Actor | null, workspaceId: string, what: string) =>
  by !== null && (by.role !== 'admin' || by.workspaceId !== workspaceId)
    ? forbidden(`only an admin may ${what}`)
    : null;

export const createTeamMember = async (
  ctx: AuthContext,
  by: Actor | null,
  input: { name: string; role: Role; workspaceId?: string },
): Outcome<UserInfo> => {
  const workspaceId = input.workspaceId ?? 'default';
  const refused = adminOf(by, workspaceId, 'create users');
  if (refused) return err(refused);
  const made = await ctx.control.transaction(async (tx) => {
    const u = await createUser(tx, { ...input, workspaceId });
    if (!u.ok) return null;
    await appendAudit(tx, {
      workspaceId,
      at: ctx.clock(),
      actorId: by?.userId ?? null,
      action: 'user.created',
      objectType: 'user',
      objectId: String(u.value.id),
      details: { name: u.value.name, role: u.value.role, by: by === null ? 'cli' : by.name },
    });
    return u.value;
  });
  return made === null ? err(conflict(`a user named '${input.name}' exists already`)) : ok(made);
};

export const changeRole = async (
  ctx: AuthContext,
  by: Actor | null,
  user: UserInfo,
  role: Role,
): Outcome<UserInfo> => {
  const refused = adminOf(by, user.workspaceId, 'change roles');
  if (refused) return err(refused);
  if (user.role === role) return err(conflict(`'${user.name}' is ${role} already`));
  await ctx.control.transaction(async (tx) => {
    await setUserRoleRow(tx, user.id, role);
    await appendAudit(tx, {
      workspaceId: user.workspaceId,
      at: ctx.clock(),
      actorId: by?.userId ?? null,
      action: 'user.role_changed',
      objectType: 'user',
      objectId: String(user.id),
      details: { name: user.name, from: user.role, to: role, by: by === null ? 'cli' : by.name },
    });
  });
  apiTokensChanged();
  return ok({ ...user, role });
};

/**
 * Lets a disabled member log in again (issue 18), audited `user.enabled`. Their old sessions and
 * API tokens stay ended: disabling revoked the sessions, enabling revokes the tokens (which only
 * stopped while the member was disabled), so an admin issues tokens anew.
 */
export const enableUser = async (ctx: AuthContext, by: Actor | null, user: UserInfo): Outcome<UserInfo> => {
  const refused = adminOf(by, user.workspaceId, 'enable users');
  if (refused) return err(refused);
  const done = await ctx.control.transaction(async (tx) => {
    if (!(await enableUserRow(tx, user.id))) return false;
    const revokedTokens = await revokeApiTokens(tx, user.id);
    await appendAudit(tx, {
      workspaceId: user.workspaceId,
      at: ctx.clock(),
      actorId: by?.userId ?? null,
      action: 'user.enabled',
      objectType: 'user',
      objectId: String(user.id),
      details: { name: user.name, by: by === null ? 'cli' : by.name, revokedTokens },
    });
    return true;
  });
  apiTokensChanged();
  return done ? ok({ ...user, disabledAt: null }) : err(conflict(`'${user.name}' is not disabled`));
};
