import type { Actor } from '../core/auth/roles.ts';
import { canAttribute } from '../core/conversions/permission.ts';
import { err, ok } from '../core/result.ts';
import { forbidden, type Outcome } from '../core/service-failure.ts';
import { runAttribution, type AttributionContext, type AttributionRun } from './attribute.ts';

/** On-demand attribution for the API: the permission check, then the same run as the schedule's. */
export const attributeAs = async (
  ctx: AttributionContext,
  actor: Actor,
  options: { since?: number },
): Outcome<AttributionRun> => {
  const p = canAttribute(actor);
  if (!p.allowed) return err(forbidden(p.reason));
  return ok(await runAttribution(ctx, options));
};
