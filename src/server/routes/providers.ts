import { Type } from '@sinclair/typebox';
import type { Api } from '../schemas/type-provider.ts';
import {
  createProviderAs,
  deleteProviderAs,
  getProviderAs,
  listProvidersAs,
  updateProviderAs,
  type ProviderView,
} from '../../delivery/providers/provider-service.ts';
import { PROVIDER_KIND_NAMES, PROVIDER_KINDS } from '../../delivery/providers/provider-kinds.ts';
import { callTasksCsv } from '../../delivery/providers/call-tasks.ts';
import { TestSendLimiter, testSendAs } from '../../delivery/providers/test-send.ts';
import { listCallTasks } from '../../storage/control/call-tasks.ts';
import { providersOf } from '../../delivery/providers/provider-runtime.ts';
import type { Runtime } from '../../runtime.ts';
import { actorOf } from '../auth/api-auth.ts';
import { ApiError, errorResponses } from '../schemas/common.ts';
import { sendOutcome } from './send-outcome.ts';

const Kind = Type.Union(
  PROVIDER_KIND_NAMES.map((k) => {
    const description = PROVIDER_KINDS[k].config.description;
    return description === undefined ? Type.Literal(k) : Type.Literal(k, { description });
  }),
  { description: 'the vendor; its `config` and `secrets` fields are listed in docs/channels.md' },
);
const Name = Type.String({ minLength: 1, maxLength: 100 });
const Priority = Type.Integer({ minimum: 0, maximum: 1000, description: 'failover order, lower first' });
const Rate = Type.Integer({ minimum: 1, maximum: 100_000, description: 'messages per second' });

const CreateBody = Type.Object(
  {
    kind: Kind,
    name: Name,
    priority: Type.Optional(Priority),
    ratePerSecond: Type.Optional(Rate),
    enabled: Type.Optional(Type.Boolean()),
    config: Type.Record(Type.String(), Type.Unknown(), { description: 'non-secret settings of the kind' }),
    secrets: Type.Record(Type.String(), Type.Unknown(), { description: 'write-only: never returned' }),
  },
  { additionalProperties: false },
);
const UpdateBody = Type.Object(
  {
    version: Type.Integer({ minimum: 1, description: 'the version you read (optimistic concurrency)' }),
    name: Type.Optional(Name),
    priority: Type.Optional(Priority),
    ratePerSecond: Type.Optional(Rate),
    enabled: Type.Optional(Type.Boolean()),
    config: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: 'replaces the configuration' }),
    ),
    secrets: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description:
          'merged over the stored secrets: a value replaces one, null removes an optional one (a required one is refused), an absent one is kept; SMTP dkim without privateKey keeps the stored key',
      }),
    ),
  },
  { additionalProperties: false },
);
const View = Type.Object({
  id: Type.String(),
  channel: Type.String(),
  kind: Type.String(),
  name: Type.String(),
  priority: Type.Integer(),
  ratePerSecond: Type.Integer(),
  enabled: Type.Boolean(),
  config: Type.Record(Type.String(), Type.Unknown()),
  secretsSet: Type.Array(Type.String(), { description: 'names of the secrets that are set' }),
  dkim: Type.Optional(
    Type.Object(
      { domainName: Type.String(), keySelector: Type.String() },
      {
        description:
          'SMTP with DKIM: the signing domain and selector (public, in DNS); the private key is never returned',
      },
    ),
  ),
  version: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const TestSendBody = Type.Object(
  {
    to: Type.String({ minLength: 1, maxLength: 4096, description: 'the recipient, as the kind needs it' }),
    text: Type.Optional(
      Type.String({ minLength: 1, maxLength: 2000, description: 'default: a test sentence' }),
    ),
    signature: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 30,
        description: 'SMS signature, e.g. 【Rekindle】; default from signName',
      }),
    ),
    subject: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'e-mail subject / title' }),
    ),
    templateId: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 128,
        description: 'WeChat Official Account template (required there)',
      }),
    ),
  },
  { additionalProperties: false },
);
const Words = Type.Object({ zhCN: Type.String(), en: Type.String() });
const TestSendAnswer = Type.Object({
  providerId: Type.String(),
  accepted: Type.Boolean({ description: 'the provider took the message (not yet: the phone showed it)' }),
  to: Type.String({ description: 'the recipient, masked' }),
  providerMessageId: Type.Union([Type.String(), Type.Null()]),
  code: Type.Union([Type.String(), Type.Null()], { description: 'why not, as a code; null when accepted' }),
  vendorReason: Type.Union([Type.String(), Type.Null()], { description: 'what the provider said' }),
  words: Words,
  tookMs: Type.Integer(),
});

const dto = (p: ProviderView) => ({
  ...p,
  createdAt: new Date(p.createdAt).toISOString(),
  updatedAt: new Date(p.updatedAt).toISOString(),
});

const tags = ['providers'];
const security = [{ bearer: [] }];

/** Delivery providers (features.md F2): admin-only CRUD; secrets are write-only. */
export const registerProviderRoutes = (app: Api, rt: Runtime): void => {
  const ctx = () => providersOf(rt).context;

  app.get(
    '/v1/providers',
    {
      schema: {
        tags,
        security,
        summary: 'Configured providers, by channel and failover order (admin)',
        querystring: Type.Object({ channel: Type.Optional(Type.String({ maxLength: 32 })) }),
        response: { 200: Type.Object({ providers: Type.Array(View) }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { channel } = req.query;
      return sendOutcome(reply, await listProvidersAs(ctx(), actorOf(req), channel), (ps) => ({
        providers: ps.map(dto),
      }));
    },
  );

  app.post(
    '/v1/providers',
    {
      schema: {
        tags,
        security,
        summary: 'Configure a provider (admin); secrets are encrypted and never returned',
        body: CreateBody,
        response: { 201: View, ...errorResponses },
      },
    },
    async (req, reply) => sendOutcome(reply, await createProviderAs(ctx(), actorOf(req), req.body), dto, 201),
  );

  app.get(
    '/v1/providers/:id',
    {
      schema: {
        tags,
        security,
        summary: 'One provider (admin)',
        params: IdParams,
        response: { 200: View, ...errorResponses },
      },
    },
    async (req, reply) => sendOutcome(reply, await getProviderAs(ctx(), actorOf(req), req.params.id), dto),
  );

  app.patch(
    '/v1/providers/:id',
    {
      schema: {
        tags,
        security,
        summary: 'Change a provider (admin): settings, failover order, rate, enabled; replace single secrets',
        params: IdParams,
        body: UpdateBody,
        response: { 200: View, ...errorResponses },
      },
    },
    async (req, reply) =>
      sendOutcome(reply, await updateProviderAs(ctx(), actorOf(req), req.params.id, req.body), dto),
  );

  const limiter = new TestSendLimiter();
  app.post(
    '/v1/providers/:id/test',
    {
      schema: {
        tags,
        security,
        summary:
          "Test-send (admin): one real message through this provider's adapter, answered with what the vendor said",
        description:
          'Works on a disabled provider too. `to` is what the kind sends to: a phone number (SMS), an e-mail ' +
          'address (smtp), a push token (fcm), an openid (wechat_oa), a member userid (wecom) or a user id ' +
          '(webhook). At most 5 a minute per provider; audited with the recipient masked.',
        params: IdParams,
        body: TestSendBody,
        response: { 200: TestSendAnswer, 429: ApiError, ...errorResponses },
      },
    },
    async (req, reply) =>
      sendOutcome(
        reply,
        await testSendAs(ctx(), actorOf(req), req.params.id, req.body, { limiter }),
        (r) => r,
      ),
  );

  app.delete(
    '/v1/providers/:id',
    {
      schema: {
        tags,
        security,
        summary: 'Remove a provider (admin)',
        params: IdParams,
        response: { 200: Type.Object({ id: Type.String() }), ...errorResponses },
      },
    },
    async (req, reply) =>
      sendOutcome(reply, await deleteProviderAs(ctx(), actorOf(req), req.params.id), (v) => v),
  );
};

/** The outbound call list (admin: it carries phone numbers in clear), as JSON or CSV. */
export const registerCallTaskRoutes = (app: Api, rt: Runtime): void => {
  app.get(
    '/v1/call-tasks',
    {
      schema: {
        tags,
        security,
        summary: 'Outbound call tasks as JSON or CSV (admin; contains phone numbers)',
        querystring: Type.Object({
          format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json' })),
          status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('pushed')])),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, default: 10_000 })),
        }),
      },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      if (actor.role !== 'admin')
        return reply
          .code(403)
          .send({ error: 'only admins may export the call list (it contains phone numbers)' });
      const q = req.query;
      const tasks = await listCallTasks(rt.control, actor.workspaceId, {
        status: q.status,
        limit: q.limit ?? 10_000,
      });
      if (q.format === 'csv')
        return reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header('content-disposition', 'attachment; filename="call-tasks.csv"')
          .send(callTasksCsv(tasks));
      return { tasks: tasks.map((t) => ({ ...t, createdAt: new Date(t.createdAt).toISOString() })) };
    },
  );
};
