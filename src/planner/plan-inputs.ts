import {
  DEFAULT_MARKETING_GAP_HOURS,
  DEFAULT_QUIET_SPREAD_MINUTES,
  type PolicySettings,
} from '../core/campaigns/policy-schema.ts';
import type { CampaignDefinition } from '../core/campaigns/schema.ts';
import { offerForVariant } from '../core/campaigns/variant-offer.ts';
import type { Channel, MessageClass } from '../core/channels/channels.ts';
import type { Offer } from '../core/offers/index.ts';
import type { PlanCampaign, PlannerPolicy, SentBefore } from '../core/planner/types.ts';
import type { ChannelQuota, DepartmentBudget } from '../storage/control/planner-settings.ts';
import type { CampaignRecord } from '../storage/control/campaigns.ts';
import { outboxHistoryRows } from '../storage/control/planner-inputs.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import { DAY_MS } from '../core/time/units.ts';
import type { CampaignOffers } from './offer-reserve.ts';

/**
 * Shaping what the planner reads from the stores into the pure planner's inputs (src/core/planner).
 * Nothing here decides anything; the statements are in storage/control/planner-inputs.ts and
 * storage/warehouse/planner-inputs.ts.
 */

/** The planner's campaign: the definition plus what the run and the stores say. */
export const planCampaignOf = (
  c: CampaignRecord,
  runId: string,
  spentCents: number,
  prices: ReadonlyMap<Channel, number>,
  ladderStep?: { step: number; channel: Channel },
  /** Each user's own offer value, the campaign's and each offer-test variant's (offer-reserve.ts); absent: no offer. */
  offers?: CampaignOffers,
): PlanCampaign => {
  const d: CampaignDefinition = c.definition;
  const channels = ladderStep ? [ladderStep.channel] : [...d.channels];
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
    variants: d.variants.map((v) => {
      // A variant with its own offer (or none: 0) reserves that instead of the campaign's.
      const own = offers?.variants.get(v.id);
      const kind = offerForVariant(d, v.id)?.kind;
      return {
        id: v.id,
        weight: v.weight,
        channels: v.channels,
        ...(own === undefined ? {} : { offerCents: own, ...(kind ? { offerKind: kind } : {}) }),
      };
    }),
    costPerMessage: Object.fromEntries(channels.map((ch) => [ch, prices.get(ch) ?? 0])),
    // The user's own offer is reserved with each message: the budget holds even if all redeem.
    ...(d.offer && offers?.cents !== undefined
      ? { offerCents: offers.cents, offerKind: (d.offer as Offer).kind }
      : {}),
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
  // A policy saved before these settings existed gets the defaults.
  quietSpreadMinutes: settings.quietSpreadMinutes ?? DEFAULT_QUIET_SPREAD_MINUTES,
  marketingGapHours: settings.marketingGapHours ?? DEFAULT_MARKETING_GAP_HOURS,
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
  const rows = await outboxHistoryRows(tx, workspaceId, since, users);
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
