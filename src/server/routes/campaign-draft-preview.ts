import { Type } from '@sinclair/typebox';
import { previewDraftAs } from '../../campaigns/draft-preview.ts';
import type { EstimateContext } from '../../campaigns/estimate.ts';
import type { CampaignContext } from '../../campaigns/campaigns.ts';
import { actorOf } from '../auth/api-auth.ts';
import { errorResponses } from '../schemas/common.ts';
import type { Api } from '../schemas/type-provider.ts';
import { sendOutcome } from './send-outcome.ts';

const DraftPreviewBody = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 200 })),
    audienceId: Type.Optional(Type.String({ maxLength: 64, description: 'render for its first member' })),
    userId: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'a member to render for' }),
    ),
    offer: Type.Optional(Type.Unknown({ description: 'the offer as in a campaign (see Offer)' })),
    itemOffers: Type.Optional(
      Type.Array(Type.Unknown(), {
        maxItems: 80,
        description:
          'per content object, an A/B variant’s own offer: null for none, absent (or shorter list) for `offer`',
      }),
    ),
    content: Type.Array(Type.Unknown(), {
      minItems: 1,
      maxItems: 80,
      description: 'content objects (see ChannelContent), each rendered on its own (a variant’s too)',
    }),
  },
  { additionalProperties: false },
);

const DraftPreviewView = Type.Object({
  userId: Type.Union([Type.String(), Type.Null()], {
    description: 'the sample member; null when the audience is not set or has no members',
  }),
  items: Type.Array(
    Type.Object({
      preview: Type.Unknown({
        description: 'the channel preview (rendered content, SMS segments, links, issues); null if invalid',
      }),
      problems: Type.Array(Type.Object({ path: Type.String(), message: Type.String() })),
    }),
  ),
});

/** Unsaved contents rendered for a sample member of the chosen audience (the campaign editor's checks). */
export const registerCampaignDraftPreviewRoute = (app: Api, ctx: CampaignContext & EstimateContext): void => {
  app.post(
    '/v1/campaigns/draft-preview',
    {
      schema: {
        tags: ['campaigns'],
        security: [{ bearer: [] }],
        summary:
          'Render unsaved contents for a sample member of an audience (nothing stored): what the editor checks SMS rules on',
        body: DraftPreviewBody,
        response: { 200: DraftPreviewView, ...errorResponses },
      },
    },
    async (req, reply) => sendOutcome(reply, await previewDraftAs(ctx, actorOf(req), req.body), (v) => v),
  );
};
