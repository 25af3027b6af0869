import { canOnCampaign, type Actor, type CampaignAction } from '../core/auth/roles.ts';
import { cancelPendingMessages } from '../outbox/cancel.ts';
import { nextStatus, type LifecycleAction } from '../core/campaigns/lifecycle.ts';
import { nextSlot } from '../core/campaigns/next-slot.ts';
import type { CampaignStatus } from '../core/campaigns/schema.ts';
import { validateCampaign, type FieldProblem, type PartCheck } from '../core/campaigns/validate.ts';
import type { Clock } from '../core/clock.ts';
import { err, ok, type Result } from '../core/result.ts';
import type { Outcome, ServiceFailure } from '../core/service-failure.ts';
import { getAudience } from '../storage/control/audiences.ts';
import { appendAudit } from '../storage/control/audit-log.ts';
import {
  campaignNameTaken,
  createCampaign,
  getCampaign,
  insertReview,
  listCampaigns,
  listReviews,
  newCampaignId,
  updateCampaignRow,
  type CampaignChange,
  type CampaignRecord,
  type CampaignReview,
} from '../storage/control/campaigns.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import { CAMPAIGN_PART_CHECKS } from './part-checks.ts';
import { campaignGateIssues, decideGate, type OverrideInput } from './content-gate.ts';
import { getContentOverride, insertContentOverride } from '../storage/control/content-gating.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';

/**
 * Campaigns (features.md D1, D2, D7): who may do what (src/core/auth/roles.ts), which lifecycle step is
 * allowed (src/core/campaigns/lifecycle.ts), and every change, review and status step written
 * with its audit entry in one transaction. Failures are values for the HTTP layer.
 */

export interface CampaignContext {
  control: SqlClient;
  clock: Clock;
  /** Checks of content and offers; default CAMPAIGN_PART_CHECKS. */
  partChecks?: readonly PartCheck[];
  /**
   * Where the content gate finds its sample recipient (submit and approval render the SMS for
   * the audience's first member); absent, the templates render without a profile.
   */
  warehouse?: WarehouseSql | undefined;
}

const notFound = (id: string): ServiceFailure => ({ type: 'not_found', what: `campaign '${id}'` });

/** The permission answer as a failure value, or null when allowed. */
export const refused = (
  actor: Actor,
  action: CampaignAction,
  c: CampaignRecord | null = null,
): ServiceFailure | null => {
  const p = canOnCampaign(actor, action, c && { ownerId: c.ownerId, submittedBy: c.submittedBy });
  return p.allowed ? null : { type: 'forbidden', reason: p.reason };
};

const invalid = (errors: FieldProblem[]): ServiceFailure => ({
  type: 'invalid',
  message: 'the campaign is invalid',
  errors,
});

/** Validates a definition, including that its audience exists in the workspace. */
const checkDefinition = async (ctx: CampaignContext, workspaceId: string, input: unknown) => {
  const v = validateCampaign(input, ctx.partChecks ?? CAMPAIGN_PART_CHECKS);
  if (!v.ok) return err(invalid(v.error.map((e) => ({ ...e, path: `definition.${e.path}` }))));
  if ((await getAudience(ctx.control, workspaceId, v.value.audienceId)) === null) {
    return err(
      invalid([{ path: 'definition.audienceId', message: `no saved audience '${v.value.audienceId}'` }]),
    );
  }
  return ok(v.value);
};

export const listCampaignsAs = async (
  ctx: CampaignContext,
  actor: Actor,
  filter: { status?: CampaignStatus | undefined } = {},
): Outcome<CampaignRecord[]> => {
  const no = refused(actor, 'campaign.read');
  if (no) return err(no);
  return ok(await listCampaigns(ctx.control, actor.workspaceId, filter));
};

export const getCampaignAs = async (
  ctx: CampaignContext,
  actor: Actor,
  id: string,
): Outcome<{ campaign: CampaignRecord; reviews: CampaignReview[] }> => {
  const no = refused(actor, 'campaign.read');
  if (no) return err(no);
  const campaign = await getCampaign(ctx.control, actor.workspaceId, id);
  if (!campaign) return err(notFound(id));
  return ok({ campaign, reviews: await listReviews(ctx.control, id) });
};

export const createCampaignAs = async (
  ctx: CampaignContext,
  actor: Actor,
  input: { name: string; definition: unknown },
): Outcome<CampaignRecord> => {
  const no = refused(actor, 'campaign.create');
  if (no) return err(no);
  const name = input.name.trim();
  if (name === '') return err(invalid([{ path: 'name', message: 'must not be empty' }]));
  const def = await checkDefinition(ctx, actor.workspaceId, input.definition);
  if (!def.ok) return def;
  const id = newCampaignId();
  const at = ctx.clock();
  const created = await createCampaign(
    ctx.control,
    { id, workspaceId: actor.workspaceId, name, definition: def.value, ownerId: actor.userId, at },
    {
      workspaceId: actor.workspaceId,
      at,
      actorId: actor.userId,
      action: 'campaign.create',
      objectType: 'campaign',
      objectId: id,
      details: { name, definition: def.value },
    },
  );
  if (created === 'name_taken')
    return err({ type: 'conflict', reason: `a campaign named '${name}' exists already` });
  const saved = await getCampaign(ctx.control, actor.workspaceId, id);
  if (!saved) throw new Error(`campaign ${id} vanished after insert`);
  return ok(saved);
};

/**
 * One lifecycle step on a locked row: permission, the version the caller saw, the state
 * machine, the change and its audit entry — all or nothing.
 */
const step = async (
  ctx: CampaignContext,
  actor: Actor,
  id: string,
  o: {
    permission: CampaignAction;
    action: LifecycleAction;
    expectedVersion?: number | undefined;
    /** Extra columns (and possibly a second lifecycle step) once the step is allowed. */
    change?: (c: CampaignRecord, next: CampaignStatus) => Result<CampaignChange, ServiceFailure>;
    details?: Record<string, unknown>;
    after?: (tx: SqlClient, c: CampaignRecord, at: number) => Promise<void>;
  },
): Outcome<CampaignRecord> => {
  const at = ctx.clock();
  const outcome = await ctx.control.transaction(async (tx): Outcome<CampaignRecord> => {
    const c = await getCampaign(tx, actor.workspaceId, id, true);
    if (!c) return err(notFound(id));
    const no = refused(actor, o.permission, c);
    if (no) return err(no);
    if (o.expectedVersion !== undefined && o.expectedVersion !== c.version) {
      return err({
        type: 'conflict',
        reason: `campaign '${id}' is at version ${c.version}, not ${o.expectedVersion}; reload it first`,
      });
    }
    const next = nextStatus(c, o.action, c.definition.timing);
    if (!next.ok) return err({ type: 'conflict', reason: next.error });
    const extra = o.change ? o.change(c, next.value) : ok<CampaignChange>({});
    if (!extra.ok) return extra;
    const change: CampaignChange = { status: next.value, ...extra.value };
    await updateCampaignRow(tx, actor.workspaceId, id, change, at);
    await o.after?.(tx, c, at);
    await appendAudit(tx, {
      workspaceId: actor.workspaceId,
      at,
      actorId: actor.userId,
      action: `campaign.${o.action}`,
      objectType: 'campaign',
      objectId: id,
      details: { from: c.status, to: change.status, version: c.version, ...o.details },
    });
    return ok(c);
  });
  if (!outcome.ok) return outcome;
  const saved = await getCampaign(ctx.control, actor.workspaceId, id);
  if (!saved) throw new Error(`campaign ${id} vanished`);
  return ok(saved);
};

export const updateCampaignAs = async (
  ctx: CampaignContext,
  actor: Actor,
  id: string,
  input: { name?: string | undefined; definition?: unknown; version: number },
): Outcome<CampaignRecord> => {
  let definition: CampaignRecord['definition'] | undefined;
  if (input.definition !== undefined) {
    const def = await checkDefinition(ctx, actor.workspaceId, input.definition);
    if (!def.ok) return def;
    definition = def.value;
  }
  const name = input.name?.trim();
  if (name === '') return err(invalid([{ path: 'name', message: 'must not be empty' }]));
  if (name !== undefined && (await campaignNameTaken(ctx.control, actor.workspaceId, name, id)))
    return err({ type: 'conflict', reason: `a campaign named '${name}' exists already` });
  return step(ctx, actor, id, {
    permission: 'campaign.update',
    action: 'update',
    expectedVersion: input.version,
    // An edit after approval goes back to review: the approval no longer covers it.
    change: (_c, next) =>
      ok({
        ...(name === undefined ? {} : { name }),
        ...(definition === undefined ? {} : { definition }),
        bumpVersion: true,
        ...(next === 'pending_review' ? { nextSlotAt: null } : {}),
      }),
    details: { ...(name === undefined ? {} : { name }), ...(definition === undefined ? {} : { definition }) },
  });
};

/**
 * The content gate before a step (content-gate.ts), on the version the caller saw: the step then
 * runs only on that version (a concurrent edit is a conflict), and stores the admin's override
 * with an audit entry of its own. A step the actor may not take, or that the lifecycle refuses,
 * is not gated: `step` gives that answer.
 */
const gated = async (
  ctx: CampaignContext,
  actor: Actor,
  id: string,
  o: {
    permission: CampaignAction;
    action: LifecycleAction;
    step: 'submit' | 'approve';
    version: number | undefined;
    override: OverrideInput | undefined;
  },
): Promise<
  Result<
    { version: number | undefined; after: (tx: SqlClient, c: CampaignRecord, at: number) => Promise<void> },
    ServiceFailure
  >
> => {
  const none = { version: o.version, after: async () => undefined };
  const c = await getCampaign(ctx.control, actor.workspaceId, id);
  if (!c || refused(actor, o.permission, c) || !nextStatus(c, o.action, c.definition.timing).ok)
    return ok(none);
  if (o.version !== undefined && o.version !== c.version) return ok(none);
  const { userId, issues } = await campaignGateIssues(ctx, c);
  const existing = await getContentOverride(ctx.control, c.id, c.version);
  const decision = decideGate(actor, o.step, issues, existing, o.override);
  if (!decision.ok) return decision;
  const record = decision.value;
  if (record === null) return ok({ ...none, version: c.version });
  return ok({
    version: c.version,
    after: async (tx, campaign, at) => {
      await insertContentOverride(tx, {
        campaignId: campaign.id,
        version: campaign.version,
        reason: record.reason,
        actorId: actor.userId,
        at,
        issues: record.issues,
      });
      await appendAudit(tx, {
        workspaceId: actor.workspaceId,
        at,
        actorId: actor.userId,
        action: 'campaign.content_override',
        objectType: 'campaign',
        objectId: campaign.id,
        details: {
          step: o.step,
          version: campaign.version,
          reason: record.reason,
          sampleUserId: userId,
          issues,
        },
      });
    },
  });
};

export const submitCampaignAs = async (
  ctx: CampaignContext,
  actor: Actor,
  id: string,
  version?: number,
  override?: OverrideInput,
): Outcome<CampaignRecord> => {
  const gate = await gated(ctx, actor, id, {
    permission: 'campaign.submit',
    action: 'submit',
    step: 'submit',
    version,
    override,
  });
  if (!gate.ok) return gate;
  return step(ctx, actor, id, {
    permission: 'campaign.submit',
    action: 'submit',
    expectedVersion: gate.value.version,
    change: () => ok({ submittedBy: actor.userId, submittedAt: ctx.clock() }),
    after: gate.value.after,
  });
};

/**
 * Approve or reject the version the reviewer saw. Approval schedules the campaign at once: the
 * next slot its timing asks for (a one-off in the past is due immediately), or running for a
 * triggered campaign.
 */
export const reviewCampaignAs = async (
  ctx: CampaignContext,
  actor: Actor,
  id: string,
  input: {
    decision: 'approve' | 'reject';
    version: number;
    note?: string | undefined;
    override?: OverrideInput | undefined;
  },
): Outcome<CampaignRecord> => {
  const gate =
    input.decision === 'approve'
      ? await gated(ctx, actor, id, {
          permission: 'campaign.approve',
          action: 'approve',
          step: 'approve',
          version: input.version,
          override: input.override,
        })
      : ok({ version: input.version, after: async () => undefined });
  if (!gate.ok) return gate;
  return step(ctx, actor, id, {
    permission: input.decision === 'approve' ? 'campaign.approve' : 'campaign.reject',
    action: input.decision,
    expectedVersion: input.version,
    change: (c, next) => {
      if (input.decision === 'reject') {
        if (!input.note?.trim())
          return err(invalid([{ path: 'note', message: 'say why the campaign is rejected' }]));
        return ok({ approvedVersion: null });
      }
      const scheduled = nextStatus({ ...c, status: next }, 'schedule', c.definition.timing);
      if (!scheduled.ok) return err({ type: 'conflict', reason: scheduled.error });
      const slot = nextSlot(c.definition.timing, ctx.clock(), false);
      if (!slot.ok) return err(invalid([{ path: 'definition.timing', message: slot.error }]));
      if (slot.value === null && c.definition.timing.kind === 'periodic')
        return err({ type: 'conflict', reason: 'the schedule has no slot left (its endAt has passed)' });
      return ok({
        status: scheduled.value,
        approvedBy: actor.userId,
        approvedAt: ctx.clock(),
        approvedVersion: c.version,
        nextSlotAt: slot.value,
      });
    },
    details: { decision: input.decision, note: input.note ?? null },
    after: async (tx, c, at) => {
      await gate.value.after(tx, c, at);
      await insertReview(tx, {
        campaignId: c.id,
        version: c.version,
        decision: input.decision,
        reviewerId: actor.userId,
        at,
        note: input.note?.trim() || null,
      });
    },
  });
};

export const pauseCampaignAs = (ctx: CampaignContext, actor: Actor, id: string) =>
  step(ctx, actor, id, {
    permission: 'campaign.pause',
    action: 'pause',
    change: () => ok({ nextSlotAt: null }),
  });

export const resumeCampaignAs = (ctx: CampaignContext, actor: Actor, id: string) =>
  step(ctx, actor, id, {
    permission: 'campaign.resume',
    action: 'resume',
    change: (c) => {
      // Past its last slot, only messages are owed: back to sending them, no slot to plan.
      if (c.awaitingDelivery) return ok({ status: 'running', nextSlotAt: null });
      // A one-off paused before its slot ran is owed that slot still.
      const slot = nextSlot(c.definition.timing, ctx.clock(), false);
      if (!slot.ok) return err(invalid([{ path: 'definition.timing', message: slot.error }]));
      return ok({ nextSlotAt: slot.value });
    },
  });

export const cancelCampaignAs = (ctx: CampaignContext, actor: Actor, id: string) =>
  step(ctx, actor, id, {
    permission: 'campaign.cancel',
    action: 'cancel',
    change: () => ok({ nextSlotAt: null }),
    after: async (tx, c, at) => {
      await cancelPendingMessages(tx, actor.workspaceId, c.id, at);
    },
  });
