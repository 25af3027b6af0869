import { Type } from '@sinclair/typebox';

/** The outbox view, dead letters and a user's planner decision (issue 17): response schemas. */

const IsoOrNull = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);
const WordsDto = Type.Object({ zhCN: Type.String(), en: Type.String() });

const Counts = {
  pending: Type.Integer({ description: 'waiting to be claimed (unexpanded batches included)' }),
  leased: Type.Integer({ description: 'claimed by a worker under a lease (sending)' }),
  sent: Type.Integer({ description: 'accepted by a provider (delivered and failed receipts included)' }),
  delivered: Type.Integer(),
  failed: Type.Integer({ description: 'the provider reported it undelivered' }),
  dead: Type.Integer({ description: 'dead letters: given up, with a reason' }),
  unknown: Type.Integer({ description: 'interrupted mid-send; never re-sent' }),
  oldestPendingDue: Type.Union([IsoOrNull], { description: 'the earliest due time of a pending message' }),
};
export const OutboxSummaryView = Type.Object({
  totals: Type.Object(Counts),
  rows: Type.Array(
    Type.Object({
      campaignId: Type.String(),
      campaignName: Type.Union([Type.String(), Type.Null()]),
      channel: Type.String(),
      ...Counts,
    }),
  ),
});

export const DeadLetterDto = Type.Object({
  ref: Type.String({ description: 'handle of the message for retrying it (the key names the user)' }),
  campaignId: Type.String(),
  campaignName: Type.Union([Type.String(), Type.Null()]),
  campaignStatus: Type.Union([Type.String(), Type.Null()]),
  runId: Type.String(),
  step: Type.String(),
  user: Type.String({ description: 'the user id, masked' }),
  channel: Type.String(),
  providerId: Type.Union([Type.String(), Type.Null()]),
  providerName: Type.Union([Type.String(), Type.Null()]),
  providerPinned: Type.Boolean({ description: 'the provider may hold it: only it may be tried again' }),
  attempts: Type.Integer(),
  reason: Type.Union([Type.String(), Type.Null()], { description: 'the dead reason code' }),
  reasonWords: WordsDto,
  lastError: Type.Union([Type.String(), Type.Null()], { description: "the provider's last answer" }),
  sendAt: IsoOrNull,
  deadAt: IsoOrNull,
  retry: Type.Object({ possible: Type.Boolean(), why: Type.Union([WordsDto, Type.Null()]) }),
});

const Text = Type.Union([Type.String(), Type.Null()]);

export const UserDecisionView = Type.Object({
  campaignId: Type.String(),
  campaignName: Type.String(),
  campaignStatus: Type.String(),
  userId: Type.String(),
  outcome: Type.Union([
    Type.Literal('sent'),
    Type.Literal('planned'),
    Type.Literal('not_delivered'),
    Type.Literal('holdout'),
    Type.Literal('skipped'),
    Type.Literal('not_considered'),
  ]),
  summary: WordsDto,
  notConsidered: Type.Array(Type.Object({ code: Type.String(), words: WordsDto }), {
    description:
      'why the user was never considered: user_unknown, campaign_not_run, not_in_audience, no_trigger, members_purged',
  }),
  messages: Type.Array(
    Type.Object({
      runId: Type.String(),
      step: Type.String(),
      channel: Type.String(),
      sendAt: IsoOrNull,
      status: Type.String(),
      words: WordsDto,
    }),
  ),
  decisions: Type.Array(
    Type.Object({
      runId: Type.String(),
      slotAt: IsoOrNull,
      decision: Type.String({ description: 'skipped or holdout' }),
      reason: Text,
      detail: Type.Union([Type.String(), Type.Null()], {
        description: 'the rule and channel, as the planner wrote it',
      }),
      words: WordsDto,
    }),
  ),
  triggers: Type.Array(
    Type.Object({
      eventAt: IsoOrNull,
      dueAt: IsoOrNull,
      status: Type.String(),
      reason: Text,
      words: Type.Union([WordsDto, Type.Null()]),
    }),
  ),
});
