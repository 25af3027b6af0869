import { lastSlotChange } from './finish-delivered.ts';
import { nextLadderStep } from '../core/strategies/ladder.ts';
import { lockPlanner, planAndWrite } from '../planner/commit-plan.ts';
import { idsWho, userValuesCents } from '../planner/plan-inputs.ts';
import { planUsersByIds } from '../planner/plan-profiles.ts';
import { groupDecisions, writeDecisions } from '../planner/plan-decisions.ts';
import type { SlotContext } from '../planner/run-slot.ts';
import { listCampaigns, updateCampaignRow, type CampaignRecord } from '../storage/control/campaigns.ts';
import { unsubscribesByUser } from '../storage/control/planner-settings.ts';

/**
 * The escalation half of recall ladders (features.md D6). For each running campaign with a ladder: every
 * user's latest step (from the outbox), whether a response event came after it (from the
 * warehouse), and what they are worth decide — through `nextLadderStep` — who gets the next,
 * dearer channel now. Those go through the planner like any slot (caps, quiet hours, opt-outs,
 * budgets). A user the planner skips at a follow-up step (a cap, an opt-out, the budget) leaves
 * the ladder: the skip is recorded in `decided_members` (detail `ladder step N`) and never retried,
 * so a ladder cannot nag through the caps. When nobody is waiting or owed a step and no slot is
 * left, the campaign finishes.
 */

export interface FollowUpReport {
  campaignId: string;
  sent: number;
  skipped: number;
  waiting: number;
  done: Record<string, number>;
}

interface Latest {
  user_id: string;
  run_id: string;
  step: string;
  send_at: Date;
}

export const planLadderFollowUps = async (
  ctx: SlotContext,
  workspaceId = 'default',
): Promise<FollowUpReport[]> => {
  const now = ctx.clock();
  const campaigns = (await listCampaigns(ctx.control, workspaceId, { status: 'running' })).filter(
    (c) => c.definition.ladder !== undefined,
  );
  const reports: FollowUpReport[] = [];
  for (const c of campaigns) reports.push(await followUp(ctx, workspaceId, c, now));
  return reports;
};

const followUp = async (
  ctx: SlotContext,
  workspaceId: string,
  c: CampaignRecord,
  now: number,
): Promise<FollowUpReport> => {
  const ladder = c.definition.ladder;
  const report: FollowUpReport = { campaignId: c.id, sent: 0, skipped: 0, waiting: 0, done: {} };
  if (!ladder) return report;
  const latest = await ctx.control.query<Latest>(
    `SELECT DISTINCT ON (user_id) user_id, run_id, step, send_at FROM planned_messages
     WHERE workspace_id = $1 AND campaign_id = $2 ORDER BY user_id, send_at DESC, step DESC`,
    [workspaceId, c.id],
  );
  if (latest.length > 0) {
    const responses = await ctx.warehouse.columns(
      `WITH sent AS (SELECT struct_extract(r, 'u') AS user_id, make_timestamp(struct_extract(r, 't') * 1000) AS at
                     FROM (SELECT unnest(from_json($1, '[{"u":"VARCHAR","t":"BIGINT"}]')) AS r))
       SELECT s.user_id, epoch_ms(min(e.ts)) AS first FROM sent s
       JOIN events e ON e.user_id = s.user_id AND e.ts >= s.at AND e.ts <= $2::TIMESTAMP
       WHERE e.event IN (SELECT unnest(from_json($3, '["VARCHAR"]')))
       GROUP BY s.user_id`,
      [
        JSON.stringify(latest.map((l) => ({ u: l.user_id, t: new Date(l.send_at).getTime() }))),
        new Date(now).toISOString(),
        JSON.stringify(ladder.responseEvents),
      ],
    );
    const leftRows = await ctx.warehouse.columns(
      `SELECT DISTINCT user_id FROM decided_members WHERE campaign_id = $1 AND decision = 'skipped' AND detail LIKE 'ladder step %'`,
      [c.id],
    );
    const left = new Set((leftRows['user_id'] ?? []) as string[]);
    const responded = new Map(
      ((responses['user_id'] ?? []) as string[]).map((u, i) => [u, Number((responses['first'] ?? [])[i])]),
    );
    const { who, params } = idsWho(latest.map((l) => l.user_id));
    const values = await userValuesCents(ctx.warehouse, who, params, now);
    // Users owed a step now, grouped by (run, step): each group is one planner batch.
    const groups = new Map<string, { runId: string; step: number; users: string[] }>();
    for (const l of latest) {
      if (left.has(l.user_id)) {
        report.done['skipped_by_planner'] = (report.done['skipped_by_planner'] ?? 0) + 1;
        continue;
      }
      const d = nextLadderStep(
        ladder,
        {
          valueCents: values.get(l.user_id) ?? 0,
          lastStep: Number(l.step),
          lastSentAt: new Date(l.send_at).getTime(),
          respondedAt: responded.get(l.user_id) ?? null,
        },
        now,
      );
      if (d.kind === 'wait') report.waiting++;
      else if (d.kind === 'done') report.done[d.reason] = (report.done[d.reason] ?? 0) + 1;
      else {
        const key = `${l.run_id}\u0000${d.step}`;
        const g = groups.get(key) ?? { runId: l.run_id, step: d.step, users: [] };
        g.users.push(l.user_id);
        groups.set(key, g);
      }
    }
    if (groups.size > 0) {
      const unsubscribed = await unsubscribesByUser(ctx.control, workspaceId);
      const users = await planUsersByIds(
        ctx.warehouse,
        [...groups.values()].flatMap((g) => g.users),
        unsubscribed,
        [c.definition.category],
      );
      await ctx.control.transaction(async (tx) => {
        await lockPlanner(tx, workspaceId);
        for (const g of groups.values()) {
          const step = ladder.steps[g.step];
          if (!step) continue;
          const { result } = await planAndWrite(tx, {
            workspaceId,
            slotAt: now,
            batches: [
              {
                campaign: c,
                runId: g.runId,
                members: g.users,
                ladderStep: { step: g.step, channel: step.channel },
              },
            ],
            users,
            at: now,
            warehouse: ctx.warehouse,
          });
          report.sent += result.messages.length;
          report.skipped += result.skipped.length;
          if (result.skipped.length > 0) {
            const detail = `ladder step ${g.step}`;
            const skips = result.skipped.map((s) => ({ ...s, detail }));
            await writeDecisions(
              ctx.warehouse,
              groupDecisions({ holdout: [], skipped: skips }),
              new Map([[c.id, g.runId]]),
              now,
            );
          }
        }
      });
    }
  }
  // Nothing left to wait for or send, and no slot owed: the strategy has run its course.
  if (report.waiting === 0 && report.sent === 0 && c.nextSlotAt === null && latest.length > 0) {
    await ctx.control.transaction(async (tx) => {
      await updateCampaignRow(tx, workspaceId, c.id, await lastSlotChange(tx, workspaceId, c.id), now);
    });
  }
  return report;
};
