import type { PolicySettings } from '../core/campaigns/policy-schema.ts';
import type { CampaignDefinition } from '../core/campaigns/schema.ts';
import type { Channel, MessageClass } from '../core/channels/channels.ts';
import { maxOfferValueCents, type Offer } from '../core/offers/index.ts';
import type { PlanCampaign, PlannerPolicy, SentBefore } from '../core/planner/types.ts';
import type { ChannelQuota, DepartmentBudget } from '../storage/control/planner-settings.ts';
import type { CampaignRecord } from '../storage/control/campaigns.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import type { SqlParam, Warehouse } from '../storage/warehouse/warehouse.ts';
import { DAY_MS } from '../core/time/units.ts';

/**
 * Reading what the planner needs from the two stores and shaping it into the pure planner's
 * inputs (src/core/planner). Nothing here decides anything.
 */

/** The planner's campaign: the definition plus what the run and the stores say. */
export const planCampaignOf = (
  c: CampaignRecord,
  runId: string,
  spentCents: number,
  prices: ReadonlyMap<Channel, number>,
  ladderStep?: { step: number; channel: Channel },
): PlanCampaign => {
  const d: CampaignDefinition = c.definition;
  const channels = ladderStep ? [ladderStep.channel] : [...d.channels];
  const offerReserve = d.offer ? maxOfferValueCents(d.offer as Offer) : 0;
  return {
    id: c.id,
    runId,
    step: String(ladderStep?.step ?? 0),
    class: d.class as MessageClass,
    priority: d.priority,
    category: d.category,
    channels,
    reEligibilityDays: d.reEligibilityDays ?? null,
    holdoutShare: d.holdoutShare,
    variants: d.variants.map((v) => ({ id: v.id, weight: v.weight, channels: v.channels })),
    // An offer's most it can cost is reserved with each message: the budget holds even if all redeem.
    costPerMessage: Object.fromEntries(channels.map((ch) => [ch, (prices.get(ch) ?? 0) + offerReserve])),
    budgetRemaining: d.budgetCents === undefined ? null : Math.max(0, d.budgetCents - spentCents),
    department: d.department ?? null,
    outsideWindow: d.outsideWindow,
  };
};

export const plannerPolicyOf = (
  settings: PolicySettings,
  quotas: readonly ChannelQuota[],
  budgets: readonly DepartmentBudget[],
): PlannerPolicy => ({
  caps: settings.caps.map((c) => ({ scope: c.scope as 'total' | Channel, max: c.max, window: c.window })),
  quietHours: settings.quietHours,
  sendWindows: settings.sendWindows as PlannerPolicy['sendWindows'],
  defaultTimezone: settings.defaultTimezone,
  maxMarketingPerSlot: settings.maxMarketingPerSlot,
  globalControlShare: settings.globalControlShare ?? 0,
  channelQuota: Object.fromEntries(quotas.map((q) => [q.channel, Math.max(0, q.quota - q.used)])),
  departmentBudget: Object.fromEntries(
    budgets.map((b) => [b.department, Math.max(0, b.limitCents - b.reservedCents)]),
  ),
});

/** How far back the caps and re-eligibility look: the history the planner must see. */
export const historyWindowMs = (settings: PolicySettings, campaigns: readonly CampaignRecord[]): number => {
  let days = 1;
  for (const cap of settings.caps) {
    const d =
      cap.window.kind === 'rolling'
        ? cap.window.hours / 24
        : cap.window.unit === 'day'
          ? 2
          : cap.window.unit === 'week'
            ? 8
            : 32;
    days = Math.max(days, d);
  }
  for (const c of campaigns) days = Math.max(days, c.definition.reEligibilityDays ?? 0);
  return Math.ceil(days) * DAY_MS;
};

/**
 * Messages already in the outbox since `since` (planned or sent), by user: the caps' history.
 * `users`: only these users' rows (a trigger, a ladder step: the per-user index); null: the
 * whole window (a slot, where most users are in it anyway).
 */
export const outboxHistory = async (
  tx: SqlClient,
  workspaceId: string,
  since: number,
  users: readonly string[] | null,
): Promise<Map<string, SentBefore[]>> => {
  const rows = await tx.query<{
    user_id: string;
    campaign_id: string;
    channel: string;
    class: string;
    send_at: Date;
  }>(
    users
      ? // A few users (a trigger): the outbox by its user index, and only the batches that hold
        // one of them (`&&` on the arrays) unpacked, not every batch of a large slot.
        `SELECT user_id, campaign_id, channel, class, send_at FROM outbox
         WHERE workspace_id = $1 AND send_at >= $2 AND user_id = ANY($3::text[])
         UNION ALL
         SELECT u.user_id, b.campaign_id, b.channel, b.class, b.send_at
         FROM outbox_batches b CROSS JOIN LATERAL unnest(b.user_ids) AS u(user_id)
         WHERE b.workspace_id = $1 AND b.send_at >= $2 AND b.user_ids && $3::text[] AND u.user_id = ANY($3::text[])`
      : `SELECT user_id, campaign_id, channel, class, send_at FROM planned_messages
         WHERE workspace_id = $1 AND send_at >= $2`,
    users ? [workspaceId, new Date(since), users] : [workspaceId, new Date(since)],
  );
  const out = new Map<string, SentBefore[]>();
  for (const r of rows) {
    const list = out.get(r.user_id) ?? [];
    list.push({
      userId: r.user_id,
      campaignId: r.campaign_id,
      channel: r.channel as Channel,
      class: r.class as MessageClass,
      at: new Date(r.send_at).getTime(),
    });
    out.set(r.user_id, list);
  }
  return out;
};

/**
 * What each user is worth to a recall ladder, in cents: the LTV score when one was computed,
 * else what they spent in the 365 days before `at`. `who` selects the users (SQL with `params`).
 */
export const userValuesCents = async (
  warehouse: Warehouse,
  who: string,
  params: SqlParam[],
  at: number,
): Promise<Map<string, number>> => {
  const n = params.length;
  const c = await warehouse.columns(
    `WITH ids AS (SELECT DISTINCT user_id FROM (${who}) AS w(user_id)),
          spend AS (SELECT user_id, sum(amount) AS s FROM events
                    WHERE amount IS NOT NULL AND ts >= $${n + 1}::TIMESTAMP AND ts < $${n + 2}::TIMESTAMP
                      AND user_id IN (SELECT user_id FROM ids) GROUP BY user_id)
     SELECT ids.user_id, CAST(round(100 * coalesce(us.ltv, spend.s, 0)) AS BIGINT) AS cents
     FROM ids LEFT JOIN user_scores us ON us.user_id = ids.user_id LEFT JOIN spend ON spend.user_id = ids.user_id`,
    [...params, new Date(at - 365 * DAY_MS).toISOString(), new Date(at).toISOString()],
  );
  const ids = (c['user_id'] ?? []) as string[];
  const cents = (c['cents'] ?? []) as (bigint | number)[];
  return new Map(ids.map((id, i) => [id, Number(cents[i] ?? 0)]));
};

export const snapshotWho = (snapshotId: string): { who: string; params: SqlParam[] } => ({
  who: 'SELECT user_id FROM audience_snapshot_members WHERE snapshot_id = $1',
  params: [snapshotId],
});

export const idsWho = (userIds: readonly string[]): { who: string; params: SqlParam[] } => ({
  who: `SELECT unnest(from_json($1, '["VARCHAR"]'))`,
  params: [JSON.stringify(userIds)],
});

/** Last order and average order value per user, for offers that depend on history. */
export const orderHistories = async (warehouse: Warehouse, userIds: readonly string[], at: number) => {
  const c = await warehouse.columns(
    `SELECT user_id, epoch_ms(max(ts)) AS last_order, CAST(round(100 * avg(amount)) AS BIGINT) AS aov FROM events
     WHERE event = 'order' AND ts <= $2::TIMESTAMP AND user_id IN (SELECT unnest(from_json($1, '["VARCHAR"]')))
     GROUP BY user_id`,
    [JSON.stringify(userIds), new Date(at).toISOString()],
  );
  const ids = (c['user_id'] ?? []) as string[];
  return new Map(
    ids.map((id, i) => [
      id,
      { lapsedSince: Number((c['last_order'] ?? [])[i]), averageOrderCents: Number((c['aov'] ?? [])[i]) },
    ]),
  );
};
