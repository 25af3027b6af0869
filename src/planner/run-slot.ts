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
import type { WarehouseSql } from '../storage/warehouse-sql.ts';
import { firstStepGate, type LadderSkip } from '../core/planner/ladder-gate.ts';
import { ROSTER_WORD_BITS, type PlanResult, type Roster } from '../core/planner/types.ts';
import { insertCampaignRun } from '../storage/control/planner-inputs.ts';
import { snapshotWho, userValuesCents } from '../storage/warehouse/planner-inputs.ts';
import { lockPlanner, planAndWrite } from './commit-plan.ts';
import { groupDecisions, writeDecisions, type DecisionGroup } from './plan-decisions.ts';
import { readRoster } from './plan-profiles.ts';

/**
 * One planner run: every campaign due at `slotAt` planned together (features.md E1–E5, DESIGN
 * principle 3). The imperative shell around `planSlot`:
 *
 * 1. `snapshotAudiences`: each due campaign's audience frozen in the warehouse;
 * 2. `readSlotRoster`: the members with their profiles, consents and opt-outs;
 * 3. `gateLadders`: a recall ladder's first step only for whom the planner's `firstStepGate` lets
 *    through;
 * 4. `commitSlot`: under a per-workspace advisory lock, in one control-plane transaction, re-check
 *    that each campaign is still due, read the send history, budgets and quotas, plan, and write
 *    the outbox, the reservations, the run records and the campaigns' next slots — so two planner
 *    runs can never both spend the same budget or cap. The holdout and skip decisions go to the
 *    warehouse (`plan_decision_groups`) before that commit, keyed by run id.
 */

/** The stores and clock of a planner run, on either warehouse engine. */
export interface SlotContext<W extends WarehouseSql = WarehouseSql> {
  control: SqlClient;
  warehouse: W;
  clock: Clock;
}

/** A planner run's context on either warehouse engine. */
export type PlannerContext = SlotContext<WarehouseSql>;

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

type Progress = (phase: string, done: number) => void;

export const runSlot = async (
  ctx: PlannerContext,
  workspaceId: string,
  slotAt: number,
  options: {
    campaigns?: readonly CampaignRecord[];
    onProgress?: ProgressFn;
    /** More messages than this are committed as outbox batches (commit-plan.ts `INLINE_LIMIT`). */
    inlineLimit?: number;
  } = {},
): Promise<SlotReport> => {
  const t0 = performance.now();
  const due = await dueCampaignsOf(ctx, workspaceId, slotAt, options.campaigns);
  if (due.length === 0) return emptyReport(slotAt);
  // Steps: one per campaign snapshot, then reading inputs, planning and writing.
  const progress: Progress = (phase, done) => options.onProgress?.({ phase, done, total: due.length + 3 });

  const snapshots = await snapshotAudiences(ctx, due, slotAt, progress);
  const t1 = performance.now();
  progress('inputs', due.length);
  const roster = await readSlotRoster(ctx, workspaceId, due, snapshots);
  const ladderSkips = await gateLadders(ctx, due, snapshots, roster, slotAt);
  const t2 = performance.now();
  progress('planning', due.length + 1);
  const committed = await ctx.control.transaction((tx) =>
    commitSlot(tx, ctx, {
      workspaceId,
      slotAt,
      due,
      snapshots,
      roster,
      ladderSkips,
      inlineLimit: options.inlineLimit,
      progress,
    }),
  );
  const t3 = performance.now();
  progress('done', due.length + 3);
  const { ms } = committed;
  return {
    slotAt,
    campaigns: committed.reports,
    ms: {
      snapshots: t1 - t0,
      inputs: t2 - t1 + (t3 - t2 - ms.plan - ms.write),
      plan: ms.plan,
      write: ms.write,
      decisions: ms.decisions,
      outbox: ms.outbox,
      total: t3 - t0,
    },
  };
};

type Snapshots = ReadonlyMap<string, { id: string; memberCount: number }>;

const emptyReport = (slotAt: number): SlotReport => ({
  slotAt,
  campaigns: [],
  ms: { snapshots: 0, inputs: 0, plan: 0, write: 0, decisions: 0, outbox: 0, total: 0 },
});

/** The campaigns due at the slot (or those given), triggered ones aside: they plan per event. */
const dueCampaignsOf = async (
  ctx: PlannerContext,
  workspaceId: string,
  slotAt: number,
  given: readonly CampaignRecord[] | undefined,
): Promise<CampaignRecord[]> =>
  (given ?? (await dueCampaigns(ctx.control, workspaceId, slotAt))).filter(
    (c) => c.definition.timing.kind !== 'triggered',
  );

/** Step 1: each campaign's audience frozen in the warehouse as of the slot. */
const snapshotAudiences = async (
  ctx: PlannerContext,
  due: readonly CampaignRecord[],
  slotAt: number,
  progress: Progress,
): Promise<Snapshots> => {
  const snapshots = new Map<string, { id: string; memberCount: number }>();
  for (const [i, c] of due.entries()) {
    progress('snapshots', i);
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
  return snapshots;
};

/** Step 2: the snapshots' members with their profiles and opt-outs, one roster for the slot. */
const readSlotRoster = async (
  ctx: PlannerContext,
  workspaceId: string,
  due: readonly CampaignRecord[],
  snapshots: Snapshots,
): Promise<Roster> => {
  const unsubscribed = await unsubscribesByUser(ctx.control, workspaceId);
  return readRoster(
    ctx.warehouse,
    due.map((c) => ({ campaignId: c.id, snapshotId: snapshots.get(c.id)?.id ?? '' })),
    unsubscribed,
    due.map((c) => c.definition.category),
  );
};

/**
 * Step 3, recall ladders (features.md D6): the planner's `firstStepGate` decides, from what each member
 * is worth, who may get the first step; the others leave the campaign's members (their roster
 * bit) and are recorded as skipped.
 */
const gateLadders = async (
  ctx: PlannerContext,
  due: readonly CampaignRecord[],
  snapshots: Snapshots,
  roster: Roster,
  slotAt: number,
): Promise<LadderSkip[]> => {
  const ladderSkips: LadderSkip[] = [];
  for (const [k, c] of due.entries()) {
    const ladder = c.definition.ladder;
    const snap = snapshots.get(c.id);
    if (!ladder || !snap) continue;
    const { who, params } = snapshotWho(snap.id);
    const values = await userValuesCents(ctx.warehouse, who, params, slotAt);
    const gate = firstStepGate(roster, k, c.id, ladder, values, slotAt);
    const word = roster.words[Math.floor(k / ROSTER_WORD_BITS)] as Int32Array;
    const bit = 1 << (k % ROSTER_WORD_BITS);
    for (const i of gate.indices) word[i] = (word[i] as number) & ~bit;
    for (const skip of gate.skips) ladderSkips.push(skip);
  }
  return ladderSkips;
};

interface SlotInputs {
  workspaceId: string;
  slotAt: number;
  due: readonly CampaignRecord[];
  snapshots: Snapshots;
  roster: Roster;
  ladderSkips: readonly LadderSkip[];
  inlineLimit: number | undefined;
  progress: Progress;
}

interface CommittedSlot {
  reports: CampaignRunReport[];
  ms: { plan: number; write: number; decisions: number; outbox: number };
}

/**
 * Step 4, the critical section, in one control-plane transaction under the planner lock: what is
 * still due is planned, its outbox and decisions written, each campaign's run recorded.
 */
const commitSlot = async (tx: SqlClient, ctx: PlannerContext, o: SlotInputs): Promise<CommittedSlot> => {
  await lockPlanner(tx, o.workspaceId);
  const still = await stillDue(tx, o.workspaceId, o.due, o.slotAt);
  if (still.length === 0) return { reports: [], ms: { plan: 0, write: 0, decisions: 0, outbox: 0 } };
  const owed = new Map(still.map((c) => [c.id, c.nextSlotAt ?? o.slotAt]));
  const runIds = new Map(still.map((c) => [c.id, runIdOf(c.id, owed.get(c.id) ?? o.slotAt)]));
  const at = ctx.clock();
  const tw0 = performance.now();
  let decisions: DecisionGroup[] = [];
  const { result, planMs, decisionsMs, outboxMs } = await planAndWrite(tx, {
    workspaceId: o.workspaceId,
    slotAt: o.slotAt,
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
    roster: o.roster,
    at,
    warehouse: ctx.warehouse,
    ...(o.inlineLimit === undefined ? {} : { inlineLimit: o.inlineLimit }),
    beforeWrite: (r) => {
      decisions = groupDecisions(r, o.ladderSkips);
      // The run ids are deterministic and not committed (stillDue, under the lock): what a killed
      // attempt of this slot left under them in the warehouse is replaced, not counted twice.
      return writeDecisions(ctx.warehouse, decisions, runIds, o.slotAt, { replaceRuns: true });
    },
  });
  o.progress('writing', o.due.length + 2);
  const tw = tw0 + planMs;
  const tallies = tallyRuns(still, result, decisions);
  const reports: CampaignRunReport[] = [];
  for (const c of still) {
    const report = runReportOf(c, runIds, o.snapshots, tallies, result);
    await recordRun(tx, c, report, { workspaceId: o.workspaceId, slotAt: o.slotAt, owed, at });
    reports.push(report);
  }
  return {
    reports,
    ms: { plan: planMs, write: performance.now() - tw, decisions: decisionsMs, outbox: outboxMs },
  };
};

/** Another planner may have run this slot while we took snapshots: only what is still due. */
const stillDue = async (
  tx: SqlClient,
  workspaceId: string,
  due: readonly CampaignRecord[],
  slotAt: number,
): Promise<CampaignRecord[]> => {
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
  return still;
};

interface Tally {
  messages: number;
  holdout: number;
  skipped: number;
  reasons: Record<string, number>;
}

/** Counts per campaign in one pass over each list (a slot holds millions of decisions). */
const tallyRuns = (
  still: readonly CampaignRecord[],
  result: PlanResult,
  decisions: readonly DecisionGroup[],
): Map<string, Tally> => {
  const tally = new Map<string, Tally>(
    still.map((c) => [c.id, { messages: 0, holdout: 0, skipped: 0, reasons: {} }]),
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
  return tally;
};

const runReportOf = (
  c: CampaignRecord,
  runIds: ReadonlyMap<string, string>,
  snapshots: Snapshots,
  tallies: ReadonlyMap<string, Tally>,
  result: PlanResult,
): CampaignRunReport => {
  const snap = snapshots.get(c.id);
  const t = tallies.get(c.id);
  return {
    campaignId: c.id,
    runId: runIds.get(c.id) ?? '',
    snapshotId: snap?.id ?? '',
    members: snap?.memberCount ?? 0,
    messages: t?.messages ?? 0,
    holdout: t?.holdout ?? 0,
    skipped: t?.skipped ?? 0,
    spendCents: result.spend[c.id] ?? 0,
    skipReasons: t?.reasons ?? {},
  };
};

/** The run record, the campaign's next slot (or its end) and the audit entry of one campaign. */
const recordRun = async (
  tx: SqlClient,
  c: CampaignRecord,
  report: CampaignRunReport,
  o: { workspaceId: string; slotAt: number; owed: ReadonlyMap<string, number>; at: number },
): Promise<void> => {
  const owedAt = o.owed.get(c.id) ?? o.slotAt;
  await insertCampaignRun(tx, {
    runId: report.runId,
    campaignId: c.id,
    slotAt: owedAt,
    snapshotId: report.snapshotId,
    plannedAt: o.at,
    members: report.members,
    messages: report.messages,
    holdout: report.holdout,
    skipped: report.skipped,
    spendCents: report.spendCents,
    skipReasons: report.skipReasons,
  });
  // Slots missed while no planner ran are not sent in a burst: the next one after now.
  const next = nextSlot(c.definition.timing, Math.max(o.slotAt, owedAt), true);
  const nextAt = next.ok ? next.value : null;
  // A ladder keeps running after its last slot: its follow-up steps are still owed. Any other
  // campaign past its last slot finishes once its last message has an outcome.
  const ending = nextAt === null && !c.definition.ladder;
  await updateCampaignRow(
    tx,
    o.workspaceId,
    c.id,
    {
      ...(ending ? await lastSlotChange(tx, o.workspaceId, c.id) : { status: 'running' }),
      nextSlotAt: nextAt,
    },
    o.at,
  );
  await appendAudit(tx, {
    workspaceId: o.workspaceId,
    at: o.at,
    actorId: null,
    action: 'campaign.run',
    objectType: 'campaign',
    objectId: c.id,
    details: {
      ...report,
      slotAt: new Date(o.slotAt).toISOString(),
      nextSlotAt: nextAt && new Date(nextAt).toISOString(),
    },
  });
};
