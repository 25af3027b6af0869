import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../../core/auth/roles.ts';
import type { SqlClient } from '../../storage/control/sql-client.ts';
import { actorForApiToken } from '../../storage/control/users.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated user of a management-API request (set by the auth hook). */
    actor: Actor | null;
  }
}

/** Token → actor, cached briefly so each request is not a control-plane round trip. */
export class ApiTokenCache {
  private readonly cache = new Map<string, { actor: Actor | null; until: number }>();

  constructor(
    private readonly db: SqlClient,
    private readonly ttlMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  async actorFor(token: string): Promise<Actor | null> {
    const hit = this.cache.get(token);
    if (hit && hit.until > this.now()) return hit.actor;
    const actor = await actorForApiToken(this.db, token);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(token, { actor, until: this.now() + this.ttlMs });
    return actor;
  }
}

const bearer = (authorization: string | undefined): string | null => {
  const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  return m?.[1] ?? null;
};

/** Every route registered in `scope` after this call needs a valid API token. */
export const requireApiToken = (scope: FastifyInstance, db: SqlClient): void => {
  const tokens = new ApiTokenCache(db);
  scope.decorateRequest('actor', null);
  scope.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const token = bearer(req.headers.authorization);
    const actor = token === null ? null : await tokens.actorFor(token);
    if (actor === null) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="rekindle"')
        .send({ error: 'a valid API token is required: Authorization: Bearer rkt_…' });
    }
    req.actor = actor;
  });
};

/** The actor of an authenticated request; a route without the hook is a programming error. */
export const actorOf = (req: FastifyRequest): Actor => {
  if (req.actor === null) throw new Error(`route ${req.url} is missing requireApiToken`);
  return req.actor;
};
