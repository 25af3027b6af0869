import { lastSlotChange } from '../campaigns/finish-delivered.ts';
import { takeSnapshot } from '../audience/saved-audiences.ts';
import type { Actor } from '../core/auth/roles.ts';
import { nextSlot } from '../core/campaigns/next-slot.ts';
import type { Clock } from '../core/clock.ts';
import type { ProgressFn } from '../core/jobs/progress.ts';
import { appendAudit } from '../storage/control/audit-log.ts';
import {
  dueCampaigns,
  getCampaign,
  updateCampaignRow,
  type CampaignRecord,
} from '../storage/control/campaigns.ts';
import { unsubscribesByUser } from '../storage/control/planner-settings.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import type { Warehouse } from '../storage/warehouse/warehouse.ts';
import { nextLadderStep } from '../core/strategies/ladder.ts';
import { lockPlanner, planAndWrite } from './commit-plan.ts';
import { groupDecisions, writeDecisions, type DecisionGroup } from './plan-decisions.ts';
import { snapshotWho, userValuesCents } from './plan-inputs.ts';
import { readRoster } from './plan-profiles.ts';
import { ROSTER_WORD_BITS } from '../core/planner/types.ts';

/**
 * One planner run: every campaign due at `slotAt` planned together (features.md E1–E5, DESIGN
 * principle 3). The imperative shell around `planSlot`:
 *
 * 1. snapshot each due campaign's audience (members frozen in the warehouse);
 * 2. read profiles, consents, opt-outs;
 * 3. under a per-workspace advisory lock, in one control-plane transaction: re-check that each
 *    campaign is still due, read the send history, budgets and quotas, plan, and write the
 *    outbox, the reservations, the run records and the campaigns' next slots — so two planner
 *    runs can never both spend the same budget or cap;
 * 4. the holdout and skip decisions go to the warehouse (`plan_decision_groups`) before that commit,
 *    keyed by run id.
 */

export interface SlotContext {
  control: SqlClient;
  warehouse: Warehouse;
  clock: Clock;
}

export interface CampaignRunReport {
  campaignId: string;
  runId: string;
  snapshotId: string;
  members: number;
  messages: number;
  holdout: number;
  skipped: number;
  spendCents: number;
  skipReasons: Record<string, number>;
}

export interface SlotReport {
  slotAt: number;
  campaigns: CampaignRunReport[];
  ms: {
    snapshots: number;
    inputs: number;
    plan: number;
    /** Decisions into the warehouse, outbox rows, run records and next slots. */
    write: number;
    decisions: number;
    outbox: number;
    total: number;
  };
}

/**
 * The run id of a campaign's owed slot (its next_slot_at, which may be a little before the
 * instant the planner runs): deterministic, so a re-planned slot has the same keys.
 */
export const runIdOf = (campaignId: string, owedSlotAt: number): string => `${campaignId}@${owedSlotAt}`;

const systemActor = (c: CampaignRecord): Actor => ({
  userId: c.approvedBy ?? c.ownerId,
  workspaceId: c.workspaceId,
  name: 'planner',
  role: 'admin',
});

export const runSlot = async (
  ctx: SlotContext,
  workspaceId: string,
  slotAt: number,
  options: {
    campaigns?: readonly CampaignRecord[];
    onProgress?: ProgressFn;
    /** More messages than this are committed as outbox batches (commit-plan.ts `INLINE_LIMIT`). */
    inlineLimit?: number;
  } = {},
): Promise<SlotReport> => {
  // Steps: one per campaign snapshot, then reading inputs, planning and writing.
  const progress = (phase: string, done: number, of: number) =>
    options.onProgress?.({ phase, done, total: of + 3 });
  const t0 = performance.now();
  const due = (options.campaigns ?? (await dueCampaigns(ctx.control, workspaceId, slotAt))).filter(
    (c) => c.definition.timing.kind !== 'triggered',
  );
  const empty: SlotReport = {
    slotAt,
    campaigns: [],
    ms: { snapshots: 0, inputs: 0, plan: 0, write: 0, decisions: 0, outbox: 0, total: 0 },
  };
  if (due.length === 0) return empty;

  const snapshots = new Map<string, { id: string; memberCount: number }>();
  for (const [i, c] of due.entries()) {
    progress('snapshots', i, due.length);
    const snap = await takeSnapshot(
      { control: ctx.control, warehouse: ctx.warehouse, clock: ctx.clock },
      systemActor(c),
      c.definition.audienceId,
      { asOf: slotAt, purpose: `campaign:${c.id}` },
    );
    if (!snap.ok)
      throw new Error(`campaign ${c.id}: snapshot of audience failed: ${JSON.stringify(snap.error)}`);
    snapshots.set(c.id, { id: snap.value.id, memberCount: snap.value.memberCount });
  }
  const t1 = performance.now();
  progress('inputs', due.length, due.length);
  const unsubscribed = await unsubscribesByUser(ctx.control, workspaceId);
  const roster = await readRoster(
    ctx.warehouse,
    due.map((c) => ({ campaignId: c.id, snapshotId: snapshots.get(c.id)?.id ?? '' })),
    unsubscribed,
    due.map((c) => c.definition.category),
  );
  // Recall ladders (features.md D6): the first step only for users worth disturbing and worth its channel.
  const ladderSkips: { campaignId: string; userId: string; reason: string }[] = [];
  for (const [k, c] of due.entries()) {
    const ladder = c.definition.ladder;
    const snap = snapshots.get(c.id);
    if (!ladder || !snap) continue;
    const { who, params } = snapshotWho(snap.id);
    const values = await userValuesCents(ctx.warehouse, who, params, slotAt);
    const word = roster.words[Math.floor(k / ROSTER_WORD_BITS)] as Int32Array;
    const bit = 1 << (k % ROSTER_WORD_BITS);
    roster.ids.forEach((u, i) => {
      if (((word[i] as number) & bit) === 0) return;
      const d = nextLadderStep(
        ladder,
        { valueCents: values.get(u) ?? 0, lastStep: -1, lastSentAt: null, respondedAt: null },
        slotAt,
      );
      if (d.kind === 'send') return;
      word[i] = (word[i] as number) & ~bit;
      ladderSkips.push({ campaignId: c.id, userId: u, reason: d.kind === 'done' ? d.reason : 'waiting' });
    });
  }
  const t2 = performance.now();
  let tPlan = 0;
  let tWrite = 0;
  let tDecisions = 0;
  let tOutbox = 0;

  progress('planning', due.length + 1, due.length);
  const reports = await ctx.control.transaction(async (tx) => {
    await lockPlanner(tx, workspaceId);
    // Another planner may have run this slot while we took snapshots: only what is still due.
    const still: CampaignRecord[] = [];
    for (const c of due) {
      const now = await getCampaign(tx, workspaceId, c.id, true);
      if (
        now &&
        (now.status === 'scheduled' || now.status === 'running') &&
        now.nextSlotAt !== null &&
        now.nextSlotAt <= slotAt
      )
        still.push(now);
    }
    if (still.length === 0) return [];
    const owed = new Map(still.map((c) => [c.id, c.nextSlotAt ?? slotAt]));
    const runIds = new Map(still.map((c) => [c.id, runIdOf(c.id, owed.get(c.id) ?? slotAt)]));
    const at = ctx.clock();
    const tw0 = performance.now();
    let decisions: DecisionGroup[] = [];
    const { result, planMs, decisionsMs, outboxMs } = await planAndWrite(tx, {
      workspaceId,
      slotAt,
      batches: still.map((c) => {
        const first = c.definition.ladder?.steps[0];
        return {
          campaign: c,
          runId: runIds.get(c.id) ?? '',
          members: [], // in the roster
          ...(first ? { ladderStep: { step: 0, channel: first.channel } } : {}),
        };
      }),
      users: null,
      roster,
      at,
      warehouse: ctx.warehouse,
      ...(options.inlineLimit === undefined ? {} : { inlineLimit: options.inlineLimit }),
      beforeWrite: (r) => {
        decisions = groupDecisions(r, ladderSkips);
        return writeDecisions(ctx.warehouse, decisions, runIds, slotAt);
      },
    });
    progress('writing', due.length + 2, due.length);
    tPlan = planMs;
    tDecisions = decisionsMs;
    tOutbox = outboxMs;
    const tw = tw0 + planMs;
    // Counts per campaign in one pass over each list (a slot holds millions of decisions).
    const tally = new Map(
      still.map((c) => [
        c.id,
        { messages: 0, holdout: 0, skipped: 0, reasons: {} as Record<string, number> },
      ]),
    );
    for (const m of result.messages) {
      const t = tally.get(m.campaignId);
      if (t) t.messages++;
    }
    // Holdouts and skips (the ladder's too) as grouped for the warehouse: counted a group at a time.
    for (const g of decisions) {
      const t = tally.get(g.campaignId);
      if (!t) continue;
      const n = g.userIds.length;
      if (g.decision === 'holdout') t.holdout += n;
      else {
        t.skipped += n;
        const reason = g.reason ?? '';
        t.reasons[reason] = (t.reasons[reason] ?? 0) + n;
      }
    }
    const out: CampaignRunReport[] = [];
    for (const c of still) {
      const runId = runIds.get(c.id) ?? '';
      const snap = snapshots.get(c.id);
      const t = tally.get(c.id);
      const skipReasons = t?.reasons ?? {};
      const report: CampaignRunReport = {
        campaignId: c.id,
        runId,
        snapshotId: snap?.id ?? '',
        members: snap?.memberCount ?? 0,
        messages: t?.messages ?? 0,
        holdout: t?.holdout ?? 0,
        skipped: t?.skipped ?? 0,
        spendCents: result.spend[c.id] ?? 0,
        skipReasons,
      };
      await tx.query(
        `INSERT INTO campaign_runs (id, campaign_id, slot_at, snapshot_id, planned_at, members, messages, holdout, skipped,
                                    spend_cents, skip_reasons)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::text::jsonb)`,
        [
          runId,
          c.id,
          new Date(owed.get(c.id) ?? slotAt),
          report.snapshotId,
          new Date(at),
          report.members,
          report.messages,
          report.holdout,
          report.skipped,
          report.spendCents,
          JSON.stringify(skipReasons),
        ],
      );
      // Slots missed while no planner ran are not sent in a burst: the next one after now.
      const next = nextSlot(c.definition.timing, Math.max(slotAt, owed.get(c.id) ?? slotAt), true);
      const nextAt = next.ok ? next.value : null;
      // A ladder keeps running after its last slot: its follow-up steps are still owed. Any other
      // campaign past its last slot finishes once its last message has an outcome.
      const ending = nextAt === null && !c.definition.ladder;
      await updateCampaignRow(
        tx,
        workspaceId,
        c.id,
        {
          ...(ending ? await lastSlotChange(tx, workspaceId, c.id) : { status: 'running' }),
          nextSlotAt: nextAt,
        },
        at,
      );
      await appendAudit(tx, {
        workspaceId,
        at,
        actorId: null,
        action: 'campaign.run',
        objectType: 'campaign',
        objectId: c.id,
        details: {
          ...report,
          slotAt: new Date(slotAt).toISOString(),
          nextSlotAt: nextAt && new Date(nextAt).toISOString(),
        },
      });
      out.push(report);
    }
    tWrite = performance.now() - tw;
    return out;
  });
  const t3 = performance.now();
  progress('done', due.length + 3, due.length);
  return {
    slotAt,
    campaigns: reports,
    ms: {
      snapshots: t1 - t0,
      inputs: t2 - t1 + (t3 - t2 - tPlan - tWrite),
      plan: tPlan,
      write: tWrite,
      decisions: tDecisions,
      outbox: tOutbox,
      total: t3 - t0,
    },
  };
};
