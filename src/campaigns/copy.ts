import type { Actor } from '../core/auth/roles.ts';
import { copyDefinition, copyNames } from '../core/campaigns/copy-definition.ts';
import { err, ok } from '../core/result.ts';
import type { Outcome } from '../core/service-failure.ts';
import { appendAudit } from '../storage/control/audit-log.ts';
import {
  campaignNameTaken,
  getCampaign,
  insertCampaign,
  newCampaignId,
  type CampaignRecord,
} from '../storage/control/campaigns.ts';
import { refused, type CampaignContext } from './campaigns.ts';

/**
 * 复制 (issue 18): a new draft of the caller's from any campaign of the workspace — the same
 * content, audience, offer, schedule (reset when past, core/campaigns/copy-definition.ts), A/B,
 * holdout, budget and goal — named "<name> 副本" (or 副本 2, 3, … when taken). Allowed to whoever
 * may create a campaign; the draft and its audit entry (`campaign.copy`) in one transaction.
 */
export const copyCampaignAs = async (
  ctx: CampaignContext,
  actor: Actor,
  id: string,
): Outcome<{ campaign: CampaignRecord; copiedFrom: string; scheduleReset: boolean }> => {
  const no = refused(actor, 'campaign.create');
  if (no) return err(no);
  const source = await getCampaign(ctx.control, actor.workspaceId, id);
  if (!source) return err({ type: 'not_found', what: `campaign '${id}'` });
  const at = ctx.clock();
  const { definition, scheduleReset } = copyDefinition(source.definition, at);
  const newId = newCampaignId();
  const name = await ctx.control.transaction(async (tx) => {
    let chosen: string | null = null;
    for (const candidate of copyNames(source.name)) {
      if (!(await campaignNameTaken(tx, actor.workspaceId, candidate))) {
        chosen = candidate;
        break;
      }
    }
    if (chosen === null) return null;
    await insertCampaign(tx, {
      id: newId,
      workspaceId: actor.workspaceId,
      name: chosen,
      definition,
      ownerId: actor.userId,
      at,
    });
    await appendAudit(tx, {
      workspaceId: actor.workspaceId,
      at,
      actorId: actor.userId,
      action: 'campaign.copy',
      objectType: 'campaign',
      objectId: newId,
      details: { from: source.id, fromName: source.name, name: chosen, scheduleReset },
    });
    return chosen;
  });
  if (name === null) return err({ type: 'conflict', reason: `too many copies of '${source.name}'` });
  const saved = await getCampaign(ctx.control, actor.workspaceId, newId);
  if (!saved) throw new Error(`campaign ${newId} vanished after insert`);
  return ok({ campaign: saved, copiedFrom: source.id, scheduleReset });
};
