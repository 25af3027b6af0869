import { Type, type Static } from '@sinclair/typebox';
import type { Api } from '../schemas/type-provider.ts';
import {
  getNotificationAs,
  notifyAs,
  type NotificationContext,
  type NotificationView,
} from '../../notifications/notify.ts';
import { actorOf } from '../auth/api-auth.ts';
import { errorResponses } from '../schemas/common.ts';
import { sendOutcome } from './send-outcome.ts';

const RequestKey = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: '^[A-Za-z0-9._:@-]+$',
  description: 'the caller’s idempotency key: the same key again returns the first answer, no second message',
});

const NotifyBody = Type.Object(
  {
    campaignId: Type.String({ minLength: 1, maxLength: 64, description: 'a running transactional campaign' }),
    userId: Type.String({ minLength: 1, maxLength: 200 }),
    data: Type.Record(Type.String({ maxLength: 100 }), Type.Unknown(), {
      default: {},
      description: 'template scope for this message: templates see it as `data` (e.g. `{{ data.order_id }}`)',
    }),
    idempotencyKey: RequestKey,
  },
  { additionalProperties: false },
);
type NotifyBody = Static<typeof NotifyBody>;

const NotificationDto = Type.Object({
  idempotencyKey: Type.String(),
  campaignId: Type.String(),
  userId: Type.String(),
  status: Type.Union([Type.Literal('queued'), Type.Literal('skipped')]),
  reason: Type.Union([Type.String(), Type.Null()], { description: 'why skipped (planner reason)' }),
  detail: Type.Union([Type.String(), Type.Null()]),
  messages: Type.Array(
    Type.Object({
      key: Type.String({ description: 'the message’s idempotency key in the outbox' }),
      channel: Type.String(),
      sendAt: Type.String({ format: 'date-time' }),
      status: Type.String({ description: 'outbox status: pending, sending, sent, delivered, failed, dead' }),
    }),
  ),
  createdAt: Type.String({ format: 'date-time' }),
});

const dto = (v: NotificationView) => ({
  ...v,
  messages: v.messages.map((m) => ({ ...m, sendAt: new Date(m.sendAt).toISOString() })),
  createdAt: new Date(v.createdAt).toISOString(),
});

const security = [{ bearer: [] }];
const tags = ['notifications'];

/** The notification API (features.md H1). */
export const registerNotificationRoutes = (app: Api, ctx: NotificationContext): void => {
  app.post(
    '/v1/notifications',
    {
      schema: {
        tags,
        security,
        summary:
          'Send one transactional message to one user through a running transactional campaign; idempotent by key (operator, admin)',
        body: NotifyBody,
        response: { 202: NotificationDto, ...errorResponses },
      },
    },
    async (req, reply) => sendOutcome(reply, await notifyAs(ctx, actorOf(req), req.body), dto, 202),
  );

  app.get(
    '/v1/notifications/:key',
    {
      schema: {
        tags,
        security,
        summary: 'A notification request’s decision and its messages’ delivery status',
        params: Type.Object({ key: RequestKey }),
        response: { 200: NotificationDto, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { key } = req.params;
      return sendOutcome(reply, await getNotificationAs(ctx, actorOf(req), key), dto);
    },
  );
};
