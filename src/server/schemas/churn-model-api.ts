import { Type, type Static } from '@sinclair/typebox';

const Time = Type.String({ format: 'date-time' });
const Metric = Type.Union([Type.Number(), Type.Null()], { description: 'null when undefined' });

export const TrainChurnBody = Type.Object(
  {
    cutoff: Type.Optional(
      Type.String({
        format: 'date-time',
        description:
          'evaluation instant (default: now − horizon); the model is trained on features at cutoff − horizon',
      }),
    ),
    horizonDays: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 3650, description: 'default: the churn definition’s `days`' }),
    ),
  },
  { additionalProperties: false },
);
export type TrainChurnBody = Static<typeof TrainChurnBody>;

const Levels = Type.Object(
  {
    high: Type.Number({ minimum: 0, maximum: 100, description: 'score (0–100) from which a user is `high`' }),
    medium: Type.Number({ minimum: 0, maximum: 100, description: 'score from which a user is `medium`' }),
  },
  { additionalProperties: false },
);

export const ScoreChurnBody = Type.Object(
  {
    modelId: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'default: the active model' }),
    ),
    levels: Type.Optional(Levels),
  },
  { additionalProperties: false },
);
export type ScoreChurnBody = Static<typeof ScoreChurnBody>;

export const ChurnModelView = Type.Object({
  id: Type.String(),
  version: Type.Integer(),
  active: Type.Boolean(),
  createdAt: Time,
  createdBy: Type.Union([Type.Integer(), Type.Null()]),
  cutoff: Time,
  trainCutoff: Time,
  horizonDays: Type.Integer(),
  summary: Type.Object({
    auc: Metric,
    prAuc: Metric,
    baselineRecencyAuc: Metric,
    logisticAuc: Metric,
    threshold: Metric,
    precision: Metric,
    recall: Metric,
    evaluatedUsers: Type.Integer(),
    churnRate: Metric,
  }),
  params: Type.Unknown({ description: 'churn definition, feature plan, seed, GBDT parameters' }),
  metrics: Type.Unknown({
    description: 'the full evaluation: AUCs, threshold report, calibration deciles, feature importance',
  }),
});

export const ChurnModelList = Type.Object({ models: Type.Array(ChurnModelView) });

export const ChurnScoringRunView = Type.Object({
  modelId: Type.String(),
  modelVersion: Type.Integer(),
  asOf: Time,
  users: Type.Integer(),
  cleared: Type.Integer(),
  levels: Type.Object({ high: Type.Integer(), medium: Type.Integer(), low: Type.Integer() }),
  thresholds: Levels,
  reasons: Type.Integer(),
  reasonMethod: Type.String(),
  elapsedMs: Type.Record(Type.String(), Type.Number()),
});

export const UserChurnRiskView = Type.Object({
  userId: Type.String(),
  score: Type.Union([Type.Number(), Type.Null()], { description: '0–100; null when not scored' }),
  level: Type.Union([Type.String(), Type.Null()]),
  model: Type.Union(
    [
      Type.Object({
        id: Type.String(),
        version: Type.Integer(),
        asOf: Type.String({ format: 'date-time', description: 'the instant the features were taken at' }),
      }),
      Type.Null(),
    ],
    { description: 'the model version of the latest scoring run; null when the user was not scored' },
  ),
  reasons: Type.Array(
    Type.Object({
      rank: Type.Integer(),
      feature: Type.String(),
      contribution: Type.Number({ description: 'added log-odds of churn (Saabas)' }),
      value: Type.Union([Type.Number(), Type.Null()], { description: 'the feature’s value; null: missing' }),
      text: Type.Object(
        { 'zh-CN': Type.String(), en: Type.String() },
        { description: 'the reason as a sentence in each console language, e.g. “No activity for 16 days”' },
      ),
    }),
  ),
  notScored: Type.Union(
    [
      Type.Object({
        code: Type.Union([
          Type.Literal('no_model'),
          Type.Literal('not_scored_yet'),
          Type.Literal('not_eligible'),
        ]),
        text: Type.Object({ 'zh-CN': Type.String(), en: Type.String() }),
      }),
      Type.Null(),
    ],
    {
      description:
        'why the user has no score (no active model, no run yet, or outside the churn definition); null when scored',
    },
  ),
});

export const ModelIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
export type ModelIdParams = Static<typeof ModelIdParams>;
