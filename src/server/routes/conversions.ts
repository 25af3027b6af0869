import { Type, type Static } from '@sinclair/typebox';
import type { Api } from '../schemas/type-provider.ts';
import { attributeAs } from '../../conversions/attribute-as.ts';
import type { AttributionContext } from '../../conversions/attribute.ts';
import { actorOf } from '../auth/api-auth.ts';
import { errorResponses } from '../schemas/common.ts';
import { sendOutcome } from './send-outcome.ts';

const AttributeBody = Type.Object(
  {
    since: Type.Optional(
      Type.String({
        format: 'date-time',
        description:
          'recompute goal events after this instant (default: the longest goal window plus 7 days); 1970-01-01T00:00:00Z recomputes everything',
      }),
    ),
  },
  { additionalProperties: false },
);
type AttributeBody = Static<typeof AttributeBody>;

const AttributionView = Type.Object({
  goals: Type.Integer(),
  since: Type.String({ format: 'date-time' }),
  until: Type.String({ format: 'date-time' }),
  added: Type.Integer(),
  removed: Type.Integer(),
  inRange: Type.Integer(),
  ms: Type.Number(),
});

const iso = (ms: number) => new Date(ms).toISOString();

/** Conversions (features.md D5, G1): attribute goal events to the last touching message now (operator, admin). */
export const registerConversionRoutes = (app: Api, ctx: AttributionContext): void => {
  app.post(
    '/v1/conversions/attribute',
    {
      schema: {
        tags: ['conversions'],
        security: [{ bearer: [] }],
        summary:
          'Attribute goal events to the message that last touched the user within its campaign window, now (operator, admin); idempotent',
        body: Type.Optional(AttributeBody),
        response: { 200: AttributionView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const body = (req.body ?? {}) as AttributeBody;
      const since = body.since === undefined ? undefined : Date.parse(body.since);
      if (since !== undefined && Number.isNaN(since))
        return reply.code(400).send({ error: 'since must be an ISO-8601 instant' });
      return sendOutcome(
        reply,
        await attributeAs(ctx, actorOf(req), since === undefined ? {} : { since }),
        (r) => ({ ...r, since: iso(r.since), until: iso(r.until), ms: Math.round(r.ms) }),
      );
    },
  );
};
