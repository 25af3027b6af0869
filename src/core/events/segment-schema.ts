import { FormatRegistry, Type, type Static } from '@sinclair/typebox';
import { parseTimestamp } from './timestamp.ts';

/**
 * Segment-spec payloads (https://segment.com/docs/connections/spec/). These schemas are the
 * request validation, the TypeScript types and the OpenAPI documentation at once.
 */

const isoDate = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
if (!FormatRegistry.Has('rekindle-date-time')) {
  FormatRegistry.Set('rekindle-date-time', (v) => isoDate.test(v) && !Number.isNaN(parseTimestamp(v)));
}

export const MAX_ID_LENGTH = 256;
export const MAX_EVENT_NAME_LENGTH = 200;

const Id = Type.Union([Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH }), Type.Number()]);
const Timestamp = Type.String({ format: 'rekindle-date-time', description: 'ISO-8601 date-time' });
const Money = Type.Number({ description: 'A finite number' });

const Common = {
  messageId: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH })),
  userId: Type.Optional(Id),
  anonymousId: Type.Optional(Id),
  timestamp: Type.Optional(Timestamp),
  originalTimestamp: Type.Optional(Timestamp),
  sentAt: Type.Optional(Timestamp),
  context: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  integrations: Type.Optional(Type.Unknown()),
};

export const TrackProperties = Type.Object(
  {
    amount: Type.Optional(Money),
    revenue: Type.Optional(Money),
    total: Type.Optional(Money),
    currency: Type.Optional(Type.String({ minLength: 3, maxLength: 3 })),
    product_id: Type.Optional(Id),
    productId: Type.Optional(Id),
    category: Type.Optional(Type.String({ maxLength: MAX_ID_LENGTH })),
    order_id: Type.Optional(Id),
    orderId: Type.Optional(Id),
    platform: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: true },
);

export const TrackPayload = Type.Object(
  {
    type: Type.Optional(Type.Literal('track')),
    event: Type.String({ minLength: 1, maxLength: MAX_EVENT_NAME_LENGTH }),
    properties: Type.Optional(TrackProperties),
    ...Common,
  },
  { additionalProperties: true, $id: 'TrackPayload' },
);
export type TrackPayload = Static<typeof TrackPayload>;

export const IdentifyPayload = Type.Object(
  {
    type: Type.Optional(Type.Literal('identify')),
    traits: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    ...Common,
  },
  { additionalProperties: true, $id: 'IdentifyPayload' },
);
export type IdentifyPayload = Static<typeof IdentifyPayload>;

const PageLike = (type: 'page' | 'screen', id: string) =>
  Type.Object(
    {
      type: Type.Optional(Type.Literal(type)),
      name: Type.Optional(Type.String({ maxLength: MAX_EVENT_NAME_LENGTH })),
      category: Type.Optional(Type.String({ maxLength: MAX_ID_LENGTH })),
      properties: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      ...Common,
    },
    { additionalProperties: true, $id: id },
  );

/** Stored as the event `page` (properties keep `name`, `category` and the page's properties). */
export const PagePayload = PageLike('page', 'PagePayload');
export type PagePayload = Static<typeof PagePayload>;
/** Stored as the event `screen`, like a page. */
export const ScreenPayload = PageLike('screen', 'ScreenPayload');
export type ScreenPayload = Static<typeof ScreenPayload>;

/** Stored as the event `group` (`groupId` and the group's `traits` in properties) and the trait `group_id`. */
export const GroupPayload = Type.Object(
  {
    type: Type.Optional(Type.Literal('group')),
    groupId: Id,
    traits: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    ...Common,
  },
  { additionalProperties: true, $id: 'GroupPayload' },
);
export type GroupPayload = Static<typeof GroupPayload>;

/** `previousId` becomes the same user as `userId` (identity stitching); stored as the event `alias`. */
export const AliasPayload = Type.Object(
  {
    type: Type.Optional(Type.Literal('alias')),
    ...Common,
    previousId: Id,
    userId: Id,
  },
  { additionalProperties: true, $id: 'AliasPayload' },
);
export type AliasPayload = Static<typeof AliasPayload>;

export const BatchPayload = Type.Object(
  {
    batch: Type.Array(Type.Unknown(), {
      description: 'track / identify / page / screen / group / alias messages, each with `type`',
    }),
    context: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    sentAt: Type.Optional(Type.String()),
  },
  { additionalProperties: true, $id: 'BatchPayload' },
);
export type BatchPayload = Static<typeof BatchPayload>;

export const IngestResponse = Type.Object(
  {
    success: Type.Boolean({ description: 'true when every record was stored' }),
    accepted: Type.Integer(),
    duplicates: Type.Integer({ description: 'records whose messageId was already stored' }),
    rejected: Type.Integer(),
    errors: Type.Array(Type.Object({ index: Type.Integer(), field: Type.String(), reason: Type.String() }), {
      description: 'one entry per problem: batch index, field path, reason',
    }),
  },
  { $id: 'IngestResponse' },
);
export type IngestResponse = Static<typeof IngestResponse>;
