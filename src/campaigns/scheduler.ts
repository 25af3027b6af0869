import { runSlot, type SlotContext, type SlotReport } from '../planner/run-slot.ts';
import { dueCampaigns } from '../storage/control/campaigns.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';
import { planLadderFollowUps } from './ladder-follow-ups.ts';
import { hasRunningTriggers, triggerTick, type TriggerTick } from './triggers.ts';

/**
 * The campaign scheduler of `rekindle serve` (features.md D2). The schedule's single source of truth
 * is `campaigns.next_slot_at`, written in the same transaction as each run (and at approval /
 * resume), so it survives restarts and is never a second copy that could disagree: every
 * `pollSeconds` the scheduler plans whatever is due, all due campaigns together in one slot.
 * Several server processes may poll the same database: the planner's advisory lock and its
 * re-check inside the lock make a slot run once.
 */

export interface SchedulerLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface CampaignScheduler {
  /** Plans what is due now (also what each poll does); resolves with the report, or null. */
  tick(): Promise<SlotReport | null>;
  /** Matches newly arrived events to triggered campaigns and plans the due ones (also polled). */
  triggers(): Promise<TriggerTick | null>;
  /**
   * For the ingest queue's commit listener: a look at once, but only while a triggered campaign
   * runs (as of the last poll), so ingestion does not pay for triggers nobody set up.
   */
  afterCommit(): void;
  stop(): Promise<void>;
}

export const startCampaignScheduler = (
  // `checkpoint`: the DuckDB warehouse's; ClickHouse has no write-ahead log to fold.
  ctx: SlotContext<WarehouseSql & { checkpoint?(): Promise<void> }>,
  options: { pollSeconds: number; triggerPollMs?: number; workspaceId?: string; log: SchedulerLog },
): CampaignScheduler => {
  const workspaceId = options.workspaceId ?? 'default';
  let running: Promise<SlotReport | null> = Promise.resolve(null);
  let stopped = false;
  const once = async (): Promise<SlotReport | null> => {
    const now = ctx.clock();
    const due = await dueCampaigns(ctx.control, workspaceId, now);
    const report = due.length === 0 ? null : await runSlot(ctx, workspaceId, now, { campaigns: due });
    for (const c of report?.campaigns ?? []) options.log.info({ ...c }, 'campaign slot planned');
    // The slot is committed; fold its snapshots and decisions from the warehouse's WAL into the
    // file now, rather than in the middle of the next writer's commit (warehouse.ts). A running
    // query makes DuckDB refuse; then its own threshold does it later.
    if (report && report.campaigns.length > 0) await ctx.warehouse.checkpoint?.().catch(() => undefined);
    // Recall ladders: escalate the non-responders whose wait is over.
    for (const f of await planLadderFollowUps(ctx, workspaceId))
      if (f.sent + f.skipped > 0) options.log.info({ ...f }, 'ladder follow-ups planned');
    return report;
  };
  const tick = (): Promise<SlotReport | null> => {
    // One run at a time in this process; a tick during a run waits for it and then looks again.
    running = running.then(once, once).catch((e: unknown) => {
      options.log.error({ err: e }, 'campaign planning failed; retried at the next poll');
      return null;
    });
    return running;
  };
  let triggering: Promise<TriggerTick | null> = Promise.resolve(null);
  let again = false;
  const triggersOnce = async (): Promise<TriggerTick | null> => {
    const t = await triggerTick(ctx, workspaceId);
    if (t.matched > 0 || t.planned.sent + t.planned.holdout + t.planned.skipped > 0)
      options.log.info({ ...t }, 'triggers planned');
    return t;
  };
  const triggers = (): Promise<TriggerTick | null> => {
    // Coalesce: while a look runs, later kicks ask for exactly one more look after it.
    if (again) return triggering;
    again = true;
    triggering = triggering
      .then(() => {
        again = false;
        return triggersOnce();
      })
      .catch((e: unknown) => {
        again = false;
        options.log.error({ err: e }, 'trigger planning failed; retried at the next look');
        return null;
      });
    return triggering;
  };
  let listening = false;
  const poll = async () => {
    try {
      listening = await hasRunningTriggers(ctx, workspaceId);
    } catch (e) {
      options.log.error({ err: e }, 'looking for triggered campaigns failed');
    }
    return triggers();
  };
  const triggerTimer =
    (options.triggerPollMs ?? 0) > 0
      ? setInterval(() => void (stopped || poll()), options.triggerPollMs)
      : null;
  triggerTimer?.unref();
  const timer =
    options.pollSeconds > 0 ? setInterval(() => void (stopped || tick()), options.pollSeconds * 1000) : null;
  timer?.unref();
  return {
    tick,
    triggers,
    afterCommit: () => {
      if (listening && !stopped) void triggers();
    },
    stop: async () => {
      stopped = true;
      if (timer) clearInterval(timer);
      if (triggerTimer) clearInterval(triggerTimer);
      await running;
      await triggering;
    },
  };
};
