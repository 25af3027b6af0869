import type { Channel, MessageClass } from '../core/channels/channels.ts';
import { planSlot } from '../core/planner/plan-slot.ts';
import type { PlanInput, PlanResult, Roster, SentBefore } from '../core/planner/types.ts';
import type { CampaignRecord } from '../storage/control/campaigns.ts';
import { getPolicy, listChannelQuotas, listDepartmentBudgets } from '../storage/control/planner-settings.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import { issueOffer, type IssuedOffer, type UserHistory } from '../core/offers/index.ts';
import { hasAnyOffer, offerForVariant } from '../core/campaigns/variant-offer.ts';
import { insertIssuedOffers } from '../storage/control/offers-issued.ts';
import { workspaceSecret } from '../storage/control/workspace-secrets.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';
import {
  lockPlannerSql,
  plannedSpendByCampaign,
  useChannelQuota,
} from '../storage/control/planner-inputs.ts';
import { offersOfMembers, type CampaignOffers } from './offer-reserve.ts';
import { batchesOf, writeOutboxBatches } from '../outbox/batches.ts';
import { writeOutbox } from '../outbox/enqueue.ts';
import { historyWindowMs, outboxHistory, planCampaignOf, plannerPolicyOf } from './plan-inputs.ts';
import { readChannelReach } from './channel-reach.ts';
import { planStrategy } from './plan-strategy.ts';

/**
 * The planner's critical section, shared by scheduled slots and triggers: inside the caller's
 * control-plane transaction, take the workspace's planner lock, read the send history, budgets
 * and quotas as they are now, plan, and write the outbox and the reservations. Two planner runs
 * (two processes, a slot and a trigger) are serialised by the lock, so the second sees the
 * first's messages in its history and its spend in the budgets.
 */

export const lockPlanner = (tx: SqlClient, workspaceId: string): Promise<void> =>
  lockPlannerSql(tx, workspaceId);

export interface PlanBatch {
  campaign: CampaignRecord;
  runId: string;
  members: readonly string[];
  /** A ladder step other than the campaign's plain send: that step's number and channel. */
  ladderStep?: { step: number; channel: Channel };
}

export interface CommittedPlan {
  result: PlanResult;
  planMs: number;
  /** `beforeWrite` (e.g. the decisions into the warehouse) and the outbox rows. */
  decisionsMs: number;
  outboxMs: number;
}

/** Plans up to this many messages write outbox rows directly (visible at once, e.g. to a trigger's caller). */
export const INLINE_LIMIT = 20_000;

/** Up to this many members, the send history is read for them only, not the whole window. */
const HISTORY_BY_USER_LIMIT = 20_000;

export interface PlanRequest {
  workspaceId: string;
  slotAt: number;
  batches: readonly PlanBatch[];
  /** Profiles of the batches' members; null with a roster. */
  users: PlanInput['users'];
  /** Members and profiles of every batch in one (a scheduled slot); the batches' `members` are then unused. */
  roster?: Roster;
  /** Where user histories are read for offers whose amount depends on them. */
  warehouse: WarehouseSql;
  /** When offers are issued and decided (their amounts, what is spent); default `slotAt`. */
  at?: number;
}

/**
 * Reads the history, budgets, quotas and each member's own offer as they are in `tx` and plans;
 * writes nothing. `offers`: the members' offers the plan reserved, to issue them from.
 */
export const computePlan = async (
  tx: SqlClient,
  o: PlanRequest,
): Promise<{ result: PlanResult; planMs: number; offers: Map<string, CampaignOffers> }> => {
  const campaigns = o.batches.map((b) => b.campaign);
  const at = o.at ?? o.slotAt;
  const memberCount = o.roster ? o.roster.ids.length : o.batches.reduce((n, b) => n + b.members.length, 0);
  const { policy: settings } = await getPolicy(tx, o.workspaceId);
  const quotas = await listChannelQuotas(tx, o.workspaceId);
  const budgets = await listDepartmentBudgets(tx, o.workspaceId, at);
  const prices = new Map<Channel, number>(quotas.map((q) => [q.channel, q.costCents]));
  const history: Map<string, SentBefore[]> = await outboxHistory(
    tx,
    o.workspaceId,
    o.slotAt - historyWindowMs(settings, campaigns),
    memberCount > HISTORY_BY_USER_LIMIT
      ? null
      : o.roster
        ? o.roster.ids
        : [...new Set(o.batches.flatMap((b) => b.members))],
  );
  const spent = await plannedSpendByCampaign(
    tx,
    o.workspaceId,
    campaigns.map((c) => c.id),
    at,
  );
  const offers = await offersOfMembers(o.warehouse, o.batches, o.roster, at);
  const strategy = await planStrategy(tx, o);
  const reach = await readChannelReach(tx, o.warehouse, o.workspaceId, settings);
  const t = performance.now();
  const result = planSlot({
    slotAt: o.slotAt,
    campaigns: o.batches.map((b) =>
      planCampaignOf(
        b.campaign,
        b.runId,
        spent.get(b.campaign.id) ?? 0,
        prices,
        b.ladderStep,
        offers.get(b.campaign.id),
      ),
    ),
    members: o.roster ?? new Map(o.batches.map((b) => [b.campaign.id, b.members])),
    users: o.users,
    history,
    policy: plannerPolicyOf(settings, quotas, budgets),
    ...(strategy ? { strategy } : {}),
    channelBlocks: reach.blocks,
    channelsDown: reach.down,
  });
  return { result, planMs: performance.now() - t, offers };
};

/**
 * Call with the lock held (`lockPlanner`) in the same transaction. At most one batch per
 * campaign (the planner keys members by campaign); plan several steps of one campaign with
 * several calls in the same transaction: each sees the previous one's messages.
 */
export const planAndWrite = async (
  tx: SqlClient,
  o: PlanRequest & {
    at: number;
    /**
     * Up to this many messages go straight into the outbox; a larger plan is committed as
     * `outbox_batches` that delivery expands (outbox/batches.ts). Default `INLINE_LIMIT`.
     */
    inlineLimit?: number;
    /** Runs before the outbox is written (e.g. decisions into the warehouse). */
    beforeWrite?: (result: PlanResult) => Promise<void>;
  },
): Promise<CommittedPlan> => {
  const { result, planMs, offers } = await computePlan(tx, o);
  const t = performance.now();
  // The decisions go to the warehouse while the outbox goes to the control plane: two stores,
  // so the writes overlap. Both finish before the control-plane commit, and decisions whose run
  // never commits are never read (see plan_decision_groups in the warehouse DDL).
  let decisionsMs = 0;
  let outboxMs = 0;
  // allSettled: a failure in one waits for the other, so the transaction is never rolled back
  // under a COPY still running on its connection.
  const settled = await Promise.allSettled([
    (async () => {
      const campaigns = o.batches.map((b) => b.campaign);
      if (result.messages.length <= (o.inlineLimit ?? INLINE_LIMIT))
        await writeOutbox(tx, o.workspaceId, result, campaigns, o.at);
      else {
        const classOf = new Map(campaigns.map((c) => [c.id, c.definition.class as MessageClass]));
        const batches = batchesOf(result.messages, (id) => classOf.get(id) ?? 'marketing');
        await writeOutboxBatches(tx, o.workspaceId, batches, o.at);
      }
      await issueOffers(tx, o, result, offers);
      outboxMs = performance.now() - t;
    })(),
    // Second: the outbox's rows are shaped (JavaScript) and handed to PostgreSQL first, then the
    // decisions to DuckDB, so neither engine waits on the other's JavaScript.
    (async () => {
      await o.beforeWrite?.(result);
      decisionsMs = performance.now() - t;
    })(),
  ]);
  for (const r of settled) if (r.status === 'rejected') throw r.reason;
  // Department budgets need no reservation written: what a department has committed is read
  // from its campaigns' messages and offers (committedSpendSql), so what is not spent frees itself.
  for (const [channel, n] of Object.entries(result.quotaUse))
    await useChannelQuota(tx, o.workspaceId, channel, n);
  return { result, planMs, decisionsMs, outboxMs };
};

/**
 * One offer per planned message of a campaign that has one (features.md D4), issued with the message in
 * the same transaction: a code derived from the workspace's secret, the amount from the user's
 * history as the plan read it (so it is the amount the budget reserved), the cost at issue booked
 * now (`offers_issued`). A user the offer's rule does not cover (e.g. not lapsed long enough) gets
 * the message without an offer.
 */
const issueOffers = async (
  tx: SqlClient,
  o: { workspaceId: string; batches: readonly PlanBatch[]; at: number },
  result: PlanResult,
  decided: ReadonlyMap<string, CampaignOffers>,
): Promise<void> => {
  const withOffer = new Map(
    o.batches.filter((b) => hasAnyOffer(b.campaign.definition)).map((b) => [b.campaign.id, b.campaign]),
  );
  if (withOffer.size === 0) return;
  const messages = result.messages.filter((m) => withOffer.has(m.campaignId));
  if (messages.length === 0) return;
  const secret = await workspaceSecret(tx, o.workspaceId, 'offer-codes');
  const none = new Map<string, UserHistory>();
  const issued: { idempotencyKey: string; offer: IssuedOffer }[] = [];
  for (const m of messages) {
    // The member's variant's offer in an offer test (none for a variant without), else the campaign's.
    const campaign = withOffer.get(m.campaignId);
    const offer = campaign && offerForVariant(campaign.definition, m.variant);
    if (!offer) continue;
    const history = (decided.get(m.campaignId)?.histories ?? none).get(m.userId) ?? {};
    const r = issueOffer(offer, history, {
      campaignId: m.campaignId,
      userId: m.userId,
      now: o.at,
      secret,
    });
    if (r.ok) issued.push({ idempotencyKey: m.idempotencyKey, offer: r.value });
  }
  await insertIssuedOffers(tx, o.workspaceId, issued);
};
