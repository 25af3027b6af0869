import { matchesTrigger, triggerDueAt, type TriggerSpec } from '../core/campaigns/trigger-match.ts';
import { lockPlanner, planAndWrite } from '../planner/commit-plan.ts';
import { auditTriggerSends } from './send-audit.ts';
import { planUsersByIds } from '../planner/plan-profiles.ts';
import type { SlotContext } from '../planner/run-slot.ts';
import { getCampaign, listCampaigns, type CampaignRecord } from '../storage/control/campaigns.ts';
import { unsubscribesByUser } from '../storage/control/planner-settings.ts';
import {
  advanceTriggerCursor,
  dueTriggers,
  enqueueTriggerMatches,
  recordTriggerOutcomes,
  triggerCursor,
  type DueTriggerRow,
  type TriggerMatch,
} from '../storage/control/trigger-queue.ts';
import { storedJsonObject } from '../storage/warehouse/js-values.ts';
import { eventsArrivedBetween, userEventsUntil } from '../storage/warehouse/trigger-events.ts';

/**
 * Triggered campaigns (features.md D2): every event that arrives in the warehouse — from the SDKs, or
 * a state change the scoring writes (tier_changed, warning_raised, …) — is matched against the
 * running triggered campaigns. A match is queued durably (`trigger_queue`, one row per campaign
 * and event) with its due time (arrival + delay); due rows are planned through the same planner
 * as scheduled slots, so caps, quiet hours, opt-outs and budgets hold for triggers too.
 *
 * The matcher reads events by arrival time behind a cursor that lags `LAG_MS`, so a group that
 * committed a little after its arrival time is still seen; the queue's primary key makes the
 * overlap harmless.
 */

const LAG_MS = 30_000;
const DUE_BATCH = 5_000;

export interface TriggerTick {
  matched: number;
  planned: { sent: number; holdout: number; skipped: number };
}

const triggerOf = (c: CampaignRecord): TriggerSpec | null =>
  c.definition.timing.kind === 'triggered' ? c.definition.timing : null;

const running = async (ctx: SlotContext, workspaceId: string) =>
  (await listCampaigns(ctx.control, workspaceId, { status: 'running' })).filter((c) => triggerOf(c) !== null);

/** Whether any triggered campaign is running (then new events are worth a look). */
export const hasRunningTriggers = async (ctx: SlotContext, workspaceId: string): Promise<boolean> =>
  (await running(ctx, workspaceId)).length > 0;

/** Matches newly arrived events and queues them; returns how many rows were queued. */
export const matchNewEvents = async (ctx: SlotContext, workspaceId: string): Promise<number> => {
  const now = ctx.clock();
  const campaigns = await running(ctx, workspaceId);
  // Nothing listens: no read of the events and no write of the cursor (a later campaign only
  // takes events that arrived after its approval, so an old cursor costs one wider scan).
  if (campaigns.length === 0) return 0;
  // A first start does not replay history: triggers react to what arrives from now on.
  const cursor = (await triggerCursor(ctx.control, workspaceId)) ?? now;
  let queued = 0;
  if (campaigns.length > 0) {
    const names = [...new Set(campaigns.map((c) => triggerOf(c)?.event ?? ''))];
    const events = await eventsArrivedBetween(ctx.warehouse, cursor - LAG_MS, now, names);
    const rows: TriggerMatch[] = [];
    for (const e of events) {
      const props = storedJsonObject(e.properties);
      const received = e.received_at.getTime();
      for (const c of campaigns) {
        const t = triggerOf(c);
        // Only events that arrived after the campaign was approved start it.
        if (!t || received < (c.approvedAt ?? Infinity) || !matchesTrigger(t, e.event, props)) continue;
        rows.push({
          campaignId: c.id,
          messageId: e.message_id,
          userId: e.user_id,
          eventTs: e.ts,
          receivedAt: e.received_at,
          dueAt: new Date(triggerDueAt(t, received)),
          orderId: e.order_id,
        });
      }
    }
    if (rows.length > 0) queued = await enqueueTriggerMatches(ctx.control, workspaceId, rows);
  }
  await advanceTriggerCursor(ctx.control, workspaceId, now);
  return queued;
};

type QueueRow = DueTriggerRow;

/**
 * Plans the queued triggers that are due: rows whose `unlessEvent` happened meanwhile are
 * skipped ('condition_met'); the rest go through the planner together, one message per user and
 * campaign, and every row ends as sent, holdout or skipped with the planner's reason.
 */
export const planDueTriggers = async (
  ctx: SlotContext,
  workspaceId: string,
): Promise<TriggerTick['planned']> => {
  const now = ctx.clock();
  const out = { sent: 0, holdout: 0, skipped: 0 };
  const due = await dueTriggers(ctx.control, workspaceId, now, DUE_BATCH);
  if (due.length === 0) return out;
  const byCampaign = new Map<string, QueueRow[]>();
  for (const r of due) {
    const rows = byCampaign.get(r.campaign_id);
    if (rows) rows.push(r);
    else byCampaign.set(r.campaign_id, [r]);
  }

  const outcome = new Map<string, { status: 'sent' | 'holdout' | 'skipped'; reason: string | null }>();
  const key = (campaignId: string, messageId: string) => `${campaignId}\u0000${messageId}`;
  const batches: { campaign: CampaignRecord; rows: QueueRow[] }[] = [];
  for (const [campaignId, rows] of byCampaign) {
    const c = await getCampaign(ctx.control, workspaceId, campaignId);
    const t = c && c.status === 'running' ? triggerOf(c) : null;
    if (!c || !t) {
      for (const r of rows)
        outcome.set(key(campaignId, r.message_id), { status: 'skipped', reason: 'campaign_stopped' });
      continue;
    }
    let live = rows;
    if (t.unlessEvent) {
      const happened = await userEventsUntil(
        ctx.warehouse,
        t.unlessEvent,
        now,
        rows.map((r) => r.user_id),
      );
      live = rows.filter((r) => {
        // "Not dispatched": a later unlessEvent of the same user (and the same order, if the trigger named one).
        const met = happened.some(
          (h) =>
            h.user_id === r.user_id &&
            h.ts >= r.event_ts &&
            (r.order_id === null || h.order_id === r.order_id),
        );
        if (met) outcome.set(key(campaignId, r.message_id), { status: 'skipped', reason: 'condition_met' });
        return !met;
      });
    }
    if (live.length > 0) batches.push({ campaign: c, rows: live });
  }

  const unsubscribed = await unsubscribesByUser(ctx.control, workspaceId);
  const users = await planUsersByIds(
    ctx.warehouse,
    [...new Set(batches.flatMap((b) => b.rows.map((r) => r.user_id)))],
    unsubscribed,
    batches.map((b) => b.campaign.definition.category),
  );
  await ctx.control.transaction(async (tx) => {
    if (batches.length > 0) {
      await lockPlanner(tx, workspaceId);
      const firstRow = new Map<string, QueueRow>();
      const plan = await planAndWrite(tx, {
        workspaceId,
        slotAt: now,
        batches: batches.map((b) => {
          const members: string[] = [];
          for (const r of b.rows) {
            const k = `${b.campaign.id}\u0000${r.user_id}`;
            if (firstRow.has(k)) {
              // A second trigger of the same user in one batch: one message is enough.
              outcome.set(key(b.campaign.id, r.message_id), {
                status: 'skipped',
                reason: 'duplicate_trigger',
              });
              continue;
            }
            firstRow.set(k, r);
            members.push(r.user_id);
          }
          return { campaign: b.campaign, runId: `trg-${now}`, members };
        }),
        users,
        at: now,
        warehouse: ctx.warehouse,
      });
      const rowOf = (campaignId: string, userId: string) => firstRow.get(`${campaignId}\u0000${userId}`);
      for (const m of plan.result.messages) {
        const r = rowOf(m.campaignId, m.userId);
        if (r) outcome.set(key(m.campaignId, r.message_id), { status: 'sent', reason: null });
      }
      for (const h of plan.result.holdout) {
        const r = rowOf(h.campaignId, h.userId);
        if (r) outcome.set(key(h.campaignId, r.message_id), { status: 'holdout', reason: h.reason ?? null });
      }
      for (const s of plan.result.skipped) {
        const r = rowOf(s.campaignId, s.userId);
        if (r) outcome.set(key(s.campaignId, r.message_id), { status: 'skipped', reason: s.reason });
      }
    }
    const rows = due.map((r) => ({ r, o: outcome.get(key(r.campaign_id, r.message_id)) }));
    await recordTriggerOutcomes(
      tx,
      workspaceId,
      now,
      rows.map((x) => ({
        campaignId: x.r.campaign_id,
        messageId: x.r.message_id,
        status: x.o?.status ?? 'skipped',
        reason: x.o ? x.o.reason : 'not_planned',
      })),
    );
    for (const { o } of rows) out[o?.status ?? 'skipped']++;
    await auditTriggerSends(
      tx,
      workspaceId,
      now,
      rows.map((x) => ({ campaignId: x.r.campaign_id, status: x.o?.status ?? 'skipped' })),
    );
  });
  return out;
};

/** One look: match what arrived, then plan what is due. */
export const triggerTick = async (ctx: SlotContext, workspaceId = 'default'): Promise<TriggerTick> => {
  const matched = await matchNewEvents(ctx, workspaceId);
  const planned = await planDueTriggers(ctx, workspaceId);
  return { matched, planned };
};
