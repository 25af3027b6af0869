import { Type } from '@sinclair/typebox';
import type { Api } from '../schemas/type-provider.ts';
import { authContextOf } from '../../auth/context.ts';
import { logIn } from '../../auth/login.ts';
import { changeOwnPassword } from '../../auth/passwords.ts';
import { logOut } from '../../auth/sessions.ts';
import type { Clock } from '../../core/clock.ts';
import type { RekindleConfig } from '../../config.ts';
import type { SqlClient } from '../../storage/control/sql-client.ts';
import { actorOf, credentialOf, secureCookies } from '../auth/api-auth.ts';
import { clearedSessionCookie, sessionCookie } from '../auth/cookies.ts';
import { crossSiteOrigin } from '../auth/same-origin.ts';
import {
  ChangePasswordBody,
  LoginBody,
  LoginView,
  MeView,
  PasswordChanged,
  loginErrors,
} from '../schemas/auth-api.ts';
import { errorResponses } from '../schemas/common.ts';
import { sendFailure } from './send-outcome.ts';

type AuthRuntime = { control: SqlClient; clock: Clock; config: RekindleConfig };

const tags = ['auth'];
const security: { [scheme: string]: string[] }[] = [{ bearer: [] }, { session: [] }];
const iso = (ms: number) => new Date(ms).toISOString();

/** The same words for an unknown name, a wrong password, a user without password or a disabled one. */
export const BAD_CREDENTIALS = 'unknown user name or wrong password';

/** `POST /v1/auth/login`: the one management route that needs no credential. */
export const registerLoginRoute = (app: Api, rt: AuthRuntime): void => {
  const ctx = authContextOf(rt);
  app.post(
    '/v1/auth/login',
    {
      schema: {
        tags,
        summary:
          'Log in with a user name and password: sets the rk_session cookie and returns the token once',
        body: LoginBody,
        response: { 200: LoginView, ...loginErrors },
      },
    },
    async (req, reply) => {
      // A cross-site form could otherwise log a victim's browser into the attacker's account.
      if (crossSiteOrigin(req.headers.origin, req.headers.host))
        return reply
          .code(403)
          .send({ error: `cross-site login refused: Origin '${req.headers.origin ?? ''}'` });
      const b = req.body;
      const r = await logIn(ctx, {
        workspaceId: b.workspace ?? 'default',
        name: b.name,
        password: b.password,
        userAgent: req.headers['user-agent'] ?? null,
      });
      if (!r.ok)
        return r.error.type === 'throttled'
          ? sendFailure(reply, r.error)
          : reply.code(401).send({ error: BAD_CREDENTIALS });
      const { token, session, user, endsAt } = r.value;
      const cookie = sessionCookie(token, {
        maxAgeSeconds: (session.expiresAt - rt.clock()) / 1000,
        secure: secureCookies(rt.config, req),
      });
      return reply
        .header('set-cookie', cookie)
        .header('cache-control', 'no-store')
        .send({
          user: { id: user.id, name: user.name, role: user.role },
          workspace: user.workspaceId,
          expiresAt: iso(endsAt),
          token,
        });
    },
  );
};

/** Logout, who am I, and changing one's own password; register inside the authenticated scope. */
export const registerAuthRoutes = (api: Api, rt: AuthRuntime): void => {
  const ctx = authContextOf(rt);
  api.post(
    '/v1/auth/logout',
    {
      schema: {
        tags,
        security,
        summary: 'End the session this request uses and clear the cookie',
        response: { 204: Type.Null({ description: 'logged out' }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const credential = credentialOf(req);
      const secure = secureCookies(rt.config, req);
      if (credential.kind !== 'session')
        return reply.code(400).send({
          error:
            'logout ends a session; this request used an API token (revoke those with `rekindle users token NAME --revoke-others`)',
        });
      await logOut(ctx, actorOf(req), credential.sessionId);
      return reply.code(204).header('set-cookie', clearedSessionCookie({ secure })).send();
    },
  );

  api.get(
    '/v1/auth/me',
    {
      schema: {
        tags,
        security,
        summary: 'The user and credential of this request',
        response: { 200: MeView, ...errorResponses },
      },
    },
    async (req) => {
      const actor = actorOf(req);
      const credential = credentialOf(req);
      return {
        user: { id: actor.userId, name: actor.name, role: actor.role },
        workspace: actor.workspaceId,
        credential: credential.kind,
        expiresAt: credential.kind === 'session' ? iso(credential.endsAt) : null,
      };
    },
  );

  api.post(
    '/v1/auth/password',
    {
      schema: {
        tags,
        security,
        summary: 'Change your own password; your other sessions end',
        body: ChangePasswordBody,
        response: { 200: PasswordChanged, ...errorResponses, 429: loginErrors[429] },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const credential = credentialOf(req);
      const r = await changeOwnPassword(ctx, actorOf(req), {
        currentPassword: b.currentPassword,
        newPassword: b.newPassword,
        keepSession: credential.kind === 'session' ? credential.sessionId : null,
      });
      return r.ok ? reply.send(r.value) : sendFailure(reply, r.error);
    },
  );
};
