import { Type, type Static } from '@sinclair/typebox';

const Iso = Type.String({ format: 'date-time' });
const IsoOrNull = Type.Union([Iso, Type.Null()]);
const NumOrNull = Type.Union([Type.Number(), Type.Null()]);
const StrOrNull = Type.Union([Type.String(), Type.Null()]);

export const ActivityQuery = Type.Object({
  weeks: Type.Optional(Type.Integer({ minimum: 1, maximum: 104, default: 26 })),
  activeDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 365, default: 7 })),
  churnDays: Type.Optional(
    Type.Integer({ minimum: 2, maximum: 730, default: 30, description: 'no event for this long: churned' }),
  ),
});
export type ActivityQuery = Static<typeof ActivityQuery>;

export const ActivityView = Type.Object({
  activeDays: Type.Integer(),
  churnDays: Type.Integer(),
  points: Type.Array(
    Type.Object({ at: Iso, active: Type.Integer(), silent: Type.Integer(), churned: Type.Integer() }),
    { description: 'one per week end, oldest first' },
  ),
});

export const RiskView = Type.Object({
  scored: Type.Integer(),
  bins: Type.Array(Type.Object({ from: Type.Number(), to: Type.Number(), users: Type.Integer() }), {
    description: 'risk score 0–100 in bins of ten points; the last bin includes 100',
  }),
  levels: Type.Array(Type.Object({ level: Type.String(), users: Type.Integer() })),
});

export const FunnelQuery = Type.Object({
  days: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 365,
      description: 'the last days up to now (default 30); older callers — use from/to',
    }),
  ),
  from: Type.Optional(
    Type.String({ minLength: 1, maxLength: 32, description: 'first day (YYYY-MM-DD), included' }),
  ),
  to: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 32,
      description: 'last day (YYYY-MM-DD), included (today: up to now); default today',
    }),
  ),
  timeZone: Type.Optional(
    Type.String({ minLength: 1, maxLength: 64, description: 'IANA zone of the days; default Asia/Shanghai' }),
  ),
});
export type FunnelQuery = Static<typeof FunnelQuery>;

export const FunnelView = Type.Object({
  since: Iso,
  until: Iso,
  range: Type.Union([
    Type.Object({ from: Type.String(), to: Type.String(), timeZone: Type.String() }),
    Type.Null(),
  ]),
  statuses: Type.Array(Type.Object({ status: Type.String(), messages: Type.Integer() })),
  recipients: Type.Integer(),
  conversions: Type.Integer(),
  revenue: Type.Number({ description: 'as stored on conversions (order amounts)' }),
  cost: Type.Number({ description: 'yuan spent: messages sent, offers issued / redeemed, bonuses granted' }),
  messageCost: Type.Number(),
  offerCost: Type.Number(),
  messagesCostCents: Type.Integer({ description: 'messages a provider took, at their price' }),
  offersIssuedCostCents: Type.Integer({
    description: 'offers booked at issue whose message went out, at their issued value',
  }),
  offersRedeemedCostCents: Type.Integer({
    description: 'offers booked at redemption that were redeemed, at their redeemed value',
  }),
  offersBonusCostCents: Type.Integer({ description: 'conditional bonuses granted' }),
  costCents: Type.Integer({ description: 'what was spent (never a reservation)' }),
  roi: Type.Union([Type.Number(), Type.Null()], {
    description: '(revenue − cost) / cost; null without cost',
  }),
});

export const ConsoleUserParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 256 }) });
export type ConsoleUserParams = Static<typeof ConsoleUserParams>;
export const ConsoleUserQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
});
export type ConsoleUserQuery = Static<typeof ConsoleUserQuery>;

export const ConsoleUserView = Type.Object({
  userId: Type.String(),
  profile: Type.Record(
    Type.String(),
    Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]),
    {
      description: 'profile columns; phone and email masked, no push token',
    },
  ),
  scores: Type.Union([
    Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Null()])),
    Type.Null(),
  ]),
  events: Type.Array(
    Type.Object({
      event: Type.String(),
      ts: IsoOrNull,
      amount: NumOrNull,
      category: StrOrNull,
      platform: StrOrNull,
    }),
  ),
  messages: Type.Array(
    Type.Object({
      campaignId: StrOrNull,
      channel: Type.String(),
      status: Type.String(),
      step: StrOrNull,
      variant: StrOrNull,
      ts: IsoOrNull,
    }),
  ),
});

export const AuditQuery = Type.Object({
  before: Type.Optional(Type.Integer({ minimum: 1, description: 'the smallest id of the previous page' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  objectType: Type.Optional(Type.String({ maxLength: 100 })),
});
export type AuditQuery = Static<typeof AuditQuery>;

export const AuditView = Type.Object({
  entries: Type.Array(
    Type.Object({
      id: Type.Integer(),
      at: IsoOrNull,
      actor: StrOrNull,
      action: Type.String(),
      objectType: Type.String(),
      objectId: Type.String(),
      details: Type.Unknown(),
    }),
  ),
});

export const TeamView = Type.Object({
  users: Type.Array(
    Type.Object({
      id: Type.Integer(),
      name: Type.String(),
      role: Type.String(),
      createdAt: IsoOrNull,
      disabled: Type.Boolean(),
    }),
  ),
});
