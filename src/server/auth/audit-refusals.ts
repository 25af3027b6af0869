import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../../core/clock.ts';
import { appendAudit } from '../../storage/control/audit-log.ts';
import type { SqlClient } from '../../storage/control/sql-client.ts';

/** Refusal reasons are the server's own sentences; this bounds what one entry may hold. */
const REASON_MAX = 300;

const reasonOf = (payload: unknown): string | null => {
  if (typeof payload !== 'string') return null;
  try {
    const body = JSON.parse(payload) as { error?: unknown };
    return typeof body.error === 'string' ? body.error.slice(0, REASON_MAX) : null;
  } catch {
    return null;
  }
};

/**
 * Every 403 answered to a known person (a role check, an owner check) lands in the audit log as
 * `access.refused` (issue 17), before the answer leaves: who, which route (its pattern and
 * parameters — ids, never the body, the query or headers, which may hold secrets or personal
 * data) and the refusal in words. A 403 without an actor (a cross-site request) names nobody and
 * is not recorded; failed logins are recorded by the login itself (`auth.login_failed`).
 * Register inside the authenticated scope, after `requireAuth`.
 */
export const auditRefusals = (scope: FastifyInstance, rt: { control: SqlClient; clock: Clock }): void => {
  scope.addHook('onSend', async (req: FastifyRequest, reply, payload) => {
    const actor = req.actor;
    if (reply.statusCode !== 403 || actor === null) return payload;
    const route = req.routeOptions.url ?? '(unknown route)';
    await appendAudit(rt.control, {
      workspaceId: actor.workspaceId,
      at: rt.clock(),
      actorId: actor.userId,
      action: 'access.refused',
      objectType: 'route',
      objectId: `${req.method} ${route}`,
      details: {
        role: actor.role,
        params: req.params ?? {},
        reason: reasonOf(payload),
      },
    });
    return payload;
  });
};
