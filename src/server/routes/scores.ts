import { Type } from '@sinclair/typebox';
import type { Api } from '../schemas/type-provider.ts';
import { parseTimestamp } from '../../core/events/timestamp.ts';
import { analyseChurnStructure, type ChurnStructure, type CohortDays } from '../../scores/churn-structure.ts';
import { dayRange, problemText } from '../../reports/day-range.ts';
import { listReasons, recordReason } from '../../scores/churn-reasons.ts';
import type { ScoresContext } from '../../scores/context.ts';
import { computeScoresAs, scoreSummary, type ScoringRun } from '../../scores/run-scoring.ts';
import { getScoreConfig, putScoreConfig, type EffectiveScoreConfig } from '../../scores/score-config.ts';
import {
  createRule,
  deleteRule,
  getRule,
  listRules,
  updateRule,
  warnedUsers,
  WARNING_RULE_TEMPLATES,
  type WarningRuleView as RuleRecord,
} from '../../scores/warning-rules.ts';
import type { StoredReason } from '../../storage/warehouse/churn-reasons.ts';
import type { ScoreSummary } from '../../storage/warehouse/user-scores.ts';
import { actorOf } from '../auth/api-auth.ts';
import { errorResponses } from '../schemas/common.ts';
import {
  ChurnStructureQuery,
  ChurnStructureView,
  ComputeBody,
  CreateRuleBody,
  PutScoreConfigBody,
  ReasonBody,
  ReasonView,
  RuleIdParams,
  ScoreConfigView,
  ScoreSummaryView,
  ScoringRunView,
  UpdateRuleBody,
  UserIdParams,
  WarnedQuery,
  WarnedView,
  WarningRuleView,
  type WarningRuleDto,
} from '../schemas/scores-api.ts';
import { ValueModelView } from '../schemas/value-model-api.ts';
import { valueModelState, type ValueModelState } from '../../scores/value-model.ts';
import { sendFailure, sendOutcome } from './send-outcome.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));
const round = (ms: number) => Math.round(ms * 10) / 10;

const configDto = (c: EffectiveScoreConfig) => ({
  version: c.version,
  isDefault: c.isDefault,
  updatedAt: isoOrNull(c.updatedAt),
  updatedBy: c.updatedBy,
  config: c.config,
});

const runDto = (r: ScoringRun) => ({
  runId: r.runId,
  asOf: iso(r.asOf),
  configVersion: r.configVersion,
  users: r.scores.users,
  stages: r.scores.stages,
  tiers: r.scores.tiers,
  tierChanged: r.scores.tierChanged,
  lifecycleChanged: r.scores.lifecycleChanged,
  warnings: {
    raised: r.warnings.raised,
    cleared: r.warnings.cleared,
    rules: r.warnings.rules,
    failed: r.warnings.failed,
  },
  valueModel: {
    ran: r.valueModel.ran,
    customers: r.valueModel.customers,
    repeatCustomers: r.valueModel.repeatCustomers,
    users: r.valueModel.users,
    warnings: [...r.valueModel.warnings],
  },
  elapsedMs: {
    scores: round(r.ms.scores),
    valueModel: round(r.ms.valueModel),
    warnings: round(r.ms.warnings),
    total: round(r.ms.total),
  },
});

const valueModelDto = (v: ValueModelState): ValueModelView => ({
  latest:
    v.latest === null ? null : { ...v.latest, asOf: iso(v.latest.asOf), warnings: [...v.latest.warnings] },
  valuesAsOf: isoOrNull(v.valuesAsOf),
});

const summaryDto = (s: ScoreSummary) => ({ ...s, computedAt: isoOrNull(s.computedAt) });

const structureDto = (s: ChurnStructure) => ({ ...s, asOf: iso(s.asOf), elapsedMs: round(s.elapsedMs) });

const ruleDto = (r: RuleRecord): WarningRuleDto => ({
  id: r.id,
  name: r.name,
  description: r.description,
  level: r.level,
  definition: r.definition,
  enabled: r.enabled,
  owner: { id: r.ownerId, name: r.ownerName },
  version: r.version,
  createdAt: iso(r.createdAt),
  updatedAt: iso(r.updatedAt),
  warnedNow: r.warnedNow,
});

const reasonDto = (r: StoredReason) => ({
  id: r.id,
  userId: r.userId,
  reason: r.reason,
  note: r.note,
  answeredAt: iso(r.answeredAt),
  recordedAt: iso(r.recordedAt),
  recordedBy: r.recordedBy,
  source: r.source,
});

const send = sendOutcome;

const parseTime = (s: string | undefined) => (s === undefined ? undefined : parseTimestamp(s));

const security = [{ bearer: [] }];

/**
 * Scores (lifecycle, RFM), the churn structure analysis, early-warning rules and churn reasons.
 * Handlers only translate HTTP ↔ service.
 */
export const registerScoreRoutes = (app: Api, ctx: ScoresContext): void => {
  const scores = ['scores'];
  app.get(
    '/v1/scores/config',
    {
      schema: {
        tags: scores,
        security,
        summary: 'The scoring configuration: churn definition, lifecycle rules, RFM bins and tiers, …',
        response: { 200: ScoreConfigView, ...errorResponses },
      },
    },
    async (req, reply) => send(reply, await getScoreConfig(ctx, actorOf(req)), configDto),
  );

  app.put(
    '/v1/scores/config',
    {
      schema: {
        tags: scores,
        security,
        summary: 'Replace the scoring configuration (admin; `version` must be current)',
        body: PutScoreConfigBody,
        response: { 200: ScoreConfigView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const b = req.body;
      return send(reply, await putScoreConfig(ctx, actorOf(req), b), configDto);
    },
  );

  app.post(
    '/v1/scores/compute',
    {
      schema: {
        tags: scores,
        security,
        summary: 'Compute stages and RFM tiers now and evaluate the warning rules (operator, admin)',
        body: ComputeBody,
        response: { 200: ScoringRunView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const b = (req.body ?? {}) as ComputeBody;
      return send(reply, await computeScoresAs(ctx, actorOf(req), { asOf: parseTime(b.asOf) }), runDto);
    },
  );

  app.get(
    '/v1/scores/summary',
    {
      schema: {
        tags: scores,
        security,
        summary: 'Users per lifecycle stage and RFM tier, as last computed',
        response: { 200: ScoreSummaryView, ...errorResponses },
      },
    },
    async (req, reply) => send(reply, await scoreSummary(ctx, actorOf(req)), summaryDto),
  );

  app.get(
    '/v1/scores/value-model',
    {
      schema: {
        tags: scores,
        security,
        summary:
          'The latest customer-value model run (BG/NBD + Gamma-Gamma): parameters, fit, warnings, summary',
        response: { 200: ValueModelView, ...errorResponses },
      },
    },
    async (req, reply) => send(reply, await valueModelState(ctx, actorOf(req)), valueModelDto),
  );

  app.get(
    '/v1/analysis/churn-structure',
    {
      schema: {
        tags: ['analysis'],
        security,
        summary:
          'Churn share by lifecycle stage, acquisition channel and registration cohort (day, week or month, or acquisition campaign: `by`, `grain`); churned vs retained profiles',
        querystring: ChurnStructureQuery,
        response: { 200: ChurnStructureView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const q = req.query;
      let range: CohortDays | null = null;
      if (q.from !== undefined || q.to !== undefined || q.timeZone !== undefined) {
        const r = dayRange(q, ctx.clock());
        if (!r.ok)
          return sendFailure(reply, { type: 'invalid', message: problemText(r.error), errors: r.error });
        range = r.value;
      }
      return send(
        reply,
        await analyseChurnStructure(ctx, actorOf(req), {
          asOf: parseTime(q.asOf),
          by: q.by,
          grain: q.grain,
          range,
        }),
        structureDto,
      );
    },
  );

  const warnings = ['warnings'];
  app.get(
    '/v1/warning-rules',
    {
      schema: {
        tags: warnings,
        security,
        summary: 'Early-warning rules, with how many users each warns now',
        response: { 200: Type.Object({ rules: Type.Array(WarningRuleView) }), ...errorResponses },
      },
    },
    async (req, reply) =>
      send(reply, await listRules(ctx, actorOf(req)), (rules) => ({ rules: rules.map(ruleDto) })),
  );

  app.get(
    '/v1/warning-rules/templates',
    {
      schema: {
        tags: warnings,
        security,
        summary: 'Starting points for early-warning rules (each leaves out users already churned)',
        response: {
          200: Type.Object({
            templates: Type.Array(
              Type.Object({
                name: Type.String(),
                description: Type.String(),
                level: Type.String(),
                definition: Type.Unknown({ description: 'the audience tree' }),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async () => ({
      templates: WARNING_RULE_TEMPLATES.map((t) => ({
        name: t.name,
        description: t.description ?? '',
        level: t.level,
        definition: t.definition,
      })),
    }),
  );

  app.post(
    '/v1/warning-rules',
    {
      schema: {
        tags: warnings,
        security,
        summary: 'Create an early-warning rule: an audience tree with a level (operator, admin)',
        body: CreateRuleBody,
        response: { 201: WarningRuleView, ...errorResponses },
      },
    },
    async (req, reply) => send(reply, await createRule(ctx, actorOf(req), req.body), ruleDto, 201),
  );

  app.get(
    '/v1/warning-rules/:id',
    {
      schema: {
        tags: warnings,
        security,
        summary: 'One early-warning rule',
        params: RuleIdParams,
        response: { 200: WarningRuleView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      return send(reply, await getRule(ctx, actorOf(req), id), ruleDto);
    },
  );

  app.patch(
    '/v1/warning-rules/:id',
    {
      schema: {
        tags: warnings,
        security,
        summary: 'Change a rule (owner or admin; `version` must be current)',
        params: RuleIdParams,
        body: UpdateRuleBody,
        response: { 200: WarningRuleView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      return send(reply, await updateRule(ctx, actorOf(req), id, req.body), ruleDto);
    },
  );

  app.delete(
    '/v1/warning-rules/:id',
    {
      schema: {
        tags: warnings,
        security,
        summary: 'Delete a rule (owner or admin); its users stop being warned at the next evaluation',
        params: RuleIdParams,
        response: { 200: Type.Object({ id: Type.String(), deleted: Type.Boolean() }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      return send(reply, await deleteRule(ctx, actorOf(req), id), (v) => ({ id: v.id, deleted: true }));
    },
  );

  app.get(
    '/v1/warning-rules/:id/warned',
    {
      schema: {
        tags: warnings,
        security,
        summary: 'Users the rule warns now, a page at a time',
        params: RuleIdParams,
        querystring: WarnedQuery,
        response: { 200: WarnedView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const q = req.query;
      const limit = q.limit ?? 1000;
      return send(reply, await warnedUsers(ctx, actorOf(req), id, { after: q.after, limit }), (users) => ({
        ruleId: id,
        users: users.map((u) => ({ ...u, raisedAt: iso(u.raisedAt) })),
        next: users.length === limit ? (users.at(-1)?.userId ?? null) : null,
      }));
    },
  );

  const reasons = ['churn reasons'];
  app.post(
    '/v1/users/:id/churn-reasons',
    {
      schema: {
        tags: reasons,
        security,
        summary:
          'Record a call-back survey answer; the latest becomes the trait `churn_reason` (operator, admin)',
        params: UserIdParams,
        body: ReasonBody,
        response: { 201: ReasonView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const b = req.body;
      return send(reply, await recordReason(ctx, actorOf(req), id, b), reasonDto, 201);
    },
  );

  app.get(
    '/v1/users/:id/churn-reasons',
    {
      schema: {
        tags: reasons,
        security,
        summary: 'A user’s survey answers, newest first',
        params: UserIdParams,
        response: { 200: Type.Object({ reasons: Type.Array(ReasonView) }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      return send(reply, await listReasons(ctx, actorOf(req), id), (l) => ({ reasons: l.map(reasonDto) }));
    },
  );
};
