import { TypeCompiler } from '@sinclair/typebox/compiler';
import { canOnCampaign, type Actor } from '../core/auth/roles.ts';
import { isTimeZone } from '../core/campaigns/next-slot.ts';
import { PolicySettings } from '../core/campaigns/policy-schema.ts';
import { isChannel, type Channel } from '../core/channels/channels.ts';
import type { Clock } from '../core/clock.ts';
import { err, ok } from '../core/result.ts';
import { forbidden, type Outcome, type ServiceFailure } from '../core/service-failure.ts';
import { appendAudit } from '../storage/control/audit-log.ts';
import {
  addUnsubscribe,
  getPolicy,
  listChannelQuotas,
  listDepartmentBudgets,
  putPolicy,
  setChannelQuota,
  setDepartmentBudget,
  type ChannelQuota,
  type DepartmentBudget,
} from '../storage/control/planner-settings.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import { writeVersioned } from './versioned-write.ts';

/**
 * The planner's settings as people change them: the anti-disturbance policy (admins), budgets
 * and channel quotas (admins), opt-outs (operators record what users said). Audited.
 */

export interface SettingsContext {
  control: SqlClient;
  clock: Clock;
}

const policyCheck = TypeCompiler.Compile(PolicySettings);

const mustConfigure = (actor: Actor): ServiceFailure | null => {
  const p = canOnCampaign(actor, 'planner.configure');
  return p.allowed ? null : forbidden(p.reason);
};

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** What the schema cannot say: a real time zone, windows that are not empty. */
export const checkPolicy = (p: PolicySettings): { path: string; message: string }[] => {
  const problems: { path: string; message: string }[] = [];
  if (!isTimeZone(p.defaultTimezone))
    problems.push({ path: 'policy.defaultTimezone', message: `unknown time zone '${p.defaultTimezone}'` });
  if (p.quietHours && p.quietHours.start === p.quietHours.end)
    problems.push({
      path: 'policy.quietHours',
      message: 'start and end are equal; use null for no quiet hours',
    });
  for (const [channel, windows] of Object.entries(p.sendWindows))
    (windows ?? []).forEach((w, i) => {
      if (minutes(w.end) <= minutes(w.start))
        problems.push({
          path: `policy.sendWindows.${channel}[${i}]`,
          message: 'end must be after start (same day)',
        });
    });
  return problems;
};

/** Everyone may read the policy: operators plan campaigns around it. */
export const readPolicy = (ctx: SettingsContext, actor: Actor) => getPolicy(ctx.control, actor.workspaceId);

export const updatePolicyAs = async (
  ctx: SettingsContext,
  actor: Actor,
  input: { policy: unknown; version: number },
): Outcome<{ version: number; policy: PolicySettings }> => {
  const no = mustConfigure(actor);
  if (no) return err(no);
  if (!policyCheck.Check(input.policy)) {
    const errors = [...policyCheck.Errors(input.policy)]
      .slice(0, 20)
      .map((e) => ({ path: `policy${e.path.replaceAll('/', '.')}`, message: e.message }));
    return err({ type: 'invalid', message: 'the policy is invalid', errors });
  }
  const policy = input.policy;
  const problems = checkPolicy(policy);
  if (problems.length > 0)
    return err({ type: 'invalid', message: 'the policy is invalid', errors: problems });
  const at = ctx.clock();
  const written = await writeVersioned(ctx.control, {
    put: (tx) =>
      putPolicy(tx, {
        workspaceId: actor.workspaceId,
        policy,
        expectedVersion: input.version,
        by: actor.userId,
        at,
      }),
    audit: {
      workspaceId: actor.workspaceId,
      at,
      actorId: actor.userId,
      action: 'planner.policy',
      objectType: 'planner_policy',
      objectId: actor.workspaceId,
      details: { version: input.version + 1, policy },
    },
    expectedVersion: input.version,
    what: 'the policy',
  });
  if (!written.ok) return written;
  return ok({ version: input.version + 1, policy });
};

export const listResources = async (
  ctx: SettingsContext,
  actor: Actor,
): Promise<{ departments: DepartmentBudget[]; channels: ChannelQuota[] }> => ({
  departments: await listDepartmentBudgets(ctx.control, actor.workspaceId, ctx.clock()),
  channels: await listChannelQuotas(ctx.control, actor.workspaceId),
});

export const setDepartmentBudgetAs = async (
  ctx: SettingsContext,
  actor: Actor,
  department: string,
  limitCents: number,
): Outcome<DepartmentBudget[]> => {
  const no = mustConfigure(actor);
  if (no) return err(no);
  await ctx.control.transaction(async (tx) => {
    await setDepartmentBudget(tx, actor.workspaceId, department, limitCents);
    await appendAudit(tx, {
      workspaceId: actor.workspaceId,
      at: ctx.clock(),
      actorId: actor.userId,
      action: 'planner.budget',
      objectType: 'department',
      objectId: department,
      details: { limitCents },
    });
  });
  return ok(await listDepartmentBudgets(ctx.control, actor.workspaceId, ctx.clock()));
};

export const setChannelQuotaAs = async (
  ctx: SettingsContext,
  actor: Actor,
  q: { channel: string; quota: number; costCents: number },
): Outcome<ChannelQuota[]> => {
  const no = mustConfigure(actor);
  if (no) return err(no);
  if (!isChannel(q.channel))
    return err({
      type: 'invalid',
      message: 'unknown channel',
      errors: [{ path: 'channel', message: `'${q.channel}' is not a channel` }],
    });
  const channel: Channel = q.channel;
  await ctx.control.transaction(async (tx) => {
    await setChannelQuota(tx, actor.workspaceId, { channel, quota: q.quota, costCents: q.costCents });
    await appendAudit(tx, {
      workspaceId: actor.workspaceId,
      at: ctx.clock(),
      actorId: actor.userId,
      action: 'planner.quota',
      objectType: 'channel',
      objectId: channel,
      details: { quota: q.quota, costCents: q.costCents },
    });
  });
  return ok(await listChannelQuotas(ctx.control, actor.workspaceId));
};

/** Records an opt-out (a reply such as "TD", a call-centre note); unsubscribe links come with delivery. */
export const recordUnsubscribeAs = async (
  ctx: SettingsContext,
  actor: Actor,
  u: { userId: string; channel: string; source: string },
): Outcome<{ added: boolean }> => {
  const p = canOnCampaign(actor, 'campaign.create');
  if (!p.allowed) return err(forbidden(`role '${actor.role}' may not record opt-outs`));
  if (u.channel !== 'all' && !isChannel(u.channel))
    return err({
      type: 'invalid',
      message: 'unknown channel',
      errors: [{ path: 'channel', message: `'${u.channel}' is not a channel or 'all'` }],
    });
  const at = ctx.clock();
  const added = await ctx.control.transaction(async (tx) => {
    const a = await addUnsubscribe(tx, {
      workspaceId: actor.workspaceId,
      userId: u.userId,
      channel: u.channel as Channel | 'all',
      at,
      source: u.source,
    });
    if (a)
      await appendAudit(tx, {
        workspaceId: actor.workspaceId,
        at,
        actorId: actor.userId,
        action: 'user.unsubscribe',
        objectType: 'user',
        objectId: u.userId,
        details: { channel: u.channel, source: u.source },
      });
    return a;
  });
  return ok({ added });
};
