import { dueAlerts, firedKey, longestCooldownMs, type AlertCondition } from '../core/alerts/rules.ts';
import { every, type Loop } from '../scheduling/every.ts';
import type { Clock } from '../core/clock.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';
import { readAlertFacts } from './facts.ts';
import { sendAlert } from './send-alert.ts';
import { providersOf } from '../delivery/providers/provider-runtime.ts';
import type { MasterKeys } from '../lib/secret-box.ts';
import { insertAlert, lastFiredSince, type AlertDelivery } from '../storage/control/alert-history.ts';
import { openDestinations } from '../storage/control/alert-destinations.ts';
import { listRules } from '../storage/control/alert-rules.ts';

export interface AlertsContext {
  control: SqlClient;
  warehouse: WarehouseSql;
  clock: Clock;
  /**
   * Where the master key lives when it is not in the environment (see secret-box.ts); whether
   * destinations may be loopback or private-network addresses (REKINDLE_ALLOW_PRIVATE_TARGETS).
   */
  config: { dataDir: string; allowPrivateTargets?: boolean };
}

/** Destination URLs and secrets are sealed under the same master key as provider secrets. */
export const alertKeys = (ctx: AlertsContext): MasterKeys => providersOf(ctx).context.masterKeys;

export interface FiredAlert {
  condition: AlertCondition;
  deliveries: AlertDelivery[];
}

/**
 * One look at every enabled rule of the workspace: read the facts, evaluate, drop what fired
 * within its cooldown, send the rest to the rule's destinations and record each in the history
 * (also when no destination took it: the console shows it, and the cooldown still holds, so a
 * broken destination does not turn into an alert storm).
 */
export const runAlerts = async (ctx: AlertsContext, workspaceId = 'default'): Promise<FiredAlert[]> => {
  const rules = (await listRules(ctx.control, workspaceId)).filter((r) => r.enabled);
  if (rules.length === 0) return [];
  const now = ctx.clock();
  const facts = await readAlertFacts(ctx, workspaceId, rules, now);
  const last = await lastFiredSince(ctx.control, workspaceId, now - longestCooldownMs(rules));
  const lastFired = new Map(last.map((l) => [firedKey(l.ruleId, l.conditionKey), l.at]));
  const due = dueAlerts(rules, facts, lastFired, now);
  if (due.length === 0) return [];
  const destinations = await openDestinations(ctx.control, workspaceId, alertKeys(ctx));
  const ruleById = new Map(rules.map((r) => [r.id, r]));
  const fired: FiredAlert[] = [];
  for (const c of due) {
    const targets = (ruleById.get(c.ruleId)?.destinationIds ?? []).flatMap((id) => {
      const d = destinations.get(id);
      return d ? [d] : [];
    });
    const allowPrivateTargets = ctx.config.allowPrivateTargets === true;
    const deliveries = await Promise.all(
      targets.map((d) => sendAlert(d, c, { firedAt: now, workspaceId, allowPrivateTargets })),
    );
    await insertAlert(ctx.control, workspaceId, {
      ruleId: c.ruleId,
      ruleKind: c.ruleKind,
      conditionKey: c.key,
      firedAt: now,
      title: c.title,
      text: c.text,
      details: c.details,
      deliveries,
    });
    fired.push({ condition: c, deliveries });
  }
  return fired;
};

export interface AlertsLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * The alert loop of `rekindle serve`: a look every `everySeconds` (0: off). A failed look is
 * logged (without destinations: their URLs are secrets) and the next one tried on time.
 */
export const startAlerts = (
  ctx: AlertsContext,
  options: { everySeconds: number; workspaceId?: string; log: AlertsLog },
): Loop => {
  if (!(options.everySeconds > 0)) return { stop: async () => undefined };
  return every(
    options.everySeconds * 1000,
    async () => {
      const fired = await runAlerts(ctx, options.workspaceId ?? 'default');
      for (const f of fired)
        options.log.info(
          {
            rule: f.condition.ruleId,
            condition: f.condition.key,
            delivered: f.deliveries.filter((d) => d.ok).length,
            failed: f.deliveries.filter((d) => !d.ok).length,
          },
          'alert fired',
        );
    },
    { onError: (e) => options.log.error({ err: e }, 'alert evaluation failed') },
  );
};
