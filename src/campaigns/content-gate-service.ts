import type { Actor } from '../core/auth/roles.ts';
import { err, ok } from '../core/result.ts';
import { notFound, type Outcome } from '../core/service-failure.ts';
import { getCampaign } from '../storage/control/campaigns.ts';
import { refused } from './campaigns.ts';
import { campaignGateState, type GateContext, type GateState } from './content-gate.ts';

/** What blocks a campaign's submit / approval, for the editor and the reviewers (everyone who reads campaigns). */
export const contentGateAs = async (ctx: GateContext, actor: Actor, id: string): Outcome<GateState> => {
  const no = refused(actor, 'campaign.read');
  if (no) return err(no);
  const c = await getCampaign(ctx.control, actor.workspaceId, id);
  if (!c) return err(notFound(`campaign '${id}'`));
  return ok(await campaignGateState(ctx, c));
};
