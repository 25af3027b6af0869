import type { Api } from '../schemas/type-provider.ts';
import { parseTimestamp } from '../../core/events/timestamp.ts';
import {
  activateChurnModelAs,
  listChurnModelsAs,
  scoreChurnRiskAs,
  trainChurnModelAs,
  userChurnRiskAs,
  type ChurnModelRecord,
  type ChurnScoringRun,
} from '../../scores/churn-model.ts';
import type { ScoresContext } from '../../scores/context.ts';
import { actorOf } from '../auth/api-auth.ts';
import {
  ChurnModelList,
  ChurnModelView,
  ChurnScoringRunView,
  ModelIdParams,
  ScoreChurnBody,
  TrainChurnBody,
  UserChurnRiskView,
} from '../schemas/churn-model-api.ts';
import { errorResponses } from '../schemas/common.ts';
import { UserIdParams } from '../schemas/scores-api.ts';
import { sendOutcome } from './send-outcome.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const num = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? null : x);
const round = (ms: number) => Math.round(ms * 10) / 10;

const modelDto = (m: ChurnModelRecord) => ({
  id: m.id,
  version: m.version,
  active: m.active,
  createdAt: iso(m.createdAt),
  createdBy: m.createdBy,
  cutoff: m.params.cutoff,
  trainCutoff: m.params.trainCutoff,
  horizonDays: m.params.horizonDays,
  summary: {
    auc: num(m.metrics.auc),
    prAuc: num(m.metrics.prAuc),
    baselineRecencyAuc: num(m.metrics.baselineRecencyAuc),
    logisticAuc: num(m.metrics.logisticAuc),
    threshold: num(m.metrics.threshold.threshold),
    precision: num(m.metrics.threshold.precision),
    recall: num(m.metrics.threshold.recall),
    evaluatedUsers: m.metrics.n,
    churnRate: num(m.metrics.churnRate),
  },
  params: m.params,
  metrics: m.metrics,
});

const runDto = ({ ms, ...r }: ChurnScoringRun) => ({
  ...r,
  asOf: iso(r.asOf),
  elapsedMs: Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, round(v)])),
});

const send = sendOutcome;

const security = [{ bearer: [] }];
const tags = ['churn model'];

/** The churn model (B6): train and list versions, score churn risk, a user's risk and reasons. */
export const registerChurnModelRoutes = (app: Api, ctx: ScoresContext): void => {
  app.post(
    '/v1/models/churn/train',
    {
      schema: {
        tags,
        security,
        summary:
          'Train a churn model with a temporal split on the churn definition; stored as the next version and made active (operator, admin)',
        body: TrainChurnBody,
        response: { 201: ChurnModelView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const b = (req.body ?? {}) as TrainChurnBody;
      const o = {
        ...(b.cutoff === undefined ? {} : { cutoff: parseTimestamp(b.cutoff) }),
        ...(b.horizonDays === undefined ? {} : { horizonDays: b.horizonDays }),
      };
      return send(reply, await trainChurnModelAs(ctx, actorOf(req), o), modelDto, 201);
    },
  );

  app.get(
    '/v1/models/churn',
    {
      schema: {
        tags,
        security,
        summary: 'Stored churn model versions with their metrics, newest first',
        response: { 200: ChurnModelList, ...errorResponses },
      },
    },
    async (req, reply) =>
      send(reply, await listChurnModelsAs(ctx, actorOf(req)), (models) => ({ models: models.map(modelDto) })),
  );

  app.post(
    '/v1/models/churn/:id/activate',
    {
      schema: {
        tags,
        security,
        summary:
          'Make a stored model version the active one, e.g. back to an earlier version after a worse retrain (operator, admin)',
        params: ModelIdParams,
        response: { 200: ChurnModelView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      return send(reply, await activateChurnModelAs(ctx, actorOf(req), id), modelDto);
    },
  );

  app.post(
    '/v1/models/churn/score',
    {
      schema: {
        tags,
        security,
        summary:
          'Score churn risk of every eligible user with the active (or given) model into user_scores and churn_risk_reasons (operator, admin)',
        body: ScoreChurnBody,
        response: { 200: ChurnScoringRunView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const b = (req.body ?? {}) as ScoreChurnBody;
      const o = {
        ...(b.modelId === undefined ? {} : { modelId: b.modelId }),
        ...(b.levels === undefined ? {} : { levels: b.levels }),
      };
      return send(reply, await scoreChurnRiskAs(ctx, actorOf(req), o), runDto);
    },
  );

  app.get(
    '/v1/users/:id/churn-risk',
    {
      schema: {
        tags,
        security,
        summary: 'A user’s churn risk score (0–100), level and top reasons',
        params: UserIdParams,
        response: { 200: UserChurnRiskView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      return send(reply, await userChurnRiskAs(ctx, actorOf(req), id), (v) => ({
        ...v,
        model: v.model === null ? null : { ...v.model, asOf: iso(v.model.asOf) },
      }));
    },
  );
};
