import type { Api } from '../schemas/type-provider.ts';
import { copyCampaignAs } from '../../campaigns/copy.ts';
import type { CampaignContext } from '../../campaigns/campaigns.ts';
import { campaignListTotals, campaignProgress } from '../../reports/campaign-progress.ts';
import type { ReportsContext } from '../../reports/context.ts';
import { actorOf } from '../auth/api-auth.ts';
import { CampaignIdParams } from '../schemas/campaigns-api.ts';
import { CampaignProgressView, CampaignTotalsView, CopyCampaignView } from '../schemas/campaign-tasks-api.ts';
import { errorResponses } from '../schemas/common.ts';
import { campaignDto } from './campaigns.ts';
import { sendOutcome } from './send-outcome.ts';

const security = [{ bearer: [] }];
const tags = ['campaigns'];
const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

/** Campaigns as tasks (issue 18): copy a campaign, and its progress for the detail page. */
export const registerCampaignTaskRoutes = (app: Api, ctx: CampaignContext & ReportsContext): void => {
  app.post(
    '/v1/campaigns/:id/copy',
    {
      schema: {
        tags,
        security,
        summary:
          'Copy a campaign as your new draft named “<name> 副本”: the same content, audience, offer, schedule (reset when in the past), A/B and goal (operator, admin; audited)',
        params: CampaignIdParams,
        response: { 201: CopyCampaignView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      return sendOutcome(
        reply,
        await copyCampaignAs(ctx, actorOf(req), id),
        (v) => ({
          campaign: campaignDto(v.campaign),
          copiedFrom: v.copiedFrom,
          scheduleReset: v.scheduleReset,
        }),
        201,
      );
    },
  );

  app.get(
    '/v1/campaigns/:id/progress',
    {
      schema: {
        tags,
        security,
        summary:
          'A campaign’s progress in one answer: funnel, per-channel failures with causes, skip reasons, holdout, snapshot size, next slot (quiet hours), budget, A/B variants (every role)',
        params: CampaignIdParams,
        response: { 200: CampaignProgressView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      return sendOutcome(reply, await campaignProgress(ctx, actorOf(req), id), (p) => ({
        ...p,
        asOf: iso(p.asOf),
        snapshot: p.snapshot && { members: p.snapshot.members, slotAt: iso(p.snapshot.slotAt) },
        runs: { count: p.runs.count, lastPlannedAt: isoOrNull(p.runs.lastPlannedAt) },
        nextSlot: p.nextSlot && { ...p.nextSlot, at: iso(p.nextSlot.at) },
      }));
    },
  );

  app.get(
    '/v1/campaign-totals',
    {
      schema: {
        tags,
        security,
        summary:
          'Per campaign: messages sent and users converted so far, as the campaign stats count them (every role)',
        response: { 200: CampaignTotalsView, ...errorResponses },
      },
    },
    async (req, reply) =>
      sendOutcome(reply, await campaignListTotals(ctx, actorOf(req)), (campaigns) => ({ campaigns })),
  );
};
