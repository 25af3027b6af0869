import { randomBytes } from 'node:crypto';
import type { AlertRule, AlertRuleParams } from '../core/alerts/rules.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import { openSecrets, sealSecrets, type MasterKeys } from '../delivery/providers/secret-box.ts';
import { urlHint } from '../core/alerts/url-hint.ts';

/** Alert destinations, rules and history in the control plane (migration 011). */

export type DestinationKind = 'webhook' | 'wecom_robot';

export interface DestinationView {
  id: string;
  name: string;
  kind: DestinationKind;
  /** Scheme and host only; the URL itself is never returned. */
  urlHint: string;
  signed: boolean;
  createdAt: number;
}

/** A destination opened for sending: the URL and secret in clear, in memory only. */
export interface OpenDestination {
  id: string;
  kind: DestinationKind;
  url: string;
  secret: string | null;
}

const newId = (prefix: string) => `${prefix}_${randomBytes(8).toString('hex')}`;
const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;

const destinationView = (r: Record<string, unknown>): DestinationView => ({
  id: String(r['id']),
  name: String(r['name']),
  kind: r['kind'] as DestinationKind,
  urlHint: String(r['url_hint']),
  signed: r['secret_enc'] !== null,
  createdAt: new Date(r['created_at'] as string).getTime(),
});

export const insertDestination = async (
  db: SqlClient,
  ws: string,
  keys: MasterKeys,
  d: { name: string; kind: DestinationKind; url: string; secret: string | null; at: number },
): Promise<DestinationView | null> => {
  const rows = await db.query(
    `INSERT INTO alert_destinations (id, workspace_id, name, kind, url_enc, url_hint, secret_enc, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (workspace_id, name) DO NOTHING RETURNING *`,
    [
      newId('dst'),
      ws,
      d.name,
      d.kind,
      sealSecrets(keys, { url: d.url }),
      urlHint(d.url),
      d.secret === null ? null : sealSecrets(keys, { secret: d.secret }),
      new Date(d.at),
    ],
  );
  return rows[0] ? destinationView(rows[0]) : null;
};

export const listDestinations = async (db: SqlClient, ws: string): Promise<DestinationView[]> =>
  (await db.query('SELECT * FROM alert_destinations WHERE workspace_id = $1 ORDER BY name', [ws])).map(
    destinationView,
  );

export const deleteDestination = async (db: SqlClient, ws: string, id: string): Promise<boolean> =>
  (
    await db.query('DELETE FROM alert_destinations WHERE workspace_id = $1 AND id = $2 RETURNING id', [
      ws,
      id,
    ])
  ).length > 0;

export const openDestinations = async (
  db: SqlClient,
  ws: string,
  keys: MasterKeys,
): Promise<Map<string, OpenDestination>> => {
  const rows = await db.query<{
    id: string;
    kind: DestinationKind;
    url_enc: string;
    secret_enc: string | null;
  }>('SELECT id, kind, url_enc, secret_enc FROM alert_destinations WHERE workspace_id = $1', [ws]);
  if (rows.length === 0) return new Map();
  return new Map(
    rows.map((r) => [
      r.id,
      {
        id: r.id,
        kind: r.kind,
        url: String(openSecrets(keys, r.url_enc)['url']),
        secret: r.secret_enc === null ? null : String(openSecrets(keys, r.secret_enc)['secret']),
      },
    ]),
  );
};

const ruleOf = (r: Record<string, unknown>): AlertRule & { createdAt: number } => ({
  id: String(r['id']),
  name: String(r['name']),
  params: json<AlertRuleParams>(r['params']),
  cooldownMinutes: Number(r['cooldown_minutes']),
  destinationIds: json<string[]>(r['destination_ids']),
  enabled: r['enabled'] === true,
  createdAt: new Date(r['created_at'] as string).getTime(),
});

export const insertRule = async (
  db: SqlClient,
  ws: string,
  r: Omit<AlertRule, 'id'> & { at: number },
): Promise<(AlertRule & { createdAt: number }) | null> => {
  const rows = await db.query(
    `INSERT INTO alert_rules (id, workspace_id, name, kind, params, destination_ids, cooldown_minutes, enabled, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (workspace_id, name) DO NOTHING RETURNING *`,
    [
      newId('alr'),
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

export const updateRule = async (
  db: SqlClient,
  ws: string,
  id: string,
  change: {
    params?: AlertRuleParams;
    cooldownMinutes?: number;
    destinationIds?: string[];
    enabled?: boolean;
  },
): Promise<(AlertRule & { createdAt: number }) | null> => {
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

export const listRules = async (db: SqlClient, ws: string): Promise<(AlertRule & { createdAt: number })[]> =>
  (await db.query('SELECT * FROM alert_rules WHERE workspace_id = $1 ORDER BY name', [ws])).map(ruleOf);

export const deleteRule = async (db: SqlClient, ws: string, id: string): Promise<boolean> =>
  (await db.query('DELETE FROM alert_rules WHERE workspace_id = $1 AND id = $2 RETURNING id', [ws, id]))
    .length > 0;

export interface AlertDelivery {
  destinationId: string;
  ok: boolean;
  /** HTTP status or a short error (never the URL). */
  result: string;
}

export interface AlertRecord {
  id: number;
  ruleId: string;
  ruleKind: string;
  conditionKey: string;
  firedAt: number;
  title: string;
  text: string;
  details: Record<string, unknown>;
  deliveries: AlertDelivery[];
}

export const insertAlert = async (db: SqlClient, ws: string, a: Omit<AlertRecord, 'id'>): Promise<void> => {
  await db.query(
    `INSERT INTO alert_history (workspace_id, rule_id, rule_kind, condition_key, fired_at, title, text, details, deliveries)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      ws,
      a.ruleId,
      a.ruleKind,
      a.conditionKey,
      new Date(a.firedAt),
      a.title,
      a.text,
      JSON.stringify(a.details),
      JSON.stringify(a.deliveries),
    ],
  );
};

/** When each (rule, condition) last fired, since `since`. */
export const lastFiredSince = async (
  db: SqlClient,
  ws: string,
  since: number,
): Promise<{ ruleId: string; conditionKey: string; at: number }[]> =>
  (
    await db.query<{ rule_id: string; condition_key: string; at: Date }>(
      `SELECT rule_id, condition_key, max(fired_at) AS at FROM alert_history
       WHERE workspace_id = $1 AND fired_at >= $2 GROUP BY rule_id, condition_key`,
      [ws, new Date(since)],
    )
  ).map((r) => ({ ruleId: r.rule_id, conditionKey: r.condition_key, at: new Date(r.at).getTime() }));

export const listAlerts = async (
  db: SqlClient,
  ws: string,
  o: { limit: number; ruleId?: string | undefined },
): Promise<AlertRecord[]> =>
  (
    await db.query(
      `SELECT * FROM alert_history WHERE workspace_id = $1 AND ($2::text IS NULL OR rule_id = $2)
       ORDER BY fired_at DESC, id DESC LIMIT $3`,
      [ws, o.ruleId ?? null, o.limit],
    )
  ).map((r) => ({
    id: Number(r['id']),
    ruleId: String(r['rule_id']),
    ruleKind: String(r['rule_kind']),
    conditionKey: String(r['condition_key']),
    firedAt: new Date(r['fired_at'] as string).getTime(),
    title: String(r['title']),
    text: String(r['text']),
    details: json<Record<string, unknown>>(r['details']),
    deliveries: json<AlertDelivery[]>(r['deliveries']),
  }));
