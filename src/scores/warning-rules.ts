import { compileAudience } from '../core/audience/compiler.ts';
import type { AudienceError, AudienceNode } from '../core/audience/schema.ts';
import type { Actor } from '../core/auth/roles.ts';
import { err, ok } from '../core/result.ts';
import type { Outcome, ServiceFailure } from '../core/service-failure.ts';
import { audienceDefinitions } from '../storage/control/audiences.ts';
import { appendAudit } from '../storage/control/audit-log.ts';
import {
  createWarningRule,
  editWarningRule,
  getWarningRule,
  listWarningRules,
  newWarningRuleId,
  softDeleteWarningRule,
  type WarningRule,
  type WarningRuleFields,
} from '../storage/control/warning-rules.ts';
import { WARNING_LEVELS, type WarningLevel } from '../core/scores/warning-levels.ts';
import {
  applyWarningRules,
  warnedByRule,
  warnedCounts,
  type ActiveWarning,
  type RuleOutcome,
  type RuleToApply,
} from '../storage/warehouse/warning-state.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';
import { refusal, type ScoresContext } from './context.ts';

/**
 * Early-warning rules (features.md B5): a named audience tree with a level ("no login for 15 days and
 * balance below 100" → critical). Evaluating them appends one `warning_raised` event for each
 * user who newly matches a rule; a user stays warned (no new event) while they keep matching.
 */

export interface WarningRuleInput {
  name: string;
  description?: string | undefined;
  level: WarningLevel;
  definition: unknown;
  enabled?: boolean | undefined;
}

/**
 * Keeps the users a warning can still act on: a user already churned (by the workspace's churn
 * definition, as of the last scoring run) is past warning — they belong to a recall campaign.
 * Without it the seed rule below warned 82 % of the demo base (docs/scores.md).
 */
export const NOT_CHURNED = {
  kind: 'score',
  score: 'lifecycle_stage',
  op: 'in',
  values: ['new', 'growing', 'mature', 'silent'],
} as const;

/** `definition` AND not churned: how every template is built (a rule of one's own may do the same). */
export const excludingChurned = (definition: unknown): { kind: 'and'; children: unknown[] } => ({
  kind: 'and',
  children: [definition, NOT_CHURNED],
});

/**
 * Early-warning rule templates (features.md B5): starting points a workspace copies and adjusts.
 * Each excludes users already churned. Event names are the common ones (`login`, `order`);
 * change them to the product's own.
 */
export const WARNING_RULE_TEMPLATES: readonly WarningRuleInput[] = [
  {
    name: 'No login for 15 days, balance under 100',
    description:
      "The seed article's rule: no login in 15 days and less than 100 in the account, not churned yet.",
    level: 'critical',
    definition: excludingChurned({
      kind: 'and',
      children: [
        { kind: 'did_not', event: 'login', window: { type: 'last_days', days: 15 } },
        { kind: 'attribute', attribute: 'balance', op: 'lt', value: 100 },
      ],
    }),
  },
  {
    name: 'High-value buyer going quiet',
    description: 'RFM tier high, no login in 14 days, not churned yet.',
    level: 'critical',
    definition: excludingChurned({
      kind: 'and',
      children: [
        { kind: 'score', score: 'rfm_tier', op: 'eq', value: 'high' },
        { kind: 'did_not', event: 'login', window: { type: 'last_days', days: 14 } },
      ],
    }),
  },
  {
    name: 'New user gone after a week',
    description: 'Registered in the last 30 days, no login in 7 days, not churned yet.',
    level: 'warning',
    definition: excludingChurned({
      kind: 'and',
      children: [
        { kind: 'attribute', attribute: 'register_time', op: 'within_last', days: 30 },
        { kind: 'did_not', event: 'login', window: { type: 'last_days', days: 7 } },
      ],
    }),
  },
];

const notFound = (id: string): ServiceFailure => ({ type: 'not_found', what: `warning rule '${id}'` });

const invalid = (errors: AudienceError[]): ServiceFailure => ({
  type: 'invalid',
  message: 'the warning rule is invalid',
  errors: errors.map((e) => ({ ...e, path: e.path.replace(/^root/, 'definition') })),
});

const compileRule = async (
  ctx: ScoresContext<WarehouseSql>,
  workspaceId: string,
  definition: unknown,
  now: number,
) => {
  const defs = await audienceDefinitions(ctx.control, workspaceId);
  return compileAudience(definition, { now, resolve: (id) => defs.get(id) as AudienceNode | undefined });
};

const checkFields = (f: WarningRuleFields): AudienceError[] => {
  const errors: AudienceError[] = [];
  if (f.name.trim() === '') errors.push({ path: 'name', message: 'is required' });
  if (!(WARNING_LEVELS as readonly string[]).includes(f.level))
    errors.push({ path: 'level', message: `expected one of ${WARNING_LEVELS.join(', ')}` });
  return errors;
};

export interface WarningRuleView extends WarningRule {
  /** Users the rule warns now (as of its last evaluation). */
  warnedNow: number;
}

export const listRules = async (
  ctx: ScoresContext<WarehouseSql>,
  actor: Actor,
): Outcome<WarningRuleView[]> => {
  const no = refusal(actor, 'scores.read');
  if (no) return err(no);
  const counts = await warnedCounts(ctx.warehouse);
  return ok(
    (await listWarningRules(ctx.control, actor.workspaceId)).map((r) => ({
      ...r,
      warnedNow: counts.get(r.id) ?? 0,
    })),
  );
};

export const getRule = async (
  ctx: ScoresContext<WarehouseSql>,
  actor: Actor,
  id: string,
): Outcome<WarningRuleView> => {
  const no = refusal(actor, 'scores.read');
  if (no) return err(no);
  const r = await getWarningRule(ctx.control, actor.workspaceId, id);
  if (!r) return err(notFound(id));
  return ok({ ...r, warnedNow: (await warnedCounts(ctx.warehouse)).get(id) ?? 0 });
};

export const createRule = async (
  ctx: ScoresContext<WarehouseSql>,
  actor: Actor,
  input: WarningRuleInput,
): Outcome<WarningRuleView> => {
  const no = refusal(actor, 'warning_rule.create');
  if (no) return err(no);
  const at = ctx.clock();
  const fields: WarningRuleFields = {
    name: input.name.trim(),
    description: input.description ?? '',
    level: input.level,
    definition: input.definition,
    enabled: input.enabled ?? true,
  };
  const bad = checkFields(fields);
  if (bad.length > 0) return err({ type: 'invalid', message: 'the warning rule is invalid', errors: bad });
  const compiled = await compileRule(ctx, actor.workspaceId, fields.definition, at);
  if (!compiled.ok) return err(invalid(compiled.error));
  const id = newWarningRuleId();
  const created = await createWarningRule(
    ctx.control,
    { ...fields, id, workspaceId: actor.workspaceId, ownerId: actor.userId, at },
    {
      workspaceId: actor.workspaceId,
      at,
      actorId: actor.userId,
      action: 'warning_rule.create',
      objectType: 'warning_rule',
      objectId: id,
      details: { ...fields },
    },
  );
  if (created === 'name_taken')
    return err({ type: 'conflict', reason: `a warning rule named '${fields.name}' exists already` });
  return getRule(ctx, actor, id);
};

export const updateRule = async (
  ctx: ScoresContext<WarehouseSql>,
  actor: Actor,
  id: string,
  input: Partial<WarningRuleInput> & { version: number },
): Outcome<WarningRuleView> => {
  const current = await getWarningRule(ctx.control, actor.workspaceId, id);
  if (!current) return err(notFound(id));
  const no = refusal(actor, 'warning_rule.update', current.ownerId);
  if (no) return err(no);
  if (input.version !== current.version)
    return err({
      type: 'conflict',
      reason: `warning rule '${id}' is at version ${current.version}, not ${input.version}; reload and edit again`,
    });
  const at = ctx.clock();
  const next: WarningRuleFields = {
    name: input.name?.trim() ?? current.name,
    description: input.description ?? current.description,
    level: input.level ?? current.level,
    definition: input.definition ?? current.definition,
    enabled: input.enabled ?? current.enabled,
  };
  const bad = checkFields(next);
  if (bad.length > 0) return err({ type: 'invalid', message: 'the warning rule is invalid', errors: bad });
  if (input.definition !== undefined) {
    const compiled = await compileRule(ctx, actor.workspaceId, next.definition, at);
    if (!compiled.ok) return err(invalid(compiled.error));
  }
  const outcome = await editWarningRule(
    ctx.control,
    { ...next, id, workspaceId: actor.workspaceId, expectedVersion: input.version, at },
    {
      workspaceId: actor.workspaceId,
      at,
      actorId: actor.userId,
      action: 'warning_rule.update',
      objectType: 'warning_rule',
      objectId: id,
      details: { fromVersion: input.version, ...next },
    },
  );
  if (outcome === 'name_taken')
    return err({ type: 'conflict', reason: `a warning rule named '${next.name}' exists already` });
  if (outcome === 'stale')
    return err({ type: 'conflict', reason: `warning rule '${id}' was changed meanwhile; reload` });
  return getRule(ctx, actor, id);
};

export const deleteRule = async (
  ctx: ScoresContext<WarehouseSql>,
  actor: Actor,
  id: string,
): Outcome<{ id: string }> => {
  const current = await getWarningRule(ctx.control, actor.workspaceId, id);
  if (!current) return err(notFound(id));
  const no = refusal(actor, 'warning_rule.delete', current.ownerId);
  if (no) return err(no);
  const at = ctx.clock();
  await ctx.control.transaction(async (tx) => {
    await softDeleteWarningRule(tx, actor.workspaceId, id, at);
    await appendAudit(tx, {
      workspaceId: actor.workspaceId,
      at,
      actorId: actor.userId,
      action: 'warning_rule.delete',
      objectType: 'warning_rule',
      objectId: id,
      details: { name: current.name },
    });
  });
  return ok({ id });
};

export const warnedUsers = async (
  ctx: ScoresContext<WarehouseSql>,
  actor: Actor,
  id: string,
  page: { after?: string | undefined; limit: number },
): Outcome<ActiveWarning[]> => {
  const no = refusal(actor, 'scores.read');
  if (no) return err(no);
  if (!(await getWarningRule(ctx.control, actor.workspaceId, id))) return err(notFound(id));
  return ok(await warnedByRule(ctx.warehouse, id, page));
};

export interface WarningRunResult {
  rules: (RuleOutcome & { name: string; level: WarningLevel })[];
  /** Enabled rules that could not be compiled now (e.g. a saved audience they use was deleted). */
  failed: { ruleId: string; name: string; errors: AudienceError[] }[];
  raised: number;
  cleared: number;
}

/**
 * Evaluates every enabled rule of the workspace as of `now` (after the scores, so rules may use
 * `lifecycle_stage` or `rfm_tier`). Disabled and deleted rules warn no one any more.
 */
export const evaluateWarningRules = async (
  ctx: ScoresContext<WarehouseSql>,
  workspaceId: string,
  run: { id: string; now: number },
): Promise<WarningRunResult> => {
  const rules = (await listWarningRules(ctx.control, workspaceId)).filter((r) => r.enabled);
  const defs = await audienceDefinitions(ctx.control, workspaceId);
  const resolve = (id: string) => defs.get(id) as AudienceNode | undefined;
  const toApply: RuleToApply[] = [];
  const failed: WarningRunResult['failed'] = [];
  for (const r of rules) {
    // In the warehouse's dialect: applyWarningRules runs the members query as it is.
    const compiled = compileAudience(r.definition, { now: run.now, resolve, dialect: ctx.warehouse.dialect });
    if (compiled.ok) toApply.push({ id: r.id, name: r.name, level: r.level, members: compiled.value });
    else failed.push({ ruleId: r.id, name: r.name, errors: compiled.error });
  }
  const applied = await applyWarningRules(
    ctx.warehouse,
    toApply,
    run,
    failed.map((f) => f.ruleId),
  );
  const byId = new Map(rules.map((r) => [r.id, r]));
  const outcomes = applied.rules.map((o) => ({
    ...o,
    name: byId.get(o.ruleId)?.name ?? '',
    level: byId.get(o.ruleId)?.level ?? 'warning',
  }));
  return {
    rules: outcomes,
    failed,
    raised: outcomes.reduce((a, o) => a + o.raised, 0),
    cleared: outcomes.reduce((a, o) => a + o.cleared, 0) + applied.clearedByRemovedRules,
  };
};
