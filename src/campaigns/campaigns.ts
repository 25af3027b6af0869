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

export const submitCampaignAs = (ctx: CampaignContext, actor: Actor, id: string, version?: number) =>
  step(ctx, actor, id, {
    permission: 'campaign.submit',
    action: 'submit',
    expectedVersion: version,
    change: () => ok({ submittedBy: actor.userId, submittedAt: ctx.clock() }),
  });

/**
 * Approve or reject the version the reviewer saw. Approval schedules the campaign at once: the
 * next slot its timing asks for (a one-off in the past is due immediately), or running for a
 * triggered campaign.
 */
export const reviewCampaignAs = (
  ctx: CampaignContext,
  actor: Actor,
  id: string,
  input: { decision: 'approve' | 'reject'; version: number; note?: string | undefined },
) =>
  step(ctx, actor, id, {
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
    after: (tx, c, at) =>
      insertReview(tx, {
        campaignId: c.id,
        version: c.version,
        decision: input.decision,
        reviewerId: actor.userId,
        at,
        note: input.note?.trim() || null,
      }),
  });

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
