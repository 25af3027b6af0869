import { Type } from '@sinclair/typebox';
import type { Api } from '../schemas/type-provider.ts';
import { createWriteKeyAs, listWriteKeysAs, revokeWriteKeyAs } from '../../auth/write-keys.ts';
import type { Clock } from '../../core/clock.ts';
import type { SqlClient } from '../../storage/control/sql-client.ts';
import type { WriteKeyInfo } from '../../storage/control/write-keys.ts';
import { actorOf } from '../auth/api-auth.ts';
import { forgetWriteKeys } from '../auth/write-key-auth.ts';
import { errorResponses, IsoTime } from '../schemas/common.ts';
import { sendOutcome } from './send-outcome.ts';

type KeysRuntime = { control: SqlClient; clock: Clock };

const tags = ['auth'];
const security: { [scheme: string]: string[] }[] = [{ bearer: [] }, { session: [] }];
const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
const Prefix = Type.String({ description: 'the first characters of the key, to recognise it' });
const KeyView = Type.Object({
  id: Type.Integer(),
  prefix: Prefix,
  name: Type.String(),
  createdAt: IsoTime,
  revokedAt: Type.Union([IsoTime, Type.Null()], { description: 'null while the key is active' }),
  lastUsedAt: Type.Union([IsoTime, Type.Null()], {
    description: 'when ingest last accepted it (to within 30 s); null: never',
  }),
});
const Created = Type.Object({
  id: Type.Integer(),
  key: Type.String({ description: 'the write key itself: shown only in this answer, never again' }),
  prefix: Prefix,
  name: Type.String(),
  createdAt: IsoTime,
});
const keyDto = (k: WriteKeyInfo) => ({
  id: k.id,
  prefix: k.prefix,
  name: k.name,
  createdAt: k.createdAt.toISOString(),
  revokedAt: k.revokedAt === null ? null : k.revokedAt.toISOString(),
  lastUsedAt: k.lastUsedAt === null ? null : k.lastUsedAt.toISOString(),
});

/**
 * Segment write keys (issue 18), admins only, each change audited: the list shows prefixes only,
 * a new key is shown once in the creation answer, a revoked key stops being accepted by ingest
 * at once in this process. The `rekindle keys` CLI runs the same services.
 */
export const registerWriteKeyRoutes = (api: Api, rt: KeysRuntime): void => {
  api.get(
    '/v1/write-keys',
    {
      schema: {
        tags,
        security,
        summary: "The workspace's write keys, prefixes only (admin)",
        response: { 200: Type.Object({ keys: Type.Array(KeyView) }), ...errorResponses },
      },
    },
    async (req, reply) =>
      sendOutcome(reply, await listWriteKeysAs(rt, actorOf(req)), (ks) => ({ keys: ks.map(keyDto) })),
  );
  api.post(
    '/v1/write-keys',
    {
      schema: {
        tags,
        security,
        summary: 'Create a write key (admin); the key is in this answer only',
        body: Type.Object(
          {
            name: Type.String({
              minLength: 1,
              maxLength: 200,
              pattern: '\\S',
              description: 'what the key is for',
            }),
          },
          { additionalProperties: false },
        ),
        response: { 201: Created, ...errorResponses },
      },
    },
    async (req, reply) => {
      const made = await createWriteKeyAs(rt, actorOf(req), req.body.name.trim());
      return sendOutcome(
        reply,
        made,
        (k) => ({
          id: k.id,
          key: k.key,
          prefix: k.prefix,
          name: k.name,
          createdAt: k.createdAt.toISOString(),
        }),
        201,
      );
    },
  );
  api.post(
    '/v1/write-keys/:id/revoke',
    {
      schema: {
        tags,
        security,
        summary: 'Revoke a write key (admin): ingest refuses it from now on',
        params: IdParams,
        response: { 200: Type.Object({ id: Type.Integer(), revokedAt: IsoTime }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const done = await revokeWriteKeyAs(rt, actorOf(req), req.params.id, () => forgetWriteKeys(rt.control));
      return sendOutcome(reply, done, (v) => ({ id: v.id, revokedAt: v.revokedAt.toISOString() }));
    },
  );
};
