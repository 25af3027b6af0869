import { Type, type Static } from '@sinclair/typebox';
import { ScoreConfig } from '../../core/scores/config.ts';
import { MAX_NOTE_LENGTH } from '../../core/scores/churn-reasons.ts';
import { WARNING_LEVELS } from '../../core/scores/warning-levels.ts';
import { documentedAs } from './common.ts';
import { ValueWarningView } from './value-model-api.ts';

const Time = Type.String({ format: 'date-time' });
const NullableTime = Type.Union([Time, Type.Null()]);
const Rate = Type.Union([Type.Number(), Type.Null()], { description: 'a fraction 0–1; null when undefined' });
const Counts = Type.Record(Type.String(), Type.Integer());
const AsOf = Type.String({
  format: 'date-time',
  description: 'evaluate as of this instant (default: now); later events are ignored',
});
const Id = Type.String({ minLength: 1, maxLength: 256 });

// ---- configuration ---------------------------------------------------------------------------

export const ScoreConfigView = Type.Object({
  version: Type.Integer({ description: '0 while the built-in defaults are in force' }),
  isDefault: Type.Boolean(),
  updatedAt: NullableTime,
  updatedBy: Type.Union([Type.Integer(), Type.Null()]),
  config: ScoreConfig,
});

export const PutScoreConfigBody = Type.Object(
  {
    version: Type.Integer({ minimum: 0, description: 'the version you edited (0 for the defaults)' }),
    config: Type.Unknown({
      description:
        'the whole configuration, shaped like `config` in GET /v1/scores/config; checked field by field, errors name the path (`config.rfm.bins.recency.edges[2]`)',
    }),
  },
  { additionalProperties: false },
);
export type PutScoreConfigBody = Static<typeof PutScoreConfigBody>;

// ---- runs and summary ------------------------------------------------------------------------

export const ComputeBody = Type.Object({ asOf: Type.Optional(AsOf) }, { additionalProperties: false });
export type ComputeBody = Static<typeof ComputeBody>;

const PathError = Type.Object({ path: Type.String(), message: Type.String() });

export const ScoringRunView = Type.Object({
  runId: Type.String(),
  asOf: Time,
  configVersion: Type.Integer(),
  users: Type.Integer({ description: 'profiles scored' }),
  stages: Counts,
  tiers: Counts,
  tierChanged: Type.Integer({ description: '`tier_changed` events appended' }),
  lifecycleChanged: Type.Integer({ description: '`lifecycle_changed` events appended' }),
  warnings: Type.Object({
    raised: Type.Integer({ description: '`warning_raised` events appended' }),
    cleared: Type.Integer(),
    rules: Type.Array(
      Type.Object({
        ruleId: Type.String(),
        name: Type.String(),
        level: Type.String(),
        matching: Type.Integer(),
        raised: Type.Integer(),
        cleared: Type.Integer(),
      }),
    ),
    failed: Type.Array(
      Type.Object({ ruleId: Type.String(), name: Type.String(), errors: Type.Array(PathError) }),
    ),
  }),
  valueModel: Type.Object(
    {
      ran: Type.Boolean({ description: 'false when the workspace turned the model off' }),
      customers: Type.Integer({ description: 'buyers' }),
      repeatCustomers: Type.Integer(),
      users: Type.Integer({
        description: 'users whose value figures were written (0 when a warning stopped them)',
      }),
      warnings: Type.Array(ValueWarningView),
    },
    { description: 'the customer-value model of this run; details: GET /v1/scores/value-model' },
  ),
  elapsedMs: Type.Object({
    scores: Type.Number(),
    valueModel: Type.Number(),
    warnings: Type.Number(),
    total: Type.Number(),
  }),
});

export const ScoreSummaryView = Type.Object({
  users: Type.Integer({ description: 'users with a lifecycle stage' }),
  computedAt: NullableTime,
  stages: Counts,
  tiers: Counts,
});

// ---- churn structure -------------------------------------------------------------------------

export const AnalysisQuery = Type.Object({ asOf: Type.Optional(AsOf) });

const CohortBy = Type.Union(
  [Type.Literal('registration'), Type.Literal('campaign'), Type.Literal('channel')],
  {
    default: 'registration',
    description:
      'cohorts by registration date, acquisition campaign (trait utm_campaign or acquisition_campaign) or acquisition channel',
  },
);
const CohortGrain = Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')], {
  default: 'month',
  description:
    'width of a registration cohort (weeks start on Monday); in UTC, or in `timeZone` when a range is given',
});
export const ChurnStructureQuery = Type.Object({
  asOf: Type.Optional(AsOf),
  by: Type.Optional(CohortBy),
  grain: Type.Optional(CohortGrain),
  from: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 32,
      description: 'cohorts of the users registered from this day (YYYY-MM-DD, included)',
    }),
  ),
  to: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 32,
      description: 'to this day (YYYY-MM-DD, included; default today); needs from',
    }),
  ),
  timeZone: Type.Optional(
    Type.String({ minLength: 1, maxLength: 64, description: 'IANA zone of the days; default Asia/Shanghai' }),
  ),
});
export type ChurnStructureQuery = Static<typeof ChurnStructureQuery>;
export type AnalysisQuery = Static<typeof AnalysisQuery>;

const StageRow = Type.Object({
  stage: Type.String(),
  reached: Type.Integer({ description: 'users whose stage of record is this one or later' }),
  churned: Type.Integer({ description: 'users who churned while in this stage' }),
  churnRate: Rate,
  shareOfChurned: Rate,
});
const GroupRow = Type.Object({
  key: Type.String(),
  users: Type.Integer(),
  churned: Type.Integer(),
  churnRate: Rate,
  shareOfChurned: Rate,
});
const Bin = Type.Object({
  from: Type.Union([Type.Number(), Type.Null()], { description: 'inclusive; null: unbounded' }),
  to: Type.Union([Type.Number(), Type.Null()], { description: 'exclusive; null: unbounded' }),
  users: Type.Integer(),
  share: Rate,
});
const Side = Type.Object({
  users: Type.Integer(),
  withValue: Type.Integer(),
  mean: Type.Union([Type.Number(), Type.Null()]),
  quantiles: Type.Array(Type.Object({ p: Type.Number(), value: Type.Union([Type.Number(), Type.Null()]) })),
  histogram: Type.Array(Bin),
});

export const ChurnStructureView = Type.Object({
  asOf: Time,
  definition: Type.Object({ events: Type.Array(Type.String()), days: Type.Integer() }),
  users: Type.Integer(),
  tooNew: Type.Integer({ description: 'registered less than `definition.days` ago; left out of the rates' }),
  eligible: Type.Integer(),
  churned: Type.Integer(),
  churnRate: Rate,
  currentStages: Type.Array(Type.Object({ stage: Type.String(), users: Type.Integer(), share: Rate })),
  byStage: Type.Array(StageRow, { description: 'the stage churned users churned from' }),
  byChannel: Type.Array(Type.Intersect([GroupRow, Type.Object({ stages: Type.Array(StageRow) })])),
  byCohort: Type.Array(GroupRow, { description: 'registration month (UTC), `YYYY-MM`' }),
  cohorts: Type.Object(
    {
      by: CohortBy,
      grain: CohortGrain,
      range: Type.Union(
        [Type.Object({ from: Type.String(), to: Type.String(), timeZone: Type.String() }), Type.Null()],
        { description: 'the registration days asked for (from/to); null: every user' },
      ),
      rows: Type.Array(GroupRow),
    },
    {
      description:
        'the cohorts asked for by `by` and `grain`: keys `YYYY-MM-DD` (day; week: its Monday), `YYYY-MM` (month), or the campaign / channel (`(unknown)` when none)',
    },
  ),
  profile: Type.Array(Type.Object({ name: Type.String(), churned: Side, retained: Side })),
  reasons: Type.Array(Type.Object({ reason: Type.String(), users: Type.Integer(), churned: Type.Integer() })),
  elapsedMs: Type.Number(),
});

// ---- warning rules ---------------------------------------------------------------------------

const Level = Type.Union(
  WARNING_LEVELS.map((l) => Type.Literal(l)),
  { description: 'info, warning or critical' },
);
const RuleName = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });
const Description = Type.String({ maxLength: 2000 });
const Definition = documentedAs(
  'AudienceNode',
  'who is warned: an audience tree (see the AudienceNode schema)',
);

export const RuleIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

export const CreateRuleBody = Type.Object(
  {
    name: RuleName,
    description: Type.Optional(Description),
    level: Level,
    definition: Definition,
    enabled: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);
export type CreateRuleBody = Static<typeof CreateRuleBody>;

export const UpdateRuleBody = Type.Object(
  {
    version: Type.Integer({
      minimum: 1,
      description: 'the version you edited; a stale one is refused (409)',
    }),
    name: Type.Optional(RuleName),
    description: Type.Optional(Description),
    level: Type.Optional(Level),
    definition: Type.Optional(Definition),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type UpdateRuleBody = Static<typeof UpdateRuleBody>;

export const WarningRuleView = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    description: Type.String(),
    level: Type.String(),
    definition: Type.Unknown({ description: 'the audience tree' }),
    enabled: Type.Boolean(),
    owner: Type.Object({ id: Type.Integer(), name: Type.String() }),
    version: Type.Integer(),
    createdAt: Time,
    updatedAt: Time,
    warnedNow: Type.Integer({ description: 'users the rule warns as of its last evaluation' }),
  },
  { $id: 'WarningRule' },
);
export type WarningRuleDto = Static<typeof WarningRuleView>;

export const WarnedQuery = Type.Object({
  after: Type.Optional(Type.String({ maxLength: 256, description: 'the last user id of the previous page' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 })),
});
export type WarnedQuery = Static<typeof WarnedQuery>;

export const WarnedView = Type.Object({
  ruleId: Type.String(),
  users: Type.Array(Type.Object({ userId: Type.String(), level: Type.String(), raisedAt: Time })),
  next: Type.Union([Type.String(), Type.Null()], { description: 'pass as `after` for the next page' }),
});

// ---- churn reasons ---------------------------------------------------------------------------

export const UserIdParams = Type.Object({ id: Id });

export const ReasonBody = Type.Object(
  {
    reason: Type.String({ minLength: 1, maxLength: 40, description: 'one of `config.churnReasons.codes`' }),
    note: Type.Optional(Type.String({ maxLength: MAX_NOTE_LENGTH, description: 'what the user said' })),
    answeredAt: Type.Optional(
      Type.String({ format: 'date-time', description: 'when the user answered (default: now)' }),
    ),
  },
  { additionalProperties: false },
);
export type ReasonBody = Static<typeof ReasonBody>;

export const ReasonView = Type.Object({
  id: Type.String(),
  userId: Type.String(),
  reason: Type.String(),
  note: Type.Union([Type.String(), Type.Null()]),
  answeredAt: Time,
  recordedAt: Time,
  recordedBy: Type.String(),
  source: Type.String({ description: '`api` or `import`' }),
});
