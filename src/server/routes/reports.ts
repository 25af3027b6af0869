import { Type } from '@sinclair/typebox';
import type { Api } from '../schemas/type-provider.ts';
import { CHANNELS } from '../../core/channels/channels.ts';
import { campaignAb } from '../../reports/ab.ts';
import { compareCampaigns } from '../../reports/compare.ts';
import { campaignStats, type StatsBy } from '../../reports/campaign-stats.ts';
import type { ReportsContext } from '../../reports/context.ts';
import { campaignLift, receiversReport } from '../../reports/lift.ts';
import { northStar } from '../../reports/north-star.ts';
import { periodReport } from '../../reports/period.ts';
import { periodRange } from '../../reports/period-range.ts';
import {
  DEFAULT_REPORT_TIME_ZONE,
  dayRange,
  knownZone,
  problemText,
  type DayRange,
} from '../../reports/day-range.ts';
import { actorOf } from '../auth/api-auth.ts';
import { errorResponses } from '../schemas/common.ts';
import { CampaignIdParams } from '../schemas/campaigns-api.ts';
import { sendFailure, sendOutcome } from './send-outcome.ts';

/**
 * Reports (features.md G1–G5, G7): every role may read. The response schemas are the console's
 * contract; rates are fractions (0.05 = 5 %), money is yuan, days are UTC. See docs/reports.md.
 */

const security = [{ bearer: [] }];
const tags = ['reports'];
const Num = Type.Number();
const NumOrNull = Type.Union([Type.Number(), Type.Null()]);
const Interval = Type.Object({ low: Num, high: Num });
const Goal = Type.Object({ event: Type.String(), withinDays: Num });

const StatsRow = Type.Object({
  key: Type.String({ description: 'the variant id, channel or UTC day (YYYY-MM-DD); "" = no variant' }),
  planned: Num,
  sent: Num,
  delivered: Num,
  failed: Num,
  unknown: Num,
  clicked: Num,
  ctr: NumOrNull,
  users: Num,
  convertedUsers: Num,
  conversionRate: NumOrNull,
  unsubscribes: Num,
  messageCost: Num,
  offerCost: Num,
  cost: Num,
  messagesCostCents: Type.Integer({ description: 'messages a provider took, at their price' }),
  offersIssuedCostCents: Type.Integer({
    description: 'offers booked at issue whose message went out, at their issued value',
  }),
  offersRedeemedCostCents: Type.Integer({
    description: 'offers booked at redemption that were redeemed, at their redeemed value',
  }),
  offersBonusCostCents: Type.Integer({ description: 'conditional bonuses granted' }),
  costCents: Type.Integer({ description: 'what was spent: the four parts together (never a reservation)' }),
  revenue: Num,
  roi: NumOrNull,
  inAppStored: Type.Integer({ minimum: 0, description: 'in-app messages put in users’ inboxes' }),
  inAppRead: Type.Integer({ minimum: 0, description: 'of them, marked read (in place of delivered)' }),
});
const CostRecognitionLabel = Type.Union([Type.Literal('issue'), Type.Literal('redemption'), Type.Null()], {
  description: "when the campaign's offer books its cost: at issue, at redemption; null: no offer",
});
export const CampaignStatsView = Type.Object({
  campaignId: Type.String(),
  by: Type.String(),
  range: Type.Union(
    [Type.Object({ from: Type.String(), to: Type.String(), timeZone: Type.String() }), Type.Null()],
    {
      description:
        'the days counted when from/to were given (every figure covers only them); null: the whole campaign',
    },
  ),
  costRecognition: CostRecognitionLabel,
  rows: Type.Array(StatsRow),
  total: StatsRow,
  inApp: Type.Union(
    [
      Type.Object({
        stored: Type.Integer({ minimum: 0, description: 'in-app messages put in users’ inboxes' }),
        read: Type.Integer({ minimum: 0, description: 'of them, marked read by the app' }),
      }),
      Type.Null(),
    ],
    {
      description:
        'in-app has no delivery receipt (`delivered` never counts it): what the inbox records instead; null without in-app messages',
    },
  ),
});

const Outcome = Type.Object({
  users: Num,
  converted: Num,
  rate: NumOrNull,
  ci: Interval,
  revenue: Num,
  revenuePerUser: NumOrNull,
});
const Comparison = Type.Union([
  Type.Object({
    absoluteLift: Num,
    absoluteCi: Interval,
    relativeLift: NumOrNull,
    relativeCi: Type.Union([Interval, Type.Null()]),
    pValue: Num,
    revenuePerUserLift: Num,
    revenuePerUserCi: Interval,
  }),
  Type.Null(),
]);
export const LiftView = Type.Object({
  campaignId: Type.String(),
  goal: Goal,
  treatment: Outcome,
  holdout: Outcome,
  globalControl: Outcome,
  vsHoldout: Comparison,
  vsGlobalControl: Comparison,
});
export const ReceiversView = Type.Object({
  channel: Type.String(),
  campaignIds: Type.Array(Type.String()),
  goal: Goal,
  receivers: Outcome,
  nonReceivers: Outcome,
  lift: Comparison,
});

export const AbView = Type.Object({
  campaignId: Type.String(),
  rule: Type.Object({ alpha: Num, minSample: Num, minConversions: Num }),
  control: Type.Union([Type.String(), Type.Null()]),
  alphaPerComparison: Num,
  winner: Type.Union([Type.String(), Type.Null()]),
  reason: Type.String(),
  arms: Type.Array(
    Type.Object({
      id: Type.String(),
      users: Num,
      conversions: Num,
      rate: Num,
      ci: Interval,
      vsControl: Type.Union([
        Type.Object({ difference: Num, ci: Interval, z: Num, pValue: Num, significant: Type.Boolean() }),
        Type.Null(),
      ]),
    }),
  ),
  ctr: Type.Array(
    Type.Object({
      id: Type.String(),
      sent: Num,
      clicked: Num,
      ctr: NumOrNull,
      ci: Interval,
      pValueVsControl: NumOrNull,
    }),
  ),
  // The A/B report's (absent from an audience test, whose arms are campaigns).
  offers: Type.Optional(
    Type.Array(
      Type.Object({
        id: Type.String(),
        offer: Type.Union([
          Type.Object({
            kind: Type.String({ description: 'coupon · red_packet · points' }),
            costRecognition: Type.String({ description: 'issue · redemption' }),
            amount: Type.Union([Type.Integer(), Type.Null()], {
              description:
                "the amount everyone gets, in the offer's unit (fen; points for points); null when it depends on the user",
            }),
          }),
          Type.Null(),
        ]),
        offerCostCents: Type.Integer({
          description: "this variant's offers as spent (issued, redeemed, bonuses)",
        }),
      }),
      { description: "per variant: its users' offer (its own in an offer test) and what it cost" },
    ),
  ),
});

const Trend = Type.Array(
  Type.Object({ period: Type.String(), sent: Num, unsubscribed: Num, rate: NumOrNull }),
);
/** Cost as spent, in parts (src/reports/spent-cost.ts): yuan, and cents in the `…Cents` fields. */
const SpentCost = {
  messageCost: Num,
  offerCost: Num,
  cost: Num,
  messagesCostCents: StatsRow.properties.messagesCostCents,
  offersIssuedCostCents: StatsRow.properties.offersIssuedCostCents,
  offersRedeemedCostCents: StatsRow.properties.offersRedeemedCostCents,
  offersBonusCostCents: StatsRow.properties.offersBonusCostCents,
  costCents: StatsRow.properties.costCents,
  roi: NumOrNull,
};
export const PeriodView = Type.Object({
  from: Type.String(),
  to: Type.String(),
  campaigns: Type.Array(
    Type.Object({
      campaignId: Type.String(),
      name: Type.String(),
      sent: Num,
      reachedUsers: Num,
      convertedUsers: Num,
      revenue: Num,
      ...SpentCost,
    }),
  ),
  sent: Num,
  reachedUsers: Num,
  reachedUsersSumOverCampaigns: Num,
  convertedUsers: Num,
  convertedUsersSumOverCampaigns: Num,
  revenue: Num,
  ...SpentCost,
  unsubscribeTrend: Type.Object({ day: Trend, week: Trend }),
});

const Cohort = Type.Object({
  users: Num,
  repurchasers: Num,
  repurchaseRate: NumOrNull,
  repurchasesPerUser: NumOrNull,
  averageOrderValue: NumOrNull,
  retention: Type.Array(Num, { description: 'share active in week 1…12 after conversion' }),
});
export const NorthStarView = Type.Object({
  campaignId: Type.String(),
  goal: Goal,
  recalled: Cohort,
  holdoutConverted: Cohort,
});

const StatsQuery = Type.Object({
  by: Type.Optional(Type.Union([Type.Literal('variant'), Type.Literal('channel'), Type.Literal('day')])),
  from: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'first day counted (YYYY-MM-DD, in timeZone); every figure then covers the range',
    }),
  ),
  to: Type.Optional(
    Type.String({ minLength: 1, description: 'last day counted (YYYY-MM-DD), included; default today' }),
  ),
  timeZone: Type.Optional(
    Type.String({ minLength: 1, maxLength: 64, description: 'IANA zone of the days; default Asia/Shanghai' }),
  ),
});
const PeriodQuery = Type.Object({
  from: Type.String({
    minLength: 1,
    description: 'a day (YYYY-MM-DD, from its start) or an ISO-8601 instant',
  }),
  to: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'a day (YYYY-MM-DD, included: up to the next day) or an ISO-8601 instant; absent: now',
    }),
  ),
  timeZone: Type.Optional(
    Type.String({ minLength: 1, maxLength: 64, description: 'IANA zone the days are read in; default UTC' }),
  ),
});
const NorthStarQuery = Type.Object({ campaignId: Type.String({ minLength: 1, maxLength: 64 }) });
const ReceiversQuery = Type.Object({
  channel: Type.Optional(Type.Union(CHANNELS.map((c) => Type.Literal(c)))),
  campaignId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
});

const same = <T>(v: T) => v;

export const registerReportRoutes = (app: Api, ctx: ReportsContext): void => {
  app.get<{
    Params: { id: string };
    Querystring: { by?: StatsBy; from?: string; to?: string; timeZone?: string };
  }>(
    '/v1/campaigns/:id/stats',
    {
      schema: {
        tags,
        security,
        summary: 'Campaign stats per variant, channel or day (G1)',
        params: CampaignIdParams,
        querystring: StatsQuery,
        response: { 200: CampaignStatsView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const timeZone = q.timeZone ?? DEFAULT_REPORT_TIME_ZONE;
      let range: DayRange | null = null;
      if (q.from !== undefined || q.to !== undefined) {
        const r = dayRange(q, ctx.clock());
        if (!r.ok)
          return sendFailure(reply, { type: 'invalid', message: problemText(r.error), errors: r.error });
        range = r.value;
      } else if (!knownZone(timeZone)) {
        const errors = [{ path: 'timeZone' as const, message: `unknown time zone '${timeZone}'` }];
        return sendFailure(reply, { type: 'invalid', message: problemText(errors), errors });
      }
      return sendOutcome(
        reply,
        await campaignStats(ctx, actorOf(req), req.params.id, q.by ?? 'variant', { timeZone, range }),
        same,
      );
    },
  );
  app.get<{ Params: { id: string } }>(
    '/v1/campaigns/:id/lift',
    {
      schema: {
        tags,
        security,
        summary: 'Treatment vs holdout and vs the global control group (G3)',
        params: CampaignIdParams,
        response: { 200: LiftView, ...errorResponses },
      },
    },
    async (req, reply) => sendOutcome(reply, await campaignLift(ctx, actorOf(req), req.params.id), same),
  );
  app.get<{ Params: { id: string } }>(
    '/v1/campaigns/:id/ab',
    {
      schema: {
        tags,
        security,
        summary: 'A/B test: per variant conversion and CTR, tests against the control, winner (G4)',
        params: CampaignIdParams,
        response: { 200: AbView, ...errorResponses },
      },
    },
    async (req, reply) => sendOutcome(reply, await campaignAb(ctx, actorOf(req), req.params.id), same),
  );
  app.get<{ Querystring: { campaigns: string } }>(
    '/v1/reports/compare',
    {
      schema: {
        tags,
        security,
        summary:
          'Audience test: campaigns as arms (the first is the control), conversion with tests and a winner (G4)',
        querystring: Type.Object({
          campaigns: Type.String({
            minLength: 3,
            maxLength: 1000,
            description: 'campaign ids, comma-separated',
          }),
        }),
        response: {
          200: Type.Composite([
            Type.Omit(AbView, ['campaignId', 'ctr']),
            Type.Object({ campaignIds: Type.Array(Type.String()) }),
          ]),
          ...errorResponses,
        },
      },
    },
    async (req, reply) =>
      sendOutcome(
        reply,
        await compareCampaigns(
          ctx,
          actorOf(req),
          req.query.campaigns
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== ''),
        ),
        same,
      ),
  );
  app.get<{ Querystring: { from: string; to?: string; timeZone?: string } }>(
    '/v1/reports/period',
    {
      schema: {
        tags,
        security,
        summary:
          'All campaigns in a period (days included whole, today up to now), users de-duplicated; unsubscribe trend (G2)',
        querystring: PeriodQuery,
        response: { 200: PeriodView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const range = periodRange(req.query, ctx.clock());
      if (!range.ok)
        return sendFailure(reply, {
          type: 'invalid',
          message: range.error.map((p) => `${p.path} ${p.message}`).join('; '),
          errors: range.error,
        });
      return sendOutcome(
        reply,
        await periodReport(ctx, actorOf(req), range.value.fromMs, range.value.toMs),
        same,
      );
    },
  );
  app.get<{ Querystring: { campaignId: string } }>(
    '/v1/reports/north-star',
    {
      schema: {
        tags,
        security,
        summary: 'Recalled users vs holdout converters: repurchase, order value, retention (G5, G7)',
        querystring: NorthStarQuery,
        response: { 200: NorthStarView, ...errorResponses },
      },
    },
    async (req, reply) => sendOutcome(reply, await northStar(ctx, actorOf(req), req.query.campaignId), same),
  );
  app.get<{ Querystring: { channel?: string; campaignId?: string } }>(
    '/v1/reports/receivers',
    {
      schema: {
        tags,
        security,
        summary: 'Receivers on a channel vs eligible non-receivers (held out) (G3)',
        querystring: ReceiversQuery,
        response: { 200: ReceiversView, ...errorResponses },
      },
    },
    async (req, reply) =>
      sendOutcome(
        reply,
        await receiversReport(ctx, actorOf(req), req.query.channel ?? 'sms', req.query.campaignId ?? null),
        same,
      ),
  );
};
