import { Type } from '@sinclair/typebox';
import type { Api } from '../schemas/type-provider.ts';
import {
  grantBonusesAs,
  listBonusGrantsAs,
  listUserOffersAs,
  type BonusContext,
} from '../../campaigns/offer-bonuses.ts';
import type { GrantedBonus, UserOffer } from '../../storage/control/offer-bonuses.ts';
import { actorOf } from '../auth/api-auth.ts';
import { errorResponses } from '../schemas/common.ts';
import { sendOutcome } from './send-outcome.ts';

/** Conditional bonuses granted by the bonus loop, and a user's offers (features.md D4). */

const tags = ['campaigns'];
const security = [{ bearer: [] }];
const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

const OfferKind = Type.Union([Type.Literal('coupon'), Type.Literal('red_packet'), Type.Literal('points')]);

const BonusGrantView = Type.Object({
  code: Type.String(),
  campaignId: Type.String(),
  userId: Type.String(),
  kind: OfferKind,
  amount: Type.Integer({
    description: 'the bonus in the offer’s unit: points, or cents for coupons and red packets',
  }),
  costCents: Type.Integer({ description: 'what the grant costs the business (points × point value)' }),
  qualifyingMessageId: Type.String({ description: 'the event that earned it' }),
  qualifyingEventAt: Type.String({ format: 'date-time' }),
  grantedAt: Type.String({ format: 'date-time' }),
});

const grantDto = (g: GrantedBonus) => ({
  code: g.code,
  campaignId: g.campaignId,
  userId: g.userId,
  kind: g.kind,
  amount: g.amount,
  costCents: g.costCents,
  qualifyingMessageId: g.messageId,
  qualifyingEventAt: iso(g.eventAt),
  grantedAt: iso(g.grantedAt),
});

const UserOfferView = Type.Object({
  code: Type.String(),
  campaignId: Type.String(),
  kind: OfferKind,
  amount: Type.Integer(),
  valueCents: Type.Integer(),
  issuedAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
  condition: Type.Union([Type.Object({ zh: Type.String(), en: Type.String() }), Type.Null()]),
  redeemedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  bonus: Type.Union([
    Type.Object({
      event: Type.String(),
      minEventAmount: Type.Union([Type.Number(), Type.Null()]),
      deadline: Type.String({ format: 'date-time' }),
      grantedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
      amount: Type.Union([Type.Integer(), Type.Null()]),
      costCents: Type.Integer(),
      qualifyingMessageId: Type.Union([Type.String(), Type.Null()]),
    }),
    Type.Null(),
  ]),
});

const userOfferDto = (o: UserOffer) => ({
  ...o,
  issuedAt: iso(o.issuedAt),
  expiresAt: iso(o.expiresAt),
  redeemedAt: isoOrNull(o.redeemedAt),
  bonus:
    o.bonus === null
      ? null
      : { ...o.bonus, deadline: iso(o.bonus.deadline), grantedAt: isoOrNull(o.bonus.grantedAt) },
});

export const registerOfferRoutes = (app: Api, ctx: BonusContext): void => {
  app.get(
    '/v1/offers/bonuses',
    {
      schema: {
        tags,
        security,
        summary:
          'Conditional bonuses granted since an instant, oldest first: the shop credits each one (by code) once (every role)',
        querystring: Type.Object(
          {
            since: Type.Optional(Type.String({ format: 'date-time', description: 'default: 7 days ago' })),
            campaignId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ grants: Type.Array(BonusGrantView) }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { since, campaignId, limit } = req.query;
      const from = since === undefined ? ctx.clock() - 7 * 86_400_000 : Date.parse(since);
      return sendOutcome(
        reply,
        await listBonusGrantsAs(ctx, actorOf(req), { since: from, limit: limit ?? 1000, campaignId }),
        (grants) => ({ grants: grants.map(grantDto) }),
      );
    },
  );

  app.post(
    '/v1/offers/bonuses/grant',
    {
      schema: {
        tags,
        security,
        summary:
          'Grant the conditional bonuses earned so far now (the loop does it at the attribution cadence); idempotent (operator, admin)',
        response: {
          200: Type.Object({ open: Type.Integer(), granted: Type.Integer(), facts: Type.Integer() }),
          ...errorResponses,
        },
      },
    },
    async (req, reply) => sendOutcome(reply, await grantBonusesAs(ctx, actorOf(req)), (r) => r),
  );

  app.get(
    '/v1/users/:id/offers',
    {
      schema: {
        tags,
        security,
        summary: 'The offers issued to a user, newest first, with redemption and bonus state (every role)',
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) }),
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ offers: Type.Array(UserOfferView) }), ...errorResponses },
      },
    },
    async (req, reply) =>
      sendOutcome(
        reply,
        await listUserOffersAs(ctx, actorOf(req), req.params.id, req.query.limit ?? 100),
        (offers) => ({ offers: offers.map(userOfferDto) }),
      ),
  );
};
