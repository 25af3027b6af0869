import type { Api } from '../schemas/type-provider.ts';
import { audiencePortrait, type AudiencePortrait } from '../../audience/portrait.ts';
import type { AudienceContext } from '../../audience/saved-audiences.ts';
import { actorOf } from '../auth/api-auth.ts';
import { AudienceIdParams } from '../schemas/audience-api.ts';
import { Portrait, PortraitBody, PortraitQuery, type PortraitDto } from '../schemas/audience-portrait-api.ts';
import { errorResponses } from '../schemas/common.ts';
import { sendOutcome } from './send-outcome.ts';

const tags = ['audiences'];
const security = [{ bearer: [] }];
const DEFAULT_TOP = 8;

const portraitDto = (p: AudiencePortrait): PortraitDto => ({ ...p, asOf: new Date(p.asOf).toISOString() });

/** An audience's members by channel, city, lifecycle stage, RFM tier and churn risk level. */
export const registerAudiencePortraitRoutes = (app: Api, ctx: AudienceContext): void => {
  app.get(
    '/v1/audiences/:id/portrait',
    {
      schema: {
        tags,
        security,
        summary: 'A saved audience broken down by channel, city, stage, RFM tier and churn risk level',
        params: AudienceIdParams,
        querystring: PortraitQuery,
        response: { 200: Portrait, ...errorResponses },
      },
    },
    async (req, reply) => {
      const r = await audiencePortrait(
        ctx,
        actorOf(req),
        { id: req.params.id },
        req.query.top ?? DEFAULT_TOP,
      );
      return sendOutcome(reply, r, portraitDto);
    },
  );

  app.post(
    '/v1/audiences/portrait',
    {
      schema: {
        tags,
        security,
        summary: 'The portrait of a definition not saved yet',
        body: PortraitBody,
        response: { 200: Portrait, ...errorResponses },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const r = await audiencePortrait(ctx, actorOf(req), { definition: b.definition }, b.top ?? DEFAULT_TOP);
      return sendOutcome(reply, r, portraitDto);
    },
  );
};
