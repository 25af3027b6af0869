import { Type, type Static } from '@sinclair/typebox';
import { CHANNELS } from '../channels/channels.ts';
import { ChannelName } from './schema.ts';

/**
 * The workspace's anti-disturbance policy (features.md E1, E3, E4) as an admin edits it. Budgets and
 * channel quotas are separate: they are counters the planner reserves against.
 */
const Clock = Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', description: 'local time HH:MM' });
const LocalWindow = Type.Object({ start: Clock, end: Clock }, { additionalProperties: false });

export const CapRule = Type.Object(
  {
    scope: Type.Union([Type.Literal('total'), ChannelName], { description: 'every channel, or one' }),
    max: Type.Integer({ minimum: 0, maximum: 1000 }),
    window: Type.Union([
      Type.Object(
        { kind: Type.Literal('rolling'), hours: Type.Integer({ minimum: 1, maximum: 8784 }) },
        { additionalProperties: false },
      ),
      Type.Object(
        {
          kind: Type.Literal('calendar'),
          unit: Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')], {
            description: 'in the user’s time zone; weeks start on Monday',
          }),
        },
        { additionalProperties: false },
      ),
    ]),
  },
  { additionalProperties: false },
);

export const PolicySettings = Type.Object(
  {
    caps: Type.Array(CapRule, { maxItems: 50 }),
    quietHours: Type.Union([LocalWindow, Type.Null()], {
      description: 'no marketing sends between start and end in the user’s time zone (may wrap midnight)',
    }),
    sendWindows: Type.Partial(
      Type.Object(Object.fromEntries(CHANNELS.map((c) => [c, Type.Array(LocalWindow, { maxItems: 8 })]))),
      { description: 'per channel, the local times it may send in (absent: any time outside quiet hours)' },
    ),
    defaultTimezone: Type.String({ minLength: 1, maxLength: 64 }),
    maxMarketingPerSlot: Type.Integer({ minimum: 1, maximum: 10 }),
    globalControlShare: Type.Optional(
      Type.Union([Type.Literal(0), Type.Number({ minimum: 0.01, maximum: 0.15 })], {
        description:
          'share of all users kept out of every marketing campaign (the global control group, SPEC G3): 0 or 0.01–0.15',
      }),
    ),
    quietSpreadMinutes: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 720,
        description:
          'messages held by quiet hours / send windows go out spread over this many minutes from the window start, a stable minute per user (0: all at the start; absent: 120)',
      }),
    ),
    marketingGapHours: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 168,
        description:
          'at least this many hours between two marketing messages of different campaigns to one user: a later one is deferred (campaigns that hold) or skipped (0: no gap; absent: 4)',
      }),
    ),
    unreachableRegions: Type.Optional(
      Type.Partial(
        Type.Object(
          Object.fromEntries(
            CHANNELS.map((c) => [
              c,
              Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 500 }),
            ]),
          ),
          { additionalProperties: false },
        ),
        {
          description:
            'per channel, regions it cannot reach (e.g. calls to some provinces fail): matched exactly against the profile’s city, or its traits province / region; users there are skipped on that channel and a ladder moves to its next step',
        },
      ),
    ),
  },
  { additionalProperties: false },
);
export type PolicySettings = Static<typeof PolicySettings>;

/** Held messages spread over the first two hours of the allowed window (features.md E4). */
export const DEFAULT_QUIET_SPREAD_MINUTES = 120;
/** Two marketing messages of different campaigns at least four hours apart. */
export const DEFAULT_MARKETING_GAP_HOURS = 4;

/**
 * Defaults for a Chinese consumer app: at most one marketing message a day and three a week,
 * SMS twice a week, a call once a month; nothing between 22:00 and 08:00; calls only in office
 * hours outside lunch (high pick-up, lowest conversion).
 */
export const DEFAULT_POLICY: PolicySettings = {
  caps: [
    { scope: 'total', max: 1, window: { kind: 'calendar', unit: 'day' } },
    { scope: 'total', max: 3, window: { kind: 'calendar', unit: 'week' } },
    { scope: 'sms', max: 2, window: { kind: 'rolling', hours: 168 } },
    { scope: 'call', max: 1, window: { kind: 'rolling', hours: 720 } },
  ],
  quietHours: { start: '22:00', end: '08:00' },
  sendWindows: {
    call: [
      { start: '09:30', end: '11:30' },
      { start: '14:00', end: '18:00' },
    ],
  },
  defaultTimezone: 'Asia/Shanghai',
  maxMarketingPerSlot: 1,
  quietSpreadMinutes: DEFAULT_QUIET_SPREAD_MINUTES,
  marketingGapHours: DEFAULT_MARKETING_GAP_HOURS,
};
