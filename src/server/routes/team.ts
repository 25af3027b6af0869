import { Type } from '@sinclair/typebox';
import type { Api } from '../schemas/type-provider.ts';
import { authContextOf } from '../../auth/context.ts';
import { disableUser } from '../../auth/disable-user.ts';
import { setPassword } from '../../auth/passwords.ts';
import { changeRole, createTeamMember, enableUser } from '../../auth/team.ts';
import type { Clock } from '../../core/clock.ts';
import { ROLES } from '../../core/auth/roles.ts';
import { err } from '../../core/result.ts';
import { forbidden, notFound } from '../../core/service-failure.ts';
import type { RekindleConfig } from '../../config.ts';
import type { SqlClient } from '../../storage/control/sql-client.ts';
import { teamMemberDetails } from '../../storage/control/team-members.ts';
import { findUserById, type UserInfo } from '../../storage/control/users.ts';
import { actorOf } from '../auth/api-auth.ts';
import { errorResponses } from '../schemas/common.ts';
import { sendFailure, sendOutcome } from './send-outcome.ts';

type TeamRuntime = { control: SqlClient; clock: Clock; config: RekindleConfig };

const tags = ['auth'];
const security: { [scheme: string]: string[] }[] = [{ bearer: [] }, { session: [] }];
const Role = Type.Union(ROLES.map((r) => Type.Literal(r)));
const Password = Type.String({ minLength: 1, maxLength: 4096 });
const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
const Member = Type.Object({ id: Type.Integer(), name: Type.String(), role: Role, disabled: Type.Boolean() });
const Time = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);
const MemberDetail = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  role: Role,
  disabled: Type.Boolean(),
  hasPassword: Type.Boolean({ description: 'may log in to the console (else API tokens only)' }),
  createdAt: Time,
  disabledAt: Time,
  lastLoginAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: 'the latest console login; null: never',
  }),
});
const memberDto = (u: UserInfo) => ({
  id: u.id,
  name: u.name,
  role: u.role,
  disabled: u.disabledAt !== null,
});

/**
 * Team members for admins (issue 17: each change audited — `user.created`, `user.role_changed`,
 * `auth.password_set`, `user.disabled`), the same services the `rekindle users` CLI runs. API
 * tokens are still issued by the CLI only. Register inside the authenticated scope.
 */
export const registerTeamRoutes = (api: Api, rt: TeamRuntime): void => {
  const ctx = authContextOf(rt);
  /** The member of the caller's workspace, or null (another workspace's user is not found). */
  const memberOf = async (workspaceId: string, id: number) => {
    const u = await findUserById(rt.control, id);
    return u !== null && u.workspaceId === workspaceId ? u : null;
  };
  api.get(
    '/v1/team/members',
    {
      schema: {
        tags,
        security,
        summary: 'The team: members, roles, whether they may log in, last login (admin)',
        response: { 200: Type.Object({ members: Type.Array(MemberDetail) }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      if (actor.role !== 'admin')
        return sendFailure(reply, forbidden(`role '${actor.role}' may not manage the team`));
      const rows = await teamMemberDetails(rt.control, actor.workspaceId);
      const iso = (d: Date | null) => (d === null ? null : d.toISOString());
      return {
        members: rows.map((m) => ({
          id: m.id,
          name: m.name,
          role: m.role,
          disabled: m.disabledAt !== null,
          hasPassword: m.hasPassword,
          createdAt: iso(m.createdAt),
          disabledAt: iso(m.disabledAt),
          lastLoginAt: iso(m.lastLoginAt),
        })),
      };
    },
  );
  api.post(
    '/v1/team/members/:id/enable',
    {
      schema: {
        tags,
        security,
        summary: 'Let a disabled member log in again; their old API tokens stay revoked (admin)',
        params: IdParams,
        response: { 200: Member, ...errorResponses },
      },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      const u = await memberOf(actor.workspaceId, req.params.id);
      if (u === null) return sendFailure(reply, notFound(`user ${req.params.id}`));
      return sendOutcome(reply, await enableUser(ctx, actor, u), memberDto);
    },
  );
  api.post(
    '/v1/team/members',
    {
      schema: {
        tags,
        security,
        summary: 'Create a team member with a role and, optionally, a console password (admin)',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 200 }),
            role: Role,
            password: Type.Optional(Password),
          },
          { additionalProperties: false },
        ),
        response: { 201: Member, ...errorResponses },
      },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      const b = req.body;
      const made = await createTeamMember(ctx, actor, {
        name: b.name,
        role: b.role,
        workspaceId: actor.workspaceId,
      });
      if (!made.ok || b.password === undefined) return sendOutcome(reply, made, memberDto, 201);
      const set = await setPassword(ctx, actor, made.value, b.password);
      // The member exists either way; a refused password is said, and can be set again.
      return set.ok ? reply.code(201).send(memberDto(made.value)) : sendFailure(reply, set.error);
    },
  );
  api.put(
    '/v1/team/members/:id/role',
    {
      schema: {
        tags,
        security,
        summary: "Change a member's role (admin)",
        params: IdParams,
        body: Type.Object({ role: Role }, { additionalProperties: false }),
        response: { 200: Member, ...errorResponses },
      },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      const u = await memberOf(actor.workspaceId, req.params.id);
      if (u === null) return sendFailure(reply, notFound(`user ${req.params.id}`));
      return sendOutcome(reply, await changeRole(ctx, actor, u, req.body.role), memberDto);
    },
  );
  api.post(
    '/v1/team/members/:id/disable',
    {
      schema: {
        tags,
        security,
        summary: 'Disable a member: no more logins, sessions end now, API tokens stop working (admin)',
        params: IdParams,
        response: { 200: Type.Object({ revokedSessions: Type.Integer() }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      const u = await memberOf(actor.workspaceId, req.params.id);
      if (u === null) return sendFailure(reply, notFound(`user ${req.params.id}`));
      if (u.id === actor.userId)
        return sendOutcome(reply, err(forbidden('you may not disable yourself')), () => null);
      return sendOutcome(reply, await disableUser(ctx, actor, u), (v) => v);
    },
  );
  api.put(
    '/v1/team/members/:id/password',
    {
      schema: {
        tags,
        security,
        summary: "Reset a member's console password; their sessions end (admin)",
        params: IdParams,
        body: Type.Object({ password: Password }, { additionalProperties: false }),
        response: { 200: Type.Object({ revokedSessions: Type.Integer() }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      const u = await memberOf(actor.workspaceId, req.params.id);
      if (u === null) return sendFailure(reply, notFound(`user ${req.params.id}`));
      // setPassword lets people set their own; resetting someone's is for admins.
      if (actor.role !== 'admin')
        return sendFailure(reply, forbidden(`role '${actor.role}' may not reset passwords`));
      return sendOutcome(reply, await setPassword(ctx, actor, u, req.body.password), (v) => v);
    },
  );
};
