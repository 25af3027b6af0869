import type { Actor, Permission } from '../auth/roles.ts';

/** Recomputing conversions changes every report's numbers: operators and admins, as for the planner. */
export const canAttribute = (actor: Actor): Permission =>
  actor.role === 'admin' || actor.role === 'operator'
    ? { allowed: true }
    : { allowed: false, reason: `role '${actor.role}' may not recompute conversions` };
