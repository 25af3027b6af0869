import { randomBytes } from 'node:crypto';
import { REASON_TIME_TRAIT, REASON_TRAIT, type ReasonRecord } from '../../core/scores/churn-reasons.ts';
import type { SqlParam, Warehouse } from './warehouse.ts';

/**
 * Churn reasons in the warehouse: every answer in `churn_reasons`; the latest answer per user
 * (by `answered_at`) also as the traits `churn_reason` / `churn_reason_at` of the profile and
 * as a `profile_history` row, so `{"kind":"attribute","attribute":"churn_reason",…}` works now
 * and "as of" a past time.
 */

export interface StoredReason extends ReasonRecord {
  id: string;
  recordedAt: number;
  recordedBy: string;
  source: string;
}

export const newReasonId = (): string => `rsn_${randomBytes(8).toString('hex')}`;

const CHUNK = 500;

const chunks = <T>(xs: readonly T[], n = CHUNK): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
};

const placeholders = (rows: number, width: number, offset = 0): string =>
  Array.from(
    { length: rows },
    (_, r) => `(${Array.from({ length: width }, (_, c) => `$${offset + r * width + c + 1}`).join(', ')})`,
  ).join(', ');

/** Which of these user ids have a profile. */
export const knownUsers = async (warehouse: Warehouse, ids: readonly string[]): Promise<Set<string>> => {
  const known = new Set<string>();
  for (const part of chunks([...new Set(ids)])) {
    const rows = await warehouse.query<{ user_id: string }>(
      `SELECT user_id FROM profiles WHERE user_id IN (${part.map((_, i) => `$${i + 1}`).join(', ')})`,
      part,
    );
    for (const r of rows) known.add(r.user_id);
  }
  return known;
};

/** Stores the answers and refreshes the affected users' traits, all in one transaction. */
export const insertReasons = (
  warehouse: Warehouse,
  records: readonly ReasonRecord[],
  by: { recordedAt: number; recordedBy: string; source: string },
): Promise<StoredReason[]> => {
  const stored = records.map((r) => ({ ...r, id: newReasonId(), ...by }));
  if (stored.length === 0) return Promise.resolve([]);
  return warehouse.transaction(async (tx) => {
    for (const part of chunks(stored)) {
      const params: SqlParam[] = part.flatMap((r) => [
        r.id,
        r.userId,
        r.reason,
        r.note,
        r.answeredAt,
        r.recordedAt,
        r.recordedBy,
        r.source,
      ]);
      const values = part
        .map((_, i) => {
          const b = i * 8;
          return (
            `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, epoch_ms(CAST($${b + 5} AS BIGINT)), ` +
            `epoch_ms(CAST($${b + 6} AS BIGINT)), $${b + 7}, $${b + 8})`
          );
        })
        .join(', ');
      await tx.run(
        `INSERT INTO churn_reasons (id, user_id, reason, note, answered_at, recorded_at, recorded_by, source) VALUES ${values}`,
        params,
      );
      await tx.run(
        `INSERT INTO profile_history (user_id, attribute, value, valid_from, received_at, message_id, source)
         SELECT user_id, $1, to_json(reason), answered_at, recorded_at, 'reason:' || id, source
         FROM churn_reasons WHERE id IN (${part.map((_, i) => `$${i + 2}`).join(', ')})`,
        [REASON_TRAIT, ...part.map((r) => r.id)],
      );
    }
    await tx.run(`CREATE OR REPLACE TEMP TABLE reason_users (user_id VARCHAR)`);
    for (const part of chunks([...new Set(stored.map((r) => r.userId))]))
      await tx.run(`INSERT INTO temp.reason_users VALUES ${placeholders(part.length, 1)}`, part);
    await tx.run(
      `UPDATE profiles SET traits = json_merge_patch(coalesce(profiles.traits, '{}'),
         json_object($1, l.reason, $2, strftime(l.answered_at, '%Y-%m-%dT%H:%M:%S.%gZ')))
       FROM (SELECT user_id, arg_max(reason, (answered_at, recorded_at, id)) AS reason, max(answered_at) AS answered_at
             FROM churn_reasons WHERE user_id IN (SELECT user_id FROM temp.reason_users) GROUP BY user_id) l
       WHERE profiles.user_id = l.user_id`,
      [REASON_TRAIT, REASON_TIME_TRAIT],
    );
    await tx.run('DROP TABLE temp.reason_users');
    return stored;
  });
};

/** A user's answers, newest first. */
export const reasonsOfUser = async (warehouse: Warehouse, userId: string): Promise<StoredReason[]> => {
  const rows = await warehouse.query<{
    id: string;
    user_id: string;
    reason: string;
    note: string | null;
    answered_at: Date;
    recorded_at: Date;
    recorded_by: string;
    source: string;
  }>(`SELECT * FROM churn_reasons WHERE user_id = $1 ORDER BY answered_at DESC, recorded_at DESC, id DESC`, [
    userId,
  ]);
  return rows.map((r) => ({
    id: r.id,
    userId: r.user_id,
    reason: r.reason,
    note: r.note,
    answeredAt: new Date(r.answered_at).getTime(),
    recordedAt: new Date(r.recorded_at).getTime(),
    recordedBy: r.recorded_by,
    source: r.source,
  }));
};
