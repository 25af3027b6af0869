import { Type, type Static } from '@sinclair/typebox';
import { EXPORT_COLUMNS_HELP } from '../../core/export/columns.ts';
import { documentedAs } from './common.ts';
import { Warnings } from './metadata-api.ts';

const Definition = documentedAs('AudienceNode', 'the audience tree (see the AudienceNode schema)');
const Name = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });
const Description = Type.String({ maxLength: 2000 });
const Id = Type.String({ minLength: 1, maxLength: 100 });

export const AudienceIdParams = Type.Object({ id: Id });

export const CreateAudienceBody = Type.Object(
  { name: Name, description: Type.Optional(Description), definition: Definition },
  { additionalProperties: false },
);
export type CreateAudienceBody = Static<typeof CreateAudienceBody>;

export const UpdateAudienceBody = Type.Object(
  {
    version: Type.Integer({
      minimum: 1,
      description: 'the version you edited; a stale one is refused (409)',
    }),
    name: Type.Optional(Name),
    description: Type.Optional(Description),
    definition: Type.Optional(Definition),
  },
  { additionalProperties: false },
);
export type UpdateAudienceBody = Static<typeof UpdateAudienceBody>;

export const ListAudiencesQuery = Type.Object({
  owner: Type.Optional(Type.Union([Type.Literal('me'), Type.Literal('any')], { default: 'any' })),
  search: Type.Optional(Type.String({ maxLength: 200 })),
});
export type ListAudiencesQuery = Static<typeof ListAudiencesQuery>;

export const Audience = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    description: Type.String(),
    definition: Type.Unknown({ description: 'the audience tree' }),
    owner: Type.Object({ id: Type.Integer(), name: Type.String() }),
    version: Type.Integer(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    warnings: Type.Optional(Warnings),
  },
  { $id: 'Audience' },
);
export type AudienceDto = Static<typeof Audience>;

const SampleSize = Type.Integer({ minimum: 0, maximum: 100, default: 20 });
const AsOf = Type.String({
  format: 'date-time',
  description: 'evaluate as of this instant (default: now); windows such as "last 30 days" end here',
});

export const PreviewQuery = Type.Object({ sample: Type.Optional(SampleSize), asOf: Type.Optional(AsOf) });
export type PreviewQuery = Static<typeof PreviewQuery>;

export const PreviewBody = Type.Object(
  { definition: Definition, sample: Type.Optional(SampleSize), asOf: Type.Optional(AsOf) },
  { additionalProperties: false },
);
export type PreviewBody = Static<typeof PreviewBody>;

export const Preview = Type.Object({
  count: Type.Integer({ description: 'members now (or as of `asOf`)' }),
  asOf: Type.String({ format: 'date-time' }),
  elapsedMs: Type.Number(),
  warnings: Warnings,
  sample: Type.Array(
    Type.Object({
      userId: Type.String(),
      registerTime: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
      acquisitionChannel: Type.Union([Type.String(), Type.Null()]),
      city: Type.Union([Type.String(), Type.Null()]),
      membership: Type.Union([Type.String(), Type.Null()]),
      balance: Type.Union([Type.Number(), Type.Null()]),
      phone: Type.Union([Type.String({ description: 'masked: 138****8000' }), Type.Null()]),
      email: Type.Union([Type.String({ description: 'masked: l***@example.com' }), Type.Null()]),
    }),
    { description: 'members in a stable pseudo-random order; contacts are always masked' },
  ),
});

export const SnapshotBody = Type.Object(
  {
    asOf: Type.Optional(AsOf),
    purpose: Type.Optional(Type.String({ maxLength: 200, description: 'e.g. `export`, `campaign:123`' })),
  },
  { additionalProperties: false },
);
export type SnapshotBody = Static<typeof SnapshotBody>;

export const Snapshot = Type.Object(
  {
    id: Type.String(),
    audienceId: Type.String(),
    audienceVersion: Type.Integer(),
    definition: Type.Unknown({ description: 'the tree as it was when the snapshot was taken' }),
    asOf: Type.String({ format: 'date-time', description: 'the instant the audience was evaluated at' }),
    takenAt: Type.String({ format: 'date-time', description: 'when the member list was written' }),
    memberCount: Type.Integer(),
    takenBy: Type.Union([Type.Integer(), Type.Null()]),
    purpose: Type.String(),
    membersPurgedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'when retention deleted the member list (docs/retention.md); null while it is kept',
    }),
  },
  { $id: 'Snapshot' },
);

export const SnapshotIdParams = Type.Object({ id: Id });

export const MembersQuery = Type.Object({
  after: Type.Optional(Type.String({ maxLength: 256, description: 'the last user id of the previous page' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 })),
});
export type MembersQuery = Static<typeof MembersQuery>;

export const Members = Type.Object({
  snapshotId: Type.String(),
  memberCount: Type.Integer(),
  userIds: Type.Array(Type.String()),
  next: Type.Union([Type.String(), Type.Null()], {
    description: 'pass as `after` for the next page; null at the end',
  }),
});

export const ExportQuery = Type.Object({
  columns: Type.Optional(
    Type.String({
      description: `comma-separated columns after user_id: ${EXPORT_COLUMNS_HELP} (a trait chosen by its key)`,
      maxLength: 2000,
    }),
  ),
  contacts: Type.Optional(
    Type.Union([Type.Literal('masked'), Type.Literal('clear'), Type.Literal('none')], {
      default: 'masked',
      description: '`clear` (phone numbers and e-mails as stored, for a call centre) needs the admin role',
    }),
  ),
  lang: Type.Optional(
    Type.Union([Type.Literal('zh-CN'), Type.Literal('en')], {
      default: 'zh-CN',
      description: 'language of `top_risk_reason` sentences',
    }),
  ),
});
export type ExportQuery = Static<typeof ExportQuery>;
