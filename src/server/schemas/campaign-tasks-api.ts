import { Type, type Static } from '@sinclair/typebox';
import { CampaignView } from './campaigns-api.ts';

/** Campaigns as tasks (issue 18): the copy answer and a campaign's progress (the detail page). */

const Iso = Type.String({ format: 'date-time' });
const Int = Type.Integer({ minimum: 0 });
const Rate = Type.Union([Type.Number(), Type.Null()], {
  description: 'a fraction (0.05 = 5 %); null: no base',
});
const Words = Type.Object(
  { zhCN: Type.String(), en: Type.String() },
  { description: 'in both console languages' },
);

export const CopyCampaignView = Type.Object({
  campaign: CampaignView,
  copiedFrom: Type.String({ description: 'the id of the campaign copied' }),
  scheduleReset: Type.Boolean({
    description:
      'the schedule was in the past: a one-off moved to a day from now, a passed end dropped; set it before submitting',
  }),
});

const Reason = Type.Object({
  reason: Type.String({ description: 'the code ("" when none was recorded)' }),
  count: Int,
  words: Words,
});

const InAppFunnel = Type.Union(
  [
    Type.Object({
      stored: Type.Integer({ minimum: 0, description: 'in-app messages put in users’ inboxes' }),
      read: Type.Integer({ minimum: 0, description: 'of them, marked read by the app' }),
      readRate: Type.Union([Type.Number(), Type.Null()], { description: 'read / stored' }),
    }),
    Type.Null(),
  ],
  {
    description:
      'in-app has no delivery receipt: `delivered` and `deliveredRate` leave it out; the inbox’s own figures (null: no in-app messages)',
  },
);

export const CampaignProgressView = Type.Object({
  campaignId: Type.String(),
  status: Type.String(),
  asOf: Iso,
  funnel: Type.Object(
    {
      planned: Int,
      sent: Int,
      delivered: Int,
      clicked: Int,
      converted: Type.Integer({ minimum: 0, description: 'distinct users who reached the goal' }),
      users: Type.Integer({ minimum: 0, description: 'distinct users a message reached' }),
      sentRate: Rate,
      deliveredRate: Rate,
      clickRate: Type.Union([Type.Number(), Type.Null()], { description: 'clicked / sent' }),
      conversionRate: Type.Union([Type.Number(), Type.Null()], { description: 'converted / users' }),
      inApp: InAppFunnel,
    },
    {
      description:
        'the same figures as GET /v1/campaigns/:id/stats (the warehouse, shipped every few seconds)',
    },
  ),
  waiting: Type.Integer({ minimum: 0, description: 'messages waiting in the outbox or being sent now' }),
  channels: Type.Array(
    Type.Object({
      channel: Type.String(),
      planned: Int,
      waiting: Int,
      sent: Int,
      delivered: Int,
      failed: Type.Integer({ minimum: 0, description: 'the provider’s receipt said it failed' }),
      dead: Type.Integer({ minimum: 0, description: 'given up before a provider took it, or cancelled' }),
      unknown: Int,
      failures: Type.Array(
        Type.Composite([
          Reason,
          Type.Object({
            kind: Type.Union([Type.Literal('dead'), Type.Literal('unknown'), Type.Literal('receipt')]),
          }),
        ]),
      ),
    }),
    { description: 'live, from the outbox' },
  ),
  skipped: Type.Object(
    { total: Int, reasons: Type.Array(Reason) },
    { description: 'users the planner left out, by reason' },
  ),
  holdout: Type.Object({ users: Int, share: Type.Number() }),
  snapshot: Type.Union([Type.Object({ members: Int, slotAt: Iso }), Type.Null()], {
    description: 'the latest run’s audience snapshot; null: never ran',
  }),
  runs: Type.Object({ count: Int, lastPlannedAt: Type.Union([Iso, Type.Null()]) }),
  trigger: Type.Union([Type.Object({ waiting: Int, sent: Int, holdout: Int, skipped: Int }), Type.Null()], {
    description: 'a triggered campaign’s queue by outcome; null for scheduled campaigns',
  }),
  nextSlot: Type.Union([
    Type.Object({
      at: Iso,
      localTime: Type.String({ description: 'HH:MM in the workspace’s time zone' }),
      timezone: Type.String(),
      inQuietHours: Type.Boolean(),
      sendsFrom: Type.Union([Type.String(), Type.Null()], {
        description: 'HH:MM the held messages start to go',
      }),
    }),
    Type.Null(),
  ]),
  budget: Type.Object({
    limitCents: Type.Union([Type.Integer(), Type.Null()]),
    spentCents: Type.Integer({ description: 'spent, as the campaign stats count it' }),
    committedCents: Type.Integer({
      description: 'spent plus what planned messages and open offers may yet cost',
    }),
    remainingCents: Type.Union([Type.Integer(), Type.Null()], {
      description: 'limit − committed; null: no budget',
    }),
  }),
  variants: Type.Array(
    Type.Object({
      variant: Type.String({ description: '"" = users in no variant' }),
      planned: Int,
      sent: Int,
      clicked: Int,
      ctr: Rate,
      users: Int,
      convertedUsers: Int,
      conversionRate: Rate,
    }),
  ),
});
export type CampaignProgressView = Static<typeof CampaignProgressView>;

export const CampaignTotalsView = Type.Object({
  campaigns: Type.Array(
    Type.Object({
      campaignId: Type.String(),
      sent: Type.Integer({ minimum: 0, description: 'messages a provider took' }),
      convertedUsers: Type.Integer({ minimum: 0, description: 'distinct users who reached the goal' }),
    }),
  ),
});
