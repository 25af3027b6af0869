import { Type } from '@sinclair/typebox';
import type { Api } from '../schemas/type-provider.ts';
import {
  cancelCampaignAs,
  createCampaignAs,
  getCampaignAs,
  listCampaignsAs,
  pauseCampaignAs,
  resumeCampaignAs,
  reviewCampaignAs,
  submitCampaignAs,
  updateCampaignAs,
  type CampaignContext,
} from '../../campaigns/campaigns.ts';
import { estimateCampaignAs, previewCampaignAs, type EstimateContext } from '../../campaigns/estimate.ts';
import { redeemOfferAs } from '../../campaigns/offers.ts';
import type { CampaignRecord, CampaignReview } from '../../storage/control/campaigns.ts';
import { actorOf } from '../auth/api-auth.ts';
import {
  CampaignDetail,
  CampaignIdParams,
  CampaignList,
  CampaignView,
  CreateCampaignBody,
  EstimateBody,
  EstimateView,
  PreviewBody,
  PreviewView,
  ListCampaignsQuery,
  ReviewBody,
  SubmitBody,
  UpdateCampaignBody,
  ContentGateView,
  BlockedWordBody,
  BlockedWordsView,
} from '../schemas/campaigns-api.ts';
import { addBlockedWordAs, listBlockedWordsAs, removeBlockedWordAs } from '../../campaigns/blocked-words.ts';
import { contentGateAs } from '../../campaigns/content-gate-service.ts';
import { errorResponses } from '../schemas/common.ts';
import { sendOutcome } from './send-outcome.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export const campaignDto = (c: CampaignRecord) => ({
  id: c.id,
  name: c.name,
  status: c.status,
  version: c.version,
  definition: c.definition,
  owner: { id: c.ownerId, name: c.ownerName },
  createdAt: iso(c.createdAt),
  updatedAt: iso(c.updatedAt),
  submittedBy: c.submittedBy,
  submittedAt: isoOrNull(c.submittedAt),
  approvedBy: c.approvedBy,
  approvedAt: isoOrNull(c.approvedAt),
  approvedVersion: c.approvedVersion,
  nextSlotAt: isoOrNull(c.nextSlotAt),
  awaitingDelivery: c.awaitingDelivery,
});

const reviewDto = (r: CampaignReview) => ({
  version: r.version,
  decision: r.decision,
  reviewer: { id: r.reviewerId, name: r.reviewerName },
  at: iso(r.at),
  note: r.note,
});

const security = [{ bearer: [] }];
const tags = ['campaigns'];
const one = { 200: CampaignView, ...errorResponses };

/** Campaigns (features.md D1, D7): CRUD, submit, review (four eyes), pause / resume / cancel. */
export const registerCampaignRoutes = (app: Api, ctx: CampaignContext & EstimateContext): void => {
  app.post(
    '/v1/campaigns/:id/preview',
    {
      schema: {
        tags,
        security,
        summary:
          'The content rendered for a sample user (contacts masked), with SMS segments, links and content issues',
        params: CampaignIdParams,
        body: PreviewBody,
        response: { 200: PreviewView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const { userId } = req.body;
      return sendOutcome(reply, await previewCampaignAs(ctx, actorOf(req), id, { userId }), (v) => v);
    },
  );

  app.post(
    '/v1/offers/:code/redeem',
    {
      schema: {
        tags,
        security,
        summary:
          'Report that a user redeemed an issued offer (coupon, red packet, points); books its cost at redemption; idempotent (operator, admin)',
        params: Type.Object({ code: Type.String({ minLength: 4, maxLength: 64 }) }),
        response: {
          200: Type.Object({
            code: Type.String(),
            campaignId: Type.String(),
            userId: Type.String(),
            valueCents: Type.Integer(),
            costAtIssue: Type.Integer(),
            costAtRedemption: Type.Integer(),
            redeemedAt: Type.String({ format: 'date-time' }),
            alreadyRedeemed: Type.Boolean(),
          }),
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const { code } = req.params;
      return sendOutcome(reply, await redeemOfferAs(ctx, actorOf(req), code), (v) => ({
        ...v,
        redeemedAt: new Date(v.redeemedAt).toISOString(),
      }));
    },
  );

  app.post(
    '/v1/campaigns/:id/estimate',
    {
      schema: {
        tags,
        security,
        summary:
          'Cost calculator before launch: a dry run of the planner over today’s audience, then direct, opportunity and hidden costs and the expected ROI (operator, reviewer, admin)',
        params: CampaignIdParams,
        body: EstimateBody,
        response: { 200: EstimateView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      return sendOutcome(reply, await estimateCampaignAs(ctx, actorOf(req), id, req.body), (v) => v);
    },
  );

  app.get(
    '/v1/campaigns',
    {
      schema: {
        tags,
        security,
        summary: 'Campaigns, most recently changed first',
        querystring: ListCampaignsQuery,
        response: { 200: CampaignList, ...errorResponses },
      },
    },
    async (req, reply) => {
      const q = req.query;
      return sendOutcome(reply, await listCampaignsAs(ctx, actorOf(req), { status: q.status }), (cs) => ({
        campaigns: cs.map(campaignDto),
      }));
    },
  );

  app.post(
    '/v1/campaigns',
    {
      schema: {
        tags,
        security,
        summary: 'Create a campaign as a draft (operator, admin)',
        body: CreateCampaignBody,
        response: { 201: CampaignView, ...errorResponses },
      },
    },
    async (req, reply) =>
      sendOutcome(reply, await createCampaignAs(ctx, actorOf(req), req.body), campaignDto, 201),
  );

  app.get(
    '/v1/campaigns/:id',
    {
      schema: {
        tags,
        security,
        summary: 'A campaign with its review history',
        params: CampaignIdParams,
        response: { 200: CampaignDetail, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      return sendOutcome(reply, await getCampaignAs(ctx, actorOf(req), id), (d) => ({
        ...campaignDto(d.campaign),
        reviews: d.reviews.map(reviewDto),
      }));
    },
  );

  app.patch(
    '/v1/campaigns/:id',
    {
      schema: {
        tags,
        security,
        summary: 'Edit a campaign (owner or admin); an edit after approval sends it back to review',
        params: CampaignIdParams,
        body: UpdateCampaignBody,
        response: one,
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      return sendOutcome(reply, await updateCampaignAs(ctx, actorOf(req), id, req.body), campaignDto);
    },
  );

  app.post(
    '/v1/campaigns/:id/submit',
    {
      schema: {
        tags,
        security,
        summary:
          'Send a draft to review (owner or admin). SMS errors (blocked word, unspaced link, too many segments) refuse it unless an admin gives `override.reason`',
        params: CampaignIdParams,
        body: SubmitBody,
        response: one,
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const { version, override } = req.body;
      return sendOutcome(
        reply,
        await submitCampaignAs(ctx, actorOf(req), id, version, override),
        campaignDto,
      );
    },
  );

  app.get(
    '/v1/campaigns/:id/content-gate',
    {
      schema: {
        tags,
        security,
        summary:
          'The SMS errors that block submit and approval, rendered for a sample recipient, and the admin override of this version (reason, who, when) if any',
        params: CampaignIdParams,
        response: { 200: ContentGateView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      return sendOutcome(reply, await contentGateAs(ctx, actorOf(req), id), (g) => ({
        ...g,
        override: g.override && {
          reason: g.override.reason,
          by: g.override.by,
          at: iso(g.override.at),
          issues: g.override.issues,
        },
      }));
    },
  );

  app.get(
    '/v1/content/blocked-words',
    {
      schema: {
        tags,
        security,
        summary: "Blocked words for SMS: the built-in ones and the workspace's own",
        response: { 200: BlockedWordsView, ...errorResponses },
      },
    },
    async (req, reply) =>
      sendOutcome(reply, await listBlockedWordsAs(ctx, actorOf(req)), (v) => ({
        defaults: [...v.defaults],
        words: v.words.map((w) => ({ ...w, addedAt: iso(w.addedAt) })),
      })),
  );

  app.post(
    '/v1/content/blocked-words',
    {
      schema: {
        tags,
        security,
        summary: 'Block a word in this workspace’s SMS (admin, reviewer; audited)',
        body: BlockedWordBody,
        response: {
          201: Type.Object({
            word: Type.String(),
            addedBy: Type.Union([Type.Object({ id: Type.Integer(), name: Type.String() }), Type.Null()]),
            addedAt: Type.String({ format: 'date-time' }),
          }),
          ...errorResponses,
        },
      },
    },
    async (req, reply) =>
      sendOutcome(
        reply,
        await addBlockedWordAs(ctx, actorOf(req), req.body),
        (w) => ({ ...w, addedAt: iso(w.addedAt) }),
        201,
      ),
  );

  app.delete(
    '/v1/content/blocked-words/:word',
    {
      schema: {
        tags,
        security,
        summary: 'Unblock one of the workspace’s own words (admin, reviewer; audited)',
        params: Type.Object({ word: Type.String({ minLength: 1, maxLength: 50 }) }),
        response: { 200: Type.Object({ word: Type.String() }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { word } = req.params;
      return sendOutcome(reply, await removeBlockedWordAs(ctx, actorOf(req), word), (v) => v);
    },
  );

  app.post(
    '/v1/campaigns/:id/review',
    {
      schema: {
        tags,
        security,
        summary:
          'Approve (schedules it) or reject (back to draft, with a note) the version you reviewed (reviewer, admin; never your own campaign)',
        params: CampaignIdParams,
        body: ReviewBody,
        response: one,
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      return sendOutcome(reply, await reviewCampaignAs(ctx, actorOf(req), id, req.body), campaignDto);
    },
  );

  for (const [verb, run, who] of [
    ['pause', pauseCampaignAs, 'owner, reviewer or admin'],
    ['resume', resumeCampaignAs, 'owner or admin; refused if edited since approval'],
    ['cancel', cancelCampaignAs, 'owner or admin'],
  ] as const) {
    app.post(
      `/v1/campaigns/:id/${verb}`,
      {
        schema: {
          tags,
          security,
          summary: `${verb[0]?.toUpperCase()}${verb.slice(1)} a campaign (${who})`,
          params: CampaignIdParams,
          response: one,
        },
      },
      async (req, reply) => {
        const { id } = req.params;
        return sendOutcome(reply, await run(ctx, actorOf(req), id), campaignDto);
      },
    );
  }
};
