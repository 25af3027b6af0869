import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Api } from '../schemas/type-provider.ts';
import { markInboxRead, readInbox } from '../../storage/control/inbox-messages.ts';
import type { Runtime } from '../../runtime.ts';
import { WriteKeyCache, writeKeyFromRequest } from '../auth/write-key-auth.ts';
import { signInboxToken, verifyInboxToken } from '../../core/tracking/inbox-token.ts';
import { canOnScores } from '../../core/auth/roles.ts';
import { actorOf } from '../auth/api-auth.ts';
import { errorResponses } from '../schemas/common.ts';
import { workspaceSecret } from '../../storage/control/workspace-secrets.ts';

const UserId = Type.String({ minLength: 1, maxLength: 256 });
const tags = ['inbox'];
const security = [{ writeKey: [] }];
const USER_TOKEN = 'x-rekindle-user-token';

/**
 * The in-app inbox, for apps: the workspace's write key as the Basic-auth user name (like
 * ingestion) AND the user's inbox token in `X-Rekindle-User-Token` (minted by the app's server
 * with `POST /v1/users/{id}/inbox-token`), since a write key alone is public inside the app.
 */
export const registerInboxRoutes = (root: Api, rt: Runtime): void => {
  // Inside a plugin so that the OpenAPI hook (registered asynchronously) sees the routes.
  void root.register(async (app) => registerIn(app, rt));
};

const registerIn = (app: Api, rt: Runtime): void => {
  const keys = new WriteKeyCache(rt.control);
  const workspaceOf = async (req: FastifyRequest, reply: FastifyReply): Promise<string | null> => {
    const key = writeKeyFromRequest(req.headers.authorization, undefined);
    const ws = key === null ? null : await keys.workspaceFor(key);
    if (ws === null)
      void reply
        .code(401)
        .header('www-authenticate', 'Basic realm="rekindle"')
        .send({ error: 'a valid write key is required (Basic auth user name)' });
    return ws;
  };
  /** The workspace if the write key and the user's token both hold; else the reply is sent. */
  const authorised = async (
    req: FastifyRequest,
    reply: FastifyReply,
    userId: string,
  ): Promise<string | null> => {
    const ws = await workspaceOf(req, reply);
    if (ws === null) return null;
    const token = req.headers[USER_TOKEN];
    const secret = await workspaceSecret(rt.control, ws, 'inbox');
    if (typeof token !== 'string' || !verifyInboxToken(secret, token, ws, userId).ok) {
      void reply.code(401).send({ error: `the user's inbox token is required in ${USER_TOKEN}` });
      return null;
    }
    return ws;
  };

  app.get(
    '/v1/inbox',
    {
      schema: {
        tags,
        security,
        summary: "A user's in-app messages, newest first, and the unread count (write key)",
        querystring: Type.Object({
          userId: UserId,
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
          before: Type.Optional(
            Type.Integer({ minimum: 1, description: 'page: messages with a smaller id' }),
          ),
        }),
      },
    },
    async (req, reply) => {
      const q = req.query;
      const ws = await authorised(req, reply, q.userId);
      if (ws === null) return reply;
      const inbox = await readInbox(rt.control, ws, q.userId, { limit: q.limit ?? 20, before: q.before });
      return {
        unread: inbox.unread,
        messages: inbox.messages.map((m) => ({
          ...m,
          createdAt: new Date(m.createdAt).toISOString(),
          readAt: m.readAt === null ? null : new Date(m.readAt).toISOString(),
        })),
      };
    },
  );

  app.post(
    '/v1/inbox/:id/read',
    {
      schema: {
        tags,
        security,
        summary: 'Mark one of the user’s messages read; idempotent (write key)',
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        body: Type.Object({ userId: UserId }, { additionalProperties: false }),
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const { userId } = req.body;
      const ws = await authorised(req, reply, userId);
      if (ws === null) return reply;
      if (!(await markInboxRead(rt.control, ws, userId, id, rt.clock())))
        return reply.code(404).send({ error: `inbox message ${id} not found for this user` });
      const { unread } = await readInbox(rt.control, ws, userId, { limit: 1 });
      return { id, read: true, unread };
    },
  );
};

/** For the app's server: the token its app shows with inbox requests for one signed-in user. */
export const registerInboxTokenRoute = (api: Api, rt: Runtime): void => {
  api.post(
    '/v1/users/:id/inbox-token',
    {
      schema: {
        tags,
        security: [{ bearer: [] }],
        summary: "A user's inbox token for the app (send it as X-Rekindle-User-Token); operator, admin",
        params: Type.Object({ id: UserId }),
        response: { 200: Type.Object({ userId: Type.String(), token: Type.String() }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      const p = canOnScores(actor, 'inbox.token');
      if (!p.allowed) return reply.code(403).send({ error: p.reason });
      const { id } = req.params;
      const secret = await workspaceSecret(rt.control, actor.workspaceId, 'inbox');
      return { userId: id, token: signInboxToken(secret, actor.workspaceId, id) };
    },
  );
};
