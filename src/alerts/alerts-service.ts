import type { Actor } from '../core/auth/roles.ts';
import type { AlertRule, AlertRuleParams } from '../core/alerts/rules.ts';
import { err, ok } from '../core/result.ts';
import { invalid, type Outcome, type ServiceFailure } from '../core/service-failure.ts';
import { checkTargetUrl } from '../delivery/providers/private-targets.ts';
import { alertKeys, type AlertsContext } from './run-alerts.ts';
import { appendAudit } from '../storage/control/audit-log.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import { listAlerts, type AlertRecord } from '../storage/control/alert-history.ts';
import {
  deleteDestination,
  insertDestination,
  listDestinations,
  type DestinationKind,
  type DestinationView,
} from '../storage/control/alert-destinations.ts';
import {
  deleteRule,
  insertRule,
  listRules,
  updateRule,
  type AlertRuleChange,
} from '../storage/control/alert-rules.ts';

/** Alert configuration is admin-only (destinations hold secrets); every role may read the history. */

const adminOnly = (actor: Actor, what: string): ServiceFailure | null =>
  actor.role === 'admin' ? null : { type: 'forbidden', reason: `only an admin may ${what}` };

/**
 * Runs an alert configuration change and, when it wrote something (a non-null answer), its audit
 * entry in the same transaction (issue 17: alert rules and destinations are audited). Details
 * never hold a destination's URL or secret (a robot URL is a credential).
 */
const audited = <T>(
  ctx: AlertsContext,
  actor: Actor,
  write: (tx: SqlClient) => Promise<T | null>,
  entry: (written: T) => {
    action: string;
    objectType: string;
    objectId: string;
    details?: Record<string, unknown>;
  },
): Promise<T | null> =>
  ctx.control.transaction(async (tx) => {
    const written = await write(tx);
    if (written !== null)
      await appendAudit(tx, {
        workspaceId: actor.workspaceId,
        at: ctx.clock(),
        actorId: actor.userId,
        ...entry(written),
      });
    return written;
  });

const checkUrl = (url: string, allowPrivate: boolean): ServiceFailure | null => {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return invalid('url', 'must be an absolute URL');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    return invalid('url', 'must be an http or https URL');
  const target = checkTargetUrl(url, allowPrivate);
  return target.ok ? null : invalid('url', target.reason);
};

export const createDestinationAs = async (
  ctx: AlertsContext,
  actor: Actor,
  d: { name: string; kind: DestinationKind; url: string; secret?: string | undefined },
): Outcome<DestinationView> => {
  const refused =
    adminOnly(actor, 'configure alert destinations') ??
    checkUrl(d.url, ctx.config.allowPrivateTargets === true);
  if (refused) return err(refused);
  if (d.kind === 'webhook' && d.secret === undefined)
    return err(invalid('secret', 'a webhook destination needs a signing secret (at least 16 characters)'));
  const made = await audited(
    ctx,
    actor,
    (tx) =>
      insertDestination(tx, actor.workspaceId, alertKeys(ctx), {
        name: d.name,
        kind: d.kind,
        url: d.url,
        secret: d.secret ?? null,
        at: ctx.clock(),
      }),
    (v) => ({
      action: 'alert_destination.create',
      objectType: 'alert_destination',
      objectId: v.id,
      details: { name: d.name, kind: d.kind },
    }),
  );
  return made ? ok(made) : err({ type: 'conflict', reason: `a destination named '${d.name}' exists` });
};

export const listDestinationsAs = async (ctx: AlertsContext, actor: Actor): Outcome<DestinationView[]> => {
  const refused = adminOnly(actor, 'see alert destinations');
  return refused ? err(refused) : ok(await listDestinations(ctx.control, actor.workspaceId));
};

export const deleteDestinationAs = async (ctx: AlertsContext, actor: Actor, id: string): Outcome<null> => {
  const refused = adminOnly(actor, 'configure alert destinations');
  if (refused) return err(refused);
  const using = (await listRules(ctx.control, actor.workspaceId)).filter((r) =>
    r.destinationIds.includes(id),
  );
  if (using.length > 0)
    return err({
      type: 'conflict',
      reason: `destination is used by rules: ${using.map((r) => r.name).join(', ')}`,
    });
  const deleted = await audited(
    ctx,
    actor,
    async (tx) => ((await deleteDestination(tx, actor.workspaceId, id)) ? id : null),
    () => ({ action: 'alert_destination.delete', objectType: 'alert_destination', objectId: id }),
  );
  return deleted !== null ? ok(null) : err({ type: 'not_found', what: `destination '${id}'` });
};

const checkDestinations = async (ctx: AlertsContext, ws: string, ids: readonly string[]) => {
  const known = new Set((await listDestinations(ctx.control, ws)).map((d) => d.id));
  const i = ids.findIndex((id) => !known.has(id));
  return i < 0 ? null : invalid(`destinationIds[${i}]`, `no destination '${ids[i] ?? ''}'`);
};

export const createRuleAs = async (
  ctx: AlertsContext,
  actor: Actor,
  r: {
    name: string;
    params: AlertRuleParams;
    cooldownMinutes: number;
    destinationIds: string[];
    enabled: boolean;
  },
): Outcome<AlertRule & { createdAt: number }> => {
  const refused =
    adminOnly(actor, 'configure alert rules') ??
    (await checkDestinations(ctx, actor.workspaceId, r.destinationIds));
  if (refused) return err(refused);
  const made = await audited(
    ctx,
    actor,
    (tx) => insertRule(tx, actor.workspaceId, { ...r, at: ctx.clock() }),
    (v) => ({
      action: 'alert_rule.create',
      objectType: 'alert_rule',
      objectId: v.id,
      details: { name: r.name, kind: r.params.kind, enabled: r.enabled },
    }),
  );
  return made ? ok(made) : err({ type: 'conflict', reason: `a rule named '${r.name}' exists` });
};

export const updateRuleAs = async (
  ctx: AlertsContext,
  actor: Actor,
  id: string,
  change: AlertRuleChange,
): Outcome<AlertRule & { createdAt: number }> => {
  const refused =
    adminOnly(actor, 'configure alert rules') ??
    (change.destinationIds ? await checkDestinations(ctx, actor.workspaceId, change.destinationIds) : null);
  if (refused) return err(refused);
  const r = await audited(
    ctx,
    actor,
    (tx) => updateRule(tx, actor.workspaceId, id, change),
    (v) => ({
      action: 'alert_rule.update',
      objectType: 'alert_rule',
      objectId: id,
      details: { name: v.name, changed: Object.keys(change) },
    }),
  );
  return r ? ok(r) : err({ type: 'not_found', what: `rule '${id}'` });
};

export const listRulesAs = async (
  ctx: AlertsContext,
  actor: Actor,
): Outcome<(AlertRule & { createdAt: number })[]> => {
  const refused = adminOnly(actor, 'see alert rules');
  return refused ? err(refused) : ok(await listRules(ctx.control, actor.workspaceId));
};

export const deleteRuleAs = async (ctx: AlertsContext, actor: Actor, id: string): Outcome<null> => {
  const refused = adminOnly(actor, 'configure alert rules');
  if (refused) return err(refused);
  const deleted = await audited(
    ctx,
    actor,
    async (tx) => ((await deleteRule(tx, actor.workspaceId, id)) ? id : null),
    () => ({ action: 'alert_rule.delete', objectType: 'alert_rule', objectId: id }),
  );
  return deleted !== null ? ok(null) : err({ type: 'not_found', what: `rule '${id}'` });
};

export const listAlertsAs = async (
  ctx: AlertsContext,
  actor: Actor,
  q: { limit: number; ruleId?: string | undefined },
): Outcome<AlertRecord[]> => ok(await listAlerts(ctx.control, actor.workspaceId, q));
