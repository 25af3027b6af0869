import { Type, type Static } from '@sinclair/typebox';
import { CHANNELS, MESSAGE_CLASSES } from '../channels/channels.ts';
import '../formats.ts';
import { Ladder } from '../strategies/ladder.ts';
import { BestItemRecommendation } from '../recommend/schema.ts';

/**
 * A campaign (reach task, features.md D1–D6) as the API takes it. These TypeBox schemas are the
 * request validation, the TypeScript types and the OpenAPI documentation. Money is in integer
 * cents (fen).
 */

export const ChannelName = Type.Union(
  CHANNELS.map((c) => Type.Literal(c)),
  { description: 'push · in_app · email · sms · wecom · call · webhook' },
);

const Iso = Type.String({ format: 'date-time', description: 'ISO-8601 instant' });

export const OneOffTiming = Type.Object(
  { kind: Type.Literal('one_off'), at: Iso },
  { additionalProperties: false, description: 'once, at an instant' },
);
export const PeriodicTiming = Type.Object(
  {
    kind: Type.Literal('periodic'),
    cron: Type.String({
      minLength: 9,
      maxLength: 100,
      description: 'five-field cron (minute hour day-of-month month day-of-week), e.g. `0 9 * * *`',
    }),
    timezone: Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone, e.g. Asia/Shanghai' }),
    startAt: Type.Optional(Iso),
    endAt: Type.Optional(Iso),
  },
  { additionalProperties: false, description: 'on a cron schedule in a time zone' },
);
export const TriggeredTiming = Type.Object(
  {
    kind: Type.Literal('triggered'),
    event: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'the event (or state-change event such as tier_changed, warning_raised) that starts it',
    }),
    where: Type.Optional(
      Type.Record(
        Type.String({ maxLength: 100 }),
        Type.Union([Type.String(), Type.Number(), Type.Boolean()]),
        {
          description: 'property equalities the event must have, e.g. {"to": "low"}',
        },
      ),
    ),
    delayMinutes: Type.Integer({ minimum: 0, maximum: 43_200, default: 0 }),
    unlessEvent: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'skip the user if this event happened within the delay (e.g. order dispatched)',
      }),
    ),
  },
  {
    additionalProperties: false,
    description: 'for each user, when an event arrives (optionally after a delay)',
  },
);
export const Timing = Type.Union([OneOffTiming, PeriodicTiming, TriggeredTiming]);
export type Timing = Static<typeof Timing>;

export const Variant = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 40, pattern: '^[A-Za-z0-9_-]+$' }),
    weight: Type.Number({ exclusiveMinimum: 0, maximum: 1000 }),
    /** Per-variant content replacing the campaign's for the channels it names. */
    content: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 7 })),
    offer: Type.Optional(
      Type.Unknown({
        description:
          "this variant's own offer (see Offer), or null: its users get no offer (an offer test); absent: the campaign's offer",
      }),
    ),
    channels: Type.Optional(
      Type.Array(ChannelName, {
        minItems: 1,
        maxItems: 7,
        description:
          'a channel test: users in this variant are reached only on these channels (some of the campaign’s), in this order',
      }),
    ),
  },
  { additionalProperties: false },
);

export const Goal = Type.Object(
  {
    event: Type.String({ minLength: 1, maxLength: 200, description: 'the conversion event, e.g. order' }),
    withinDays: Type.Number({ exclusiveMinimum: 0, maximum: 90, default: 3 }),
  },
  { additionalProperties: false },
);

export const CampaignDefinition = Type.Object(
  {
    audienceId: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'a saved audience, snapshotted at each run',
    }),
    class: Type.Union(
      MESSAGE_CLASSES.map((c) => Type.Literal(c)),
      { default: 'marketing' },
    ),
    timing: Timing,
    channels: Type.Array(ChannelName, {
      minItems: 1,
      maxItems: CHANNELS.length,
      uniqueItems: true,
      description:
        'channels in order of preference; a user gets one of them (their preferred one if allowed)',
    }),
    content: Type.Array(Type.Unknown(), {
      minItems: 1,
      maxItems: CHANNELS.length,
      description: 'one content object per channel (see ChannelContent)',
    }),
    offer: Type.Optional(Type.Unknown({ description: 'an offer issued to each recipient (see Offer)' })),
    goal: Type.Optional(Goal),
    priority: Type.Integer({
      minimum: 0,
      maximum: 100,
      default: 50,
      description: 'higher wins a same-slot conflict',
    }),
    category: Type.String({ minLength: 1, maxLength: 40, default: 'recall' }),
    department: Type.Optional(Type.String({ minLength: 1, maxLength: 80 })),
    budgetCents: Type.Optional(Type.Integer({ minimum: 0, description: 'never overspent; null: no budget' })),
    variants: Type.Array(Variant, { maxItems: 10, default: [] }),
    holdoutShare: Type.Number({ minimum: 0, maximum: 0.5, default: 0.1 }),
    reEligibilityDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 365 })),
    // A recall strategy: the first step, then non-responders worth the next channel (features.md D6).
    ladder: Type.Optional(Ladder),
    // Each recipient's best catalog item as `item` in the templates (features.md H2, docs/automation.md).
    recommendation: Type.Optional(BestItemRecommendation),
    // Content gate (issue 17): an SMS longer than this many billed segments blocks submit and approval.
    smsMaxSegments: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 10,
        description: 'most SMS segments (signature + rendered text) a message may take; default 3',
      }),
    ),
    outsideWindow: Type.Union([Type.Literal('hold'), Type.Literal('drop')], {
      default: 'hold',
      description:
        'a user in quiet hours or outside the channel’s send window: hold to the next allowed time, or drop',
    }),
  },
  { additionalProperties: false },
);
export type CampaignDefinition = Static<typeof CampaignDefinition>;

export const CAMPAIGN_STATUSES = [
  'draft',
  'pending_review',
  'approved',
  'scheduled',
  'running',
  'paused',
  'finished',
  'cancelled',
] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];
