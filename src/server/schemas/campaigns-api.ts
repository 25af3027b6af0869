import { Type, type Static } from '@sinclair/typebox';
import { CAMPAIGN_STATUSES, CampaignDefinition } from '../../core/campaigns/schema.ts';

const Iso = Type.String({ format: 'date-time' });
const IsoOrNull = Type.Union([Iso, Type.Null()]);
const Status = Type.Union(CAMPAIGN_STATUSES.map((s) => Type.Literal(s)));

export const CampaignIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
export type CampaignIdParams = Static<typeof CampaignIdParams>;

export const CreateCampaignBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200 }), definition: CampaignDefinition },
  { additionalProperties: false },
);
export type CreateCampaignBody = Static<typeof CreateCampaignBody>;

export const UpdateCampaignBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    definition: Type.Optional(CampaignDefinition),
    version: Type.Integer({ minimum: 1, description: 'the version you edited (optimistic concurrency)' }),
  },
  { additionalProperties: false },
);
export type UpdateCampaignBody = Static<typeof UpdateCampaignBody>;

export const VersionBody = Type.Object(
  { version: Type.Optional(Type.Integer({ minimum: 1, description: 'the version you saw' })) },
  { additionalProperties: false },
);
export type VersionBody = Static<typeof VersionBody>;

/** An admin's override of the SMS content errors that block submit and approval (issue 17). */
export const ContentOverrideBody = Type.Object(
  {
    reason: Type.String({
      maxLength: 2000,
      description: 'why the SMS may go out despite its errors; stored, audited and shown to reviewers',
    }),
  },
  { additionalProperties: false },
);

export const SubmitBody = Type.Object(
  {
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'the version you saw' })),
    override: Type.Optional(ContentOverrideBody),
  },
  { additionalProperties: false },
);

export const ReviewBody = Type.Object(
  {
    decision: Type.Union([Type.Literal('approve'), Type.Literal('reject')]),
    version: Type.Integer({ minimum: 1, description: 'the version you reviewed' }),
    note: Type.Optional(Type.String({ maxLength: 2000, description: 'required when rejecting' })),
    override: Type.Optional(ContentOverrideBody),
  },
  { additionalProperties: false },
);
export type ReviewBody = Static<typeof ReviewBody>;

export const ListCampaignsQuery = Type.Object({ status: Type.Optional(Status) });
export type ListCampaignsQuery = Static<typeof ListCampaignsQuery>;

export const CampaignView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  status: Status,
  version: Type.Integer(),
  definition: CampaignDefinition,
  owner: Type.Object({ id: Type.Integer(), name: Type.String() }),
  createdAt: Iso,
  updatedAt: Iso,
  submittedBy: Type.Union([Type.Integer(), Type.Null()]),
  submittedAt: IsoOrNull,
  approvedBy: Type.Union([Type.Integer(), Type.Null()]),
  approvedAt: IsoOrNull,
  approvedVersion: Type.Union([Type.Integer(), Type.Null()]),
  nextSlotAt: IsoOrNull,
  awaitingDelivery: Type.Boolean({
    description:
      'its last slot is planned and messages are still being sent: it stays running (pause and cancel still work) until the last message has an outcome, then finishes',
  }),
});

export const CampaignDetail = Type.Composite([
  CampaignView,
  Type.Object({
    reviews: Type.Array(
      Type.Object({
        version: Type.Integer(),
        decision: Type.String(),
        reviewer: Type.Object({ id: Type.Integer(), name: Type.String() }),
        at: Iso,
        note: Type.Union([Type.String(), Type.Null()]),
      }),
    ),
  }),
]);

export const CampaignList = Type.Object({ campaigns: Type.Array(CampaignView) });

export const PreviewBody = Type.Object(
  {
    userId: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'default: the first audience member' }),
    ),
  },
  { additionalProperties: false },
);
export type PreviewBody = Static<typeof PreviewBody>;

export const PreviewView = Type.Object({
  userId: Type.String(),
  offer: Type.Unknown({
    description: 'the offer as it would be issued to this user (the code is not a real one)',
  }),
  skipped: Type.Union([Type.String(), Type.Null()], {
    description: 'why delivery would not send to this user (e.g. no_recommendation), else null',
  }),
  preview: Type.Unknown({
    description: 'per channel: the rendered content, SMS encoding and segments, links, issues',
  }),
});

const share = (description: string) => Type.Number({ minimum: 0, maximum: 1, description });
export const EstimateBody = Type.Object(
  {
    conversionRate: share('expected share of recipients who convert with the campaign'),
    baselineConversionRate: share('share who would convert anyway (the holdout’s rate)'),
    averageOrderCents: Type.Number({
      minimum: 0,
      description: 'average order value of a conversion, in cents',
    }),
    marginRate: share('gross margin as a share of order value'),
    unsubscribeRate: Type.Optional(share('share of messages that make the recipient unsubscribe')),
    hidden: Type.Optional(
      Type.Object(
        {
          reachableUserValueCents: Type.Optional(Type.Number({ minimum: 0 })),
          complaintCostCents: Type.Optional(Type.Number({ minimum: 0 })),
          otherCents: Type.Optional(Type.Number({ minimum: 0 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type EstimateBody = Static<typeof EstimateBody>;

export const EstimateView = Type.Object({
  members: Type.Integer(),
  messages: Type.Integer(),
  holdout: Type.Integer(),
  skipped: Type.Integer(),
  skipReasons: Type.Record(Type.String(), Type.Integer()),
  byChannel: Type.Array(
    Type.Object({ channel: Type.String(), messages: Type.Integer(), priceCents: Type.Number() }),
  ),
  offer: Type.Union([
    Type.Object({
      issued: Type.Integer(),
      averageValueCents: Type.Number(),
      totalValueCents: Type.Integer({
        description: "every recipient's own offer value together: what the budget holds for them",
      }),
      byVariant: Type.Array(
        Type.Object({ variant: Type.String(), issued: Type.Integer(), totalValueCents: Type.Integer() }),
        { description: "per A/B variant: its recipients' offers (each variant's own in an offer test)" },
      ),
    }),
    Type.Null(),
  ]),
  reservedCents: Type.Integer({
    description:
      "what the plan would commit of the budgets: messages' prices plus each recipient's own offer",
  }),
  cost: Type.Unknown({
    description: 'direct (messages, offers), opportunity, hidden, total, expected revenue and ROI',
  }),
});

const GateIssueView = Type.Object({
  path: Type.String({ description: 'where in the definition, e.g. variants[1].content[0].text' }),
  variant: Type.Union([Type.String(), Type.Null()]),
  channel: Type.String(),
  field: Type.String(),
  code: Type.String({ description: 'blocked_word, link_spacing or sms_segments' }),
  index: Type.Optional(Type.Integer({ description: 'offset into the rendered field' })),
  word: Type.Optional(Type.String({ description: 'blocked_word: the word as listed' })),
  url: Type.Optional(Type.String({ description: 'link_spacing: the URL' })),
  segments: Type.Optional(Type.Integer({ description: 'sms_segments: the segments of the message' })),
  maxSegments: Type.Optional(Type.Integer({ description: "sms_segments: the campaign's limit" })),
  message: Type.String(),
});

export const ContentGateView = Type.Object({
  version: Type.Integer({ description: 'the campaign version checked' }),
  userId: Type.Union([Type.String(), Type.Null()], { description: 'the sample recipient rendered for' }),
  issues: Type.Array(GateIssueView),
  override: Type.Union([
    Type.Object({
      reason: Type.String(),
      by: Type.Object({ id: Type.Integer(), name: Type.String() }),
      at: Iso,
      issues: Type.Array(Type.String()),
    }),
    Type.Null(),
  ]),
  blocked: Type.Boolean({ description: 'submit / approval would be refused without an admin override' }),
});

export const BlockedWordBody = Type.Object(
  { word: Type.String({ minLength: 1, maxLength: 50 }) },
  { additionalProperties: false },
);

export const BlockedWordsView = Type.Object({
  defaults: Type.Array(Type.String(), { description: 'the built-in words for Chinese SMS' }),
  words: Type.Array(
    Type.Object({
      word: Type.String(),
      addedBy: Type.Union([Type.Object({ id: Type.Integer(), name: Type.String() }), Type.Null()]),
      addedAt: Iso,
    }),
    { description: "the workspace's own words" },
  ),
});
