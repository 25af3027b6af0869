import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authContextOf, type AuthContext } from '../../auth/context.ts';
import { sessionActor } from '../../auth/sessions.ts';
import type { Actor } from '../../core/auth/roles.ts';
import type { Clock } from '../../core/clock.ts';
import type { RekindleConfig } from '../../config.ts';
import { isSessionToken } from '../../storage/control/sessions.ts';
import { apiTokenGeneration } from '../../storage/control/api-token-changes.ts';
import type { SqlClient } from '../../storage/control/sql-client.ts';
import { actorForApiToken } from '../../storage/control/users.ts';
import { clearedSessionCookie, parseCookies, SESSION_COOKIE } from './cookies.ts';
import { crossSiteOrigin, isUnsafeMethod } from './same-origin.ts';

/** How a management-API request proved who it is. */
export type Credential =
  { kind: 'api_token' } | { kind: 'session'; sessionId: number; endsAt: number; via: 'bearer' | 'cookie' };

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated user of a management-API request (set by the auth hook). */
    actor: Actor | null;
    /** How `actor` authenticated (set by the auth hook). */
    credential: Credential | null;
  }
}

/**
 * Token → actor, cached briefly so each request is not a control-plane round trip. A member
 * disabled, re-roled or with tokens revoked in this process empties it at once
 * (`apiTokensChanged`); other processes see the change within the TTL.
 */
export class ApiTokenCache {
  private readonly cache = new Map<string, { actor: Actor | null; until: number }>();
  private generation = apiTokenGeneration();

  constructor(
    private readonly db: SqlClient,
    private readonly ttlMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  async actorFor(token: string): Promise<Actor | null> {
    const generation = apiTokenGeneration();
    if (generation !== this.generation) {
      this.cache.clear();
      this.generation = generation;
    }
    const hit = this.cache.get(token);
    if (hit && hit.until > this.now()) return hit.actor;
    const actor = await actorForApiToken(this.db, token);
    // A change while the lookup ran: answer what was read, but do not keep it.
    if (apiTokenGeneration() !== generation) return actor;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(token, { actor, until: this.now() + this.ttlMs });
    return actor;
  }
}

const bearer = (authorization: string | undefined): string | null => {
  const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  return m?.[1] ?? null;
};

/** Whether the session cookie must carry `Secure`: configured, or the request came over TLS. */
export const secureCookies = (config: Pick<RekindleConfig, 'cookieSecure'>, req: FastifyRequest): boolean =>
  config.cookieSecure || req.protocol === 'https';

const MISSING =
  'a valid API token or session is required: Authorization: Bearer rkt_… (API token) or rks_… ' +
  '(session), or the rk_session cookie from POST /v1/auth/login';

const unauthorized = (reply: FastifyReply, error: string) =>
  reply.code(401).header('www-authenticate', 'Bearer realm="rekindle"').send({ error });

/**
 * Every route registered in `scope` after this call needs a credential: an API token
 * (`Authorization: Bearer rkt_…`), a session token as Bearer (`rks_…`), or the session cookie.
 * An explicit Authorization header wins over the cookie. Cookie-authenticated requests that
 * change something must not come from another site (Origin check): browsers attach cookies
 * by themselves, bearer tokens they never do.
 */
export const requireAuth = (
  scope: FastifyInstance,
  rt: { control: SqlClient; clock: Clock; config: RekindleConfig },
): void => {
  const tokens = new ApiTokenCache(rt.control);
  const ctx: AuthContext = authContextOf(rt);
  scope.decorateRequest('actor', null);
  scope.decorateRequest('credential', null);
  scope.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const token = bearer(req.headers.authorization);
    if (token !== null && !isSessionToken(token)) {
      const actor = await tokens.actorFor(token);
      if (actor === null) return unauthorized(reply, MISSING);
      req.actor = actor;
      req.credential = { kind: 'api_token' };
      return;
    }
    const cookie = token === null ? parseCookies(req.headers.cookie).get(SESSION_COOKIE) : undefined;
    const session = token ?? (cookie === '' ? undefined : cookie);
    if (session === undefined) return unauthorized(reply, MISSING);
    const via = token === null ? 'cookie' : 'bearer';
    if (
      via === 'cookie' &&
      isUnsafeMethod(req.method) &&
      crossSiteOrigin(req.headers.origin, req.headers.host)
    )
      return reply.code(403).send({
        error: `cross-site request refused: Origin '${req.headers.origin ?? ''}' is not this server`,
      });
    const found = await sessionActor(ctx, session);
    if (!found.ok) {
      if (via === 'cookie')
        void reply.header('set-cookie', clearedSessionCookie({ secure: secureCookies(rt.config, req) }));
      return unauthorized(reply, found.error.reason);
    }
    req.actor = found.value.actor;
    req.credential = { kind: 'session', sessionId: found.value.sessionId, endsAt: found.value.endsAt, via };
  });
};

/** The actor of an authenticated request; a route without the hook is a programming error. */
export const actorOf = (req: FastifyRequest): Actor => {
  if (req.actor === null) throw new Error(`route ${req.url} is missing requireAuth`);
  return req.actor;
};

/** The credential of an authenticated request; a route without the hook is a programming error. */
export const credentialOf = (req: FastifyRequest): Credential => {
  if (req.credential === null) throw new Error(`route ${req.url} is missing requireAuth`);
  return req.credential;
};
