import { epochMs, jsonValue } from '../row-values.ts';
import type { SqlClient } from './sql-client.ts';

/** Alerts that fired (migration 011), with what each destination answered. */

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
    firedAt: epochMs(r['fired_at']),
    title: String(r['title']),
    text: String(r['text']),
    details: jsonValue<Record<string, unknown>>(r['details']),
    deliveries: jsonValue<AlertDelivery[]>(r['deliveries']),
  }));
