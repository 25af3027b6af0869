import { randomBytes } from 'node:crypto';
import { REASON_TIME_TRAIT, REASON_TRAIT, type ReasonRecord } from '../../core/scores/churn-reasons.ts';
import type { SqlParam, WarehouseSql } from '../warehouse-sql.ts';

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
export const knownUsers = async (warehouse: WarehouseSql, ids: readonly string[]): Promise<Set<string>> => {
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

/**
 * Stores the answers and refreshes the affected users' traits: on DuckDB all in one transaction;
 * on ClickHouse (no transaction) in an order a cut leaves harmless (`insertClickHouseReasons`).
 */
export const insertReasons = (
  warehouse: WarehouseSql,
  records: readonly ReasonRecord[],
  by: { recordedAt: number; recordedBy: string; source: string },
): Promise<StoredReason[]> => {
  const stored = records.map((r) => ({ ...r, id: newReasonId(), ...by }));
  if (stored.length === 0) return Promise.resolve([]);
  if (warehouse.dialect.name === 'clickhouse') return insertClickHouseReasons(warehouse, stored);
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

/**
 * ClickHouse: the traits first, then the history, then the answers themselves, so that an answer
 * in `churn_reasons` has its trait and history row. A cut leaves at most traits and history rows
 * of answers not stored; the caller's retry writes them again (the same trait values, history rows
 * twice: an "as of" read sees the same value either way) and then the answers.
 *
 * The traits go into `profile_state` (profile-ddl.ts) keyed (answered_at, recorded_at, 'reason:' id),
 * so its maxMap keeps, per user, the answer DuckDB's arg_max over (answered_at, recorded_at, id)
 * chooses. Unlike DuckDB's UPDATE, which overwrites the traits whenever answers are stored, a
 * `churn_reason` trait sent by an identify later than the answer stays (the newer call wins).
 * Only users with a profile get traits, as on DuckDB; the row carries the profile's first_seen
 * (folded with min, so it changes nothing).
 */
const insertClickHouseReasons = async (
  warehouse: WarehouseSql,
  stored: StoredReason[],
): Promise<StoredReason[]> => {
  const iso = (ms: number) => new Date(ms).toISOString();
  for (const part of chunks(stored)) {
    const list = JSON.stringify(
      part.map((r) => [
        r.userId,
        r.answeredAt,
        r.recordedAt,
        `reason:${r.id}`,
        JSON.stringify(r.reason),
        JSON.stringify(iso(r.answeredAt)),
      ]),
    );
    await warehouse.write(
      `INSERT INTO profile_state (user_id, first_seen, traits)
       SELECT p.user_id, p.first_seen,
         map($2, (r.answered, r.recorded, r.mid, r.reason_json), $3, (r.answered, r.recorded, r.mid, r.at_json))
       FROM profiles p
       INNER JOIN (
         SELECT t.1 AS uid, fromUnixTimestamp64Milli(t.2, 'UTC') AS answered,
           fromUnixTimestamp64Milli(t.3, 'UTC') AS recorded, t.4 AS mid, t.5 AS reason_json, t.6 AS at_json
         FROM (SELECT arrayJoin(JSONExtract($1, 'Array(Tuple(String, Int64, Int64, String, String, String))')) AS t)
       ) r ON r.uid = p.user_id`,
      [list, REASON_TRAIT, REASON_TIME_TRAIT],
    );
  }
  await warehouse.transaction(async (tx) => {
    await tx.append('profile_history', (row) => {
      for (const r of stored) {
        row.varchar(r.userId);
        row.varchar(REASON_TRAIT);
        row.varchar(JSON.stringify(r.reason));
        row.timestamp(r.answeredAt);
        row.timestamp(r.recordedAt);
        row.varchar(`reason:${r.id}`);
        row.varchar(r.source);
        row.end();
      }
    });
    await tx.append('churn_reasons', (row) => {
      for (const r of stored) {
        row.varchar(r.id);
        row.varchar(r.userId);
        row.varchar(r.reason);
        row.varchar(r.note);
        row.timestamp(r.answeredAt);
        row.timestamp(r.recordedAt);
        row.varchar(r.recordedBy);
        row.varchar(r.source);
        row.end();
      }
    });
  });
  return stored;
};

/** A user's answers, newest first. */
export const reasonsOfUser = async (warehouse: WarehouseSql, userId: string): Promise<StoredReason[]> => {
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
