import { Type } from '@sinclair/typebox';
import type { Api } from '../schemas/type-provider.ts';
import { campaignRoi } from '../../reports/campaign-roi.ts';
import type { ReportsContext } from '../../reports/context.ts';
import { actorOf } from '../auth/api-auth.ts';
import { CampaignIdParams } from '../schemas/campaigns-api.ts';
import { errorResponses } from '../schemas/common.ts';
import { sendOutcome } from './send-outcome.ts';

/** A campaign's attributed and incremental ROI (src/reports/campaign-roi.ts); every role may read. */

const Interval = Type.Object({ low: Type.Number(), high: Type.Number() });

export const CampaignRoiView = Type.Object({
  campaignId: Type.String(),
  attributed: Type.Object(
    {
      revenueCents: Type.Integer({ description: 'conversions attributed to the campaign, in fen' }),
      costCents: Type.Integer({ description: 'what the campaign spent (the stats’ total)' }),
      roi: Type.Union([Type.Number(), Type.Null()], {
        description: '(revenue − cost) / cost; null without cost',
      }),
    },
    { description: 'every order of a recipient in the window, the ones they would have made anyway too' },
  ),
  incremental: Type.Union(
    [
      Type.Object({
        treatedUsers: Type.Integer({ description: 'users sent a message (the lift report’s treatment)' }),
        holdoutUsers: Type.Integer({ description: 'users held out, not sent' }),
        revenuePerUserLift: Type.Number({ description: 'yuan per user: treated − holdout revenue per user' }),
        revenuePerUserCi: Interval,
        incrementalRevenueCents: Type.Integer({ description: 'revenuePerUserLift × treatedUsers, in fen' }),
        incrementalRevenueCiCents: Type.Object({ low: Type.Integer(), high: Type.Integer() }),
        costCents: Type.Integer(),
        roi: Type.Union([Type.Number(), Type.Null()], {
          description: '(incremental revenue − cost) / cost; null without cost',
        }),
        roiCi: Type.Union([Interval, Type.Null()]),
      }),
      Type.Null(),
    ],
    {
      description:
        'what the campaign added over its holdout (95 % bootstrap interval); null without a holdout',
    },
  ),
});

export const registerCampaignRoiRoutes = (app: Api, ctx: ReportsContext): void => {
  app.get<{ Params: { id: string } }>(
    '/v1/campaigns/:id/roi',
    {
      schema: {
        tags: ['reports'],
        security: [{ bearer: [] }],
        summary: 'Attributed ROI and incremental ROI over the holdout, with its interval',
        params: CampaignIdParams,
        response: { 200: CampaignRoiView, ...errorResponses },
      },
    },
    async (req, reply) => sendOutcome(reply, await campaignRoi(ctx, actorOf(req), req.params.id), (r) => r),
  );
};
