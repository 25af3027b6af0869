import { appendAudit } from '../storage/control/audit-log.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';

/**
 * Sends the system makes on its own are audited too (issue 17): each ladder escalation planned
 * and each round of triggered sends, in the transaction that writes their messages. The actor is
 * the system (no person: `actorId` null, `by: 'planner'`); the counts say what was decided.
 */

export const auditLadderStep = (
  tx: SqlClient,
  p: {
    workspaceId: string;
    campaignId: string;
    runId: string;
    step: number;
    channel: string;
    users: number;
    sent: number;
    skipped: number;
    at: number;
  },
): Promise<void> =>
  appendAudit(tx, {
    workspaceId: p.workspaceId,
    at: p.at,
    actorId: null,
    action: 'ladder.step',
    objectType: 'campaign',
    objectId: p.campaignId,
    details: {
      by: 'planner',
      runId: p.runId,
      step: p.step,
      channel: p.channel,
      users: p.users,
      sent: p.sent,
      skipped: p.skipped,
    },
  });

/** One entry per campaign of a trigger round, with how many were sent, held out and skipped. */
export const auditTriggerSends = async (
  tx: SqlClient,
  workspaceId: string,
  at: number,
  outcomes: readonly { campaignId: string; status: 'sent' | 'holdout' | 'skipped' }[],
): Promise<void> => {
  const byCampaign = new Map<string, { sent: number; holdout: number; skipped: number }>();
  for (const o of outcomes) {
    let n = byCampaign.get(o.campaignId);
    if (!n) byCampaign.set(o.campaignId, (n = { sent: 0, holdout: 0, skipped: 0 }));
    n[o.status]++;
  }
  for (const [campaignId, n] of byCampaign)
    await appendAudit(tx, {
      workspaceId,
      at,
      actorId: null,
      action: 'trigger.send',
      objectType: 'campaign',
      objectId: campaignId,
      details: { by: 'planner', ...n },
    });
};
