import { randomBytes } from 'node:crypto';
import type { AlertRule, AlertRuleParams } from '../../core/alerts/rules.ts';
import { epochMs, jsonValue } from '../row-values.ts';
import type { SqlClient } from './sql-client.ts';

/** Alert rules (migration 011): what to watch, where to send, how long to stay quiet after firing. */

export type StoredAlertRule = AlertRule & { createdAt: number };

const ruleOf = (r: Record<string, unknown>): StoredAlertRule => ({
  id: String(r['id']),
  name: String(r['name']),
  params: jsonValue<AlertRuleParams>(r['params']),
  cooldownMinutes: Number(r['cooldown_minutes']),
  destinationIds: jsonValue<string[]>(r['destination_ids']),
  enabled: r['enabled'] === true,
  createdAt: epochMs(r['created_at']),
});

/** Null when the workspace has a rule of that name already. */
export const insertRule = async (
  db: SqlClient,
  ws: string,
  r: Omit<AlertRule, 'id'> & { at: number },
): Promise<StoredAlertRule | null> => {
  const rows = await db.query(
    `INSERT INTO alert_rules (id, workspace_id, name, kind, params, destination_ids, cooldown_minutes, enabled, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (workspace_id, name) DO NOTHING RETURNING *`,
    [
      `alr_${randomBytes(8).toString('hex')}`,
      ws,
      r.name,
      r.params.kind,
      JSON.stringify(r.params),
      JSON.stringify(r.destinationIds),
      r.cooldownMinutes,
      r.enabled,
      new Date(r.at),
    ],
  );
  return rows[0] ? ruleOf(rows[0]) : null;
};

/** The fields of an alert rule an edit may change; absent ones stay. */
export interface AlertRuleChange {
  params?: AlertRuleParams;
  cooldownMinutes?: number;
  destinationIds?: string[];
  enabled?: boolean;
}

/** Changes the given fields (absent ones stay); null when the rule does not exist. */
export const updateRule = async (
  db: SqlClient,
  ws: string,
  id: string,
  change: AlertRuleChange,
): Promise<StoredAlertRule | null> => {
  const rows = await db.query(
    `UPDATE alert_rules SET params = coalesce($3, params), kind = coalesce($4, kind),
       cooldown_minutes = coalesce($5, cooldown_minutes), destination_ids = coalesce($6, destination_ids),
       enabled = coalesce($7, enabled)
     WHERE workspace_id = $1 AND id = $2 RETURNING *`,
    [
      ws,
      id,
      change.params ? JSON.stringify(change.params) : null,
      change.params?.kind ?? null,
      change.cooldownMinutes ?? null,
      change.destinationIds ? JSON.stringify(change.destinationIds) : null,
      change.enabled ?? null,
    ],
  );
  return rows[0] ? ruleOf(rows[0]) : null;
};

export const listRules = async (db: SqlClient, ws: string): Promise<StoredAlertRule[]> =>
  (await db.query('SELECT * FROM alert_rules WHERE workspace_id = $1 ORDER BY name', [ws])).map(ruleOf);

export const deleteRule = async (db: SqlClient, ws: string, id: string): Promise<boolean> =>
  (await db.query('DELETE FROM alert_rules WHERE workspace_id = $1 AND id = $2 RETURNING id', [ws, id]))
    .length > 0;
