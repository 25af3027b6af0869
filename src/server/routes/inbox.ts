import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { markInboxRead, readInbox } from '../../delivery/inbox/inbox-store.ts';
import type { Runtime } from '../../runtime.ts';
import { WriteKeyCache, writeKeyFromRequest } from '../auth/write-key-auth.ts';

const UserId = Type.String({ minLength: 1, maxLength: 256 });
const tags = ['inbox'];
const security = [{ writeKey: [] }];

/**
 * The in-app inbox, for apps: authenticated like ingestion, with the workspace's write key as
 * the Basic-auth user name. The app asks for its signed-in user's messages and marks them read.
 */
export const registerInboxRoutes = (root: FastifyInstance, rt: Runtime): void => {
  // Inside a plugin so that the OpenAPI hook (registered asynchronously) sees the routes.
  void root.register(async (app) => registerIn(app, rt));
};

const registerIn = (app: FastifyInstance, rt: Runtime): void => {
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
      const ws = await workspaceOf(req, reply);
      if (ws === null) return reply;
      const q = req.query as { userId: string; limit?: number; before?: number };
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
      const ws = await workspaceOf(req, reply);
      if (ws === null) return reply;
      const { id } = req.params as { id: number };
      const { userId } = req.body as { userId: string };
      if (!(await markInboxRead(rt.control, ws, userId, id, rt.clock())))
        return reply.code(404).send({ error: `inbox message ${id} not found for this user` });
      const { unread } = await readInbox(rt.control, ws, userId, { limit: 1 });
      return { id, read: true, unread };
    },
  );
};
