import type { Actor } from '../core/auth/roles.ts';
import { slotQuietHours, type SlotQuietHours } from '../core/campaigns/slot-quiet-hours.ts';
import { deadReasonWords } from '../core/delivery/dead-letter-words.ts';
import { skipWords } from '../core/planner/decision-words.ts';
import { err, ok } from '../core/result.ts';
import { refused } from '../campaigns/campaigns.ts';
import { listCampaigns } from '../storage/control/campaigns.ts';
import { campaignTotals } from '../storage/warehouse/campaign-totals.ts';
import type { Outcome } from '../core/service-failure.ts';
import { words as w, type Words } from '../core/words.ts';
import {
  campaignCommittedCents,
  campaignFailures,
  campaignOutboxByChannel,
  campaignRunTotals,
  campaignTriggerTotals,
  type FailureGroup,
  type OutboxChannelRow,
} from '../storage/control/campaign-progress.ts';
import { getPolicy } from '../storage/control/planner-settings.ts';
import { campaignStats } from './campaign-stats.ts';
import { readableCampaign, type ReportsContext } from './context.ts';
import { num, ratio } from './sql.ts';

/**
 * A campaign's progress in one answer (issue 18, the detail page; GET /v1/campaigns/:id/progress):
 *
 * - the funnel planned → sent → delivered → clicked → converted, from the same figures as the
 *   campaign stats (features.md G1: the warehouse's message facts, shipped every few seconds), so
 *   the page and the reports say the same;
 * - per channel, live from the outbox: what waits, what went, what failed, with the failures by
 *   cause in words;
 * - the users the planner left out, by reason in words (its runs, and a triggered campaign's
 *   queue), the holdout, the latest snapshot's size;
 * - the next slot with its local time and whether it falls in quiet hours (then when it goes);
 * - the budget: spent (as the reports count it), committed (spent plus what may yet cost) and left.
 *
 * Every role may read it (campaign.read), as every report.
 */

export interface Reason {
  reason: string;
  count: number;
  words: Words;
}

export interface ChannelProgress extends OutboxChannelRow {
  failures: (Reason & { kind: FailureGroup['kind'] })[];
}

export interface VariantProgress {
  variant: string;
  planned: number;
  sent: number;
  clicked: number;
  ctr: number | null;
  users: number;
  convertedUsers: number;
  conversionRate: number | null;
}

export interface CampaignProgress {
  campaignId: string;
  status: string;
  asOf: number;
  funnel: {
    planned: number;
    sent: number;
    delivered: number;
    clicked: number;
    /** Distinct users who converted (the goal), of `users` reached. */
    converted: number;
    users: number;
    sentRate: number | null;
    deliveredRate: number | null;
    clickRate: number | null;
    conversionRate: number | null;
    /**
     * In-app has no delivery receipt: `delivered` counts the other channels only, and
     * `deliveredRate` is over their sent messages; the inbox's own figures are here (null: none).
     */
    inApp: { stored: number; read: number; readRate: number | null } | null;
  };
  /** Messages waiting in the outbox or being sent now. */
  waiting: number;
  channels: ChannelProgress[];
  skipped: { total: number; reasons: Reason[] };
  holdout: { users: number; share: number };
  snapshot: { members: number; slotAt: number } | null;
  runs: { count: number; lastPlannedAt: number | null };
  trigger: { waiting: number; sent: number; holdout: number; skipped: number } | null;
  nextSlot: (SlotQuietHours & { at: number }) | null;
  budget: {
    limitCents: number | null;
    spentCents: number;
    committedCents: number;
    remainingCents: number | null;
  };
  variants: VariantProgress[];
}

/** A failed receipt in words: the vendor's code is kept for engineers. */
const receiptWords = (code: string | null): Words =>
  code === null
    ? w('服务商回执：发送失败', 'the provider’s receipt says it failed')
    : w(`服务商回执：发送失败（代码 ${code}）`, `the provider’s receipt says it failed (code ${code})`);

const unknownWords = w(
  '发送途中中断，服务商可能已收到，不再重发',
  'interrupted mid-send; the provider may have it, so it is not sent again',
);

const sortedReasons = (reasons: Record<string, number>): Reason[] =>
  Object.entries(reasons)
    .filter(([, n]) => n > 0)
    .map(([reason, count]) => ({ reason, count, words: skipWords(reason) }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));

const failureReason = (f: FailureGroup): Reason & { kind: FailureGroup['kind'] } => ({
  kind: f.kind,
  reason: f.code ?? '',
  count: f.count,
  words:
    f.kind === 'receipt'
      ? receiptWords(f.code)
      : f.kind === 'unknown'
        ? unknownWords
        : deadReasonWords(f.code),
});

export const campaignProgress = async (
  ctx: ReportsContext,
  actor: Actor,
  campaignId: string,
): Outcome<CampaignProgress> => {
  const c = await readableCampaign(ctx, actor, campaignId);
  if (!c.ok) return c;
  const campaign = c.value;
  const now = ctx.clock();
  const ws = actor.workspaceId;
  const triggered = campaign.definition.timing.kind === 'triggered';

  const stats = await campaignStats(ctx, actor, campaignId, 'variant');
  if (!stats.ok) return stats;
  const total = stats.value.total;
  const inApp = stats.value.inApp;
  const outbox = await campaignOutboxByChannel(ctx.control, ws, campaignId);
  const anyReceiptFailed = outbox.some((r) => r.failed > 0);
  const failures = await campaignFailures(ctx.control, ws, campaignId, anyReceiptFailed);
  const runs = await campaignRunTotals(ctx.control, campaignId);
  const trig = triggered ? await campaignTriggerTotals(ctx.control, campaignId) : null;

  const skipReasons: Record<string, number> = { ...runs.skipReasons };
  for (const [k, n] of Object.entries(trig?.skipReasons ?? {})) skipReasons[k] = (skipReasons[k] ?? 0) + n;
  const reasons = sortedReasons(skipReasons);

  const { policy } = await getPolicy(ctx.control, ws);
  const nextSlot =
    campaign.nextSlotAt === null
      ? null
      : {
          at: campaign.nextSlotAt,
          ...slotQuietHours(
            campaign.nextSlotAt,
            policy.quietHours,
            policy.defaultTimezone,
            campaign.definition.class !== 'transactional',
          ),
        };

  const limitCents = campaign.definition.budgetCents ?? null;
  const committedCents = await campaignCommittedCents(ctx.control, ws, campaignId, now);

  const variants: VariantProgress[] =
    campaign.definition.variants.length === 0
      ? []
      : stats.value.rows.map((r) => ({
          variant: r.key,
          planned: r.planned,
          sent: r.sent,
          clicked: r.clicked,
          ctr: r.ctr,
          users: r.users,
          convertedUsers: r.convertedUsers,
          conversionRate: r.conversionRate,
        }));

  return ok({
    campaignId,
    status: campaign.status,
    asOf: now,
    funnel: {
      planned: total.planned,
      sent: total.sent,
      delivered: total.delivered,
      clicked: total.clicked,
      converted: total.convertedUsers,
      users: total.users,
      sentRate: ratio(total.sent, total.planned),
      deliveredRate: ratio(total.delivered, Math.max(0, total.sent - (inApp?.stored ?? 0))),
      clickRate: total.ctr,
      conversionRate: total.conversionRate,
      inApp: inApp && { ...inApp, readRate: ratio(inApp.read, inApp.stored) },
    },
    waiting: outbox.reduce((s, r) => s + r.waiting, 0),
    channels: outbox.map((r) => ({
      ...r,
      failures: failures.filter((f) => f.channel === r.channel).map(failureReason),
    })),
    skipped: { total: reasons.reduce((s, r) => s + r.count, 0), reasons },
    holdout: { users: runs.holdout + (trig?.holdout ?? 0), share: campaign.definition.holdoutShare },
    snapshot:
      runs.lastMembers === null || runs.lastSlotAt === null
        ? null
        : { members: runs.lastMembers, slotAt: runs.lastSlotAt },
    runs: { count: runs.runs, lastPlannedAt: runs.lastPlannedAt },
    trigger: trig && { waiting: trig.waiting, sent: trig.sent, holdout: trig.holdout, skipped: trig.skipped },
    nextSlot,
    budget: {
      limitCents,
      spentCents: total.costCents,
      committedCents,
      remainingCents: limitCents === null ? null : Math.max(0, limitCents - committedCents),
    },
    variants,
  });
};

/** Per campaign of the workspace: messages sent and users converted so far (the list's columns). */
export const campaignListTotals = async (
  ctx: ReportsContext,
  actor: Actor,
): Outcome<{ campaignId: string; sent: number; convertedUsers: number }[]> => {
  const no = refused(actor, 'campaign.read');
  if (no) return err(no);
  const mine = new Set((await listCampaigns(ctx.control, actor.workspaceId)).map((c) => c.id));
  const rows = await campaignTotals(ctx.warehouse);
  return ok(
    rows
      .filter((r) => mine.has(String(r.campaign_id)))
      .map((r) => ({
        campaignId: String(r.campaign_id),
        sent: num(r.sent),
        convertedUsers: num(r.converted),
      })),
  );
};
