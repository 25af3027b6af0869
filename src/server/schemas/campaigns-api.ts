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

export const ReviewBody = Type.Object(
  {
    decision: Type.Union([Type.Literal('approve'), Type.Literal('reject')]),
    version: Type.Integer({ minimum: 1, description: 'the version you reviewed' }),
    note: Type.Optional(Type.String({ maxLength: 2000, description: 'required when rejecting' })),
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
