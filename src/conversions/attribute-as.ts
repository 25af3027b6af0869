import type { Actor } from '../core/auth/roles.ts';
import { canAttribute } from '../core/conversions/permission.ts';
import { err, ok, type Result } from '../core/result.ts';
import { runAttribution, type AttributionContext, type AttributionRun } from './attribute.ts';

export type AttributeFailure = { type: 'forbidden'; reason: string };

/** On-demand attribution for the API: the permission check, then the same run as the schedule's. */
export const attributeAs = async (
  ctx: AttributionContext,
  actor: Actor,
  options: { since?: number },
): Promise<Result<AttributionRun, AttributeFailure>> => {
  const p = canAttribute(actor);
  if (!p.allowed) return err({ type: 'forbidden', reason: p.reason });
  return ok(await runAttribution(ctx, options));
};
