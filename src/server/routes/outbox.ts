import { Type } from '@sinclair/typebox';
import type { Api } from '../schemas/type-provider.ts';
import {
  listDeadLetters,
  outboxSummary,
  retryDeadLetterAs,
  type DeadLetterView,
  type OutboxContext,
} from '../../outbox/inspect.ts';
import { actorOf } from '../auth/api-auth.ts';
import { errorResponses } from '../schemas/common.ts';
import { DeadLetterDto, OutboxSummaryView } from '../schemas/outbox-api.ts';
import { sendOutcome } from './send-outcome.ts';

const tags = ['outbox'];
const security: { [scheme: string]: string[] }[] = [{ bearer: [] }, { session: [] }];
const iso = (d: Date | null) => (d === null ? null : d.toISOString());
const deadDto = (d: DeadLetterView) => ({ ...d, sendAt: iso(d.sendAt), deadAt: iso(d.deadAt) });

/** The outbox and its dead letters (issue 17); register inside the authenticated scope. */
export const registerOutboxRoutes = (api: Api, ctx: OutboxContext): void => {
  api.get(
    '/v1/outbox/summary',
    {
      schema: {
        tags,
        security,
        summary:
          'Messages by campaign, channel and status (pending, leased, sent, dead …) and the oldest pending',
        response: { 200: OutboxSummaryView, ...errorResponses },
      },
    },
    async (req) => {
      const s = await outboxSummary(ctx, actorOf(req));
      return {
        totals: { ...s.totals, oldestPendingDue: iso(s.totals.oldestPendingDue) },
        rows: s.rows.map((r) => ({ ...r, oldestPendingDue: iso(r.oldestPendingDue) })),
      };
    },
  );
  api.get(
    '/v1/outbox/dead-letters',
    {
      schema: {
        tags,
        security,
        summary:
          'Dead letters, newest first: which message, the user (masked), channel, provider, attempts, why',
        querystring: Type.Object({
          campaignId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
        }),
        response: { 200: Type.Object({ deadLetters: Type.Array(DeadLetterDto) }), ...errorResponses },
      },
    },
    async (req) => ({
      deadLetters: (
        await listDeadLetters(ctx, actorOf(req), {
          campaignId: req.query.campaignId ?? null,
          limit: req.query.limit ?? 200,
        })
      ).map(deadDto),
    }),
  );
  api.post(
    '/v1/outbox/dead-letters/:ref/retry',
    {
      schema: {
        tags,
        security,
        summary:
          'Put a dead letter back into the outbox, due now (admin, operator; audited). 409 when it may have reached the user (a receipt, a click, a provider that may hold it and does not drop repeated keys) or its campaign was cancelled',
        params: Type.Object({ ref: Type.String({ pattern: '^[0-9a-f]{24}$' }) }),
        body: Type.Optional(Type.Object({}, { additionalProperties: false })),
        response: {
          200: Type.Object({ campaignId: Type.String(), channel: Type.String(), keepPin: Type.Boolean() }),
          ...errorResponses,
        },
      },
    },
    async (req, reply) =>
      sendOutcome(reply, await retryDeadLetterAs(ctx, actorOf(req), req.params.ref), (v) => v),
  );
};
