import type { ClickHouseDb } from './client.ts';

/**
 * Moves the rows of merged ids (aliases) to their canonical id on ClickHouse, as DuckDB's
 * `applyLinkPlan` does inside its transaction (warehouse/identity-links.ts). ClickHouse has no
 * transaction and other processes keep inserting, so each table is moved in two steps that a
 * rerun completes and that never lose a row inserted meanwhile:
 * 1. copy: the alias's rows whose key is not yet under the canonical id are inserted under it;
 * 2. delete: the alias's rows whose key is under the canonical id now are deleted.
 * A row inserted under the alias between the two steps has no copy, so it stays for the next
 * sweep. `profile_state` has no row key: its rows fold by max/min, so a copy is harmless to repeat;
 * only alias rows written before `marginMs` ago are deleted (see ddl-identity.ts).
 * Scores and churn-risk reasons of an alias are deleted: the next scoring run scores the merged user.
 * Sent-message history (message_facts, conversions, decisions, snapshots) keeps the id it was sent to.
 */

/** Tables whose rows move, each with the columns that tell one of its rows from another of the same user. */
const MOVED: readonly { table: string; key: readonly string[] }[] = [
  { table: 'events', key: ['message_id', 'event', 'ts'] },
  { table: 'profile_history', key: ['message_id', 'attribute', 'valid_from'] },
  { table: 'churn_reasons', key: ['id'] },
  { table: 'forgotten_push_tokens', key: ['push_token'] },
  // A rule that warns both ids warns the merged user once: the canonical's spell is kept.
  { table: 'warning_state', key: ['rule_id'] },
];
const DROPPED: readonly string[] = ['user_scores', 'churn_risk_reasons'];

export interface AliasMove {
  from: string;
  to: string;
}

export interface SweepReport {
  /** Aliases that still had rows anywhere (moved now, or left for a later sweep: profile rows too young). */
  aliasesWithRows: number;
  /** Rows copied under canonical ids, per table. */
  copied: Record<string, number>;
}

const WRITABLE = `default_kind NOT IN ('MATERIALIZED', 'ALIAS', 'EPHEMERAL')`;

const columnsOf = async (db: ClickHouseDb, table: string): Promise<string[]> =>
  (
    await db.query<{ name: string }>(
      `SELECT name FROM system.columns WHERE database = currentDatabase() AND table = {t:String} AND ${WRITABLE}
       ORDER BY position`,
      { t: table },
    )
  ).map((r) => r.name);

const TO_CANONICAL = 'transform(user_id, {from:Array(String)}, {to:Array(String)}, user_id)';

/** The SELECT list that writes a row again under its canonical id (no aliases: nothing shadows user_id). */
const selectList = (columns: readonly string[], replace: Record<string, string> = {}): string =>
  columns.map((c) => (c === 'user_id' ? TO_CANONICAL : (replace[c] ?? c))).join(', ');

const usersWithRows = async (db: ClickHouseDb, table: string, from: readonly string[]): Promise<string[]> =>
  (
    await db.query<{ user_id: string }>(
      `SELECT DISTINCT user_id FROM ${table} WHERE user_id IN {from:Array(String)}`,
      { from: [...from] },
    )
  ).map((r) => r.user_id);

export const sweepAliases = async (
  db: ClickHouseDb,
  moves: readonly AliasMove[],
  options: { marginMs: number },
): Promise<SweepReport> => {
  const report: SweepReport = { aliasesWithRows: 0, copied: {} };
  if (moves.length === 0) return report;
  const withRows = new Set<string>();
  const all = moves.map((m) => m.from);
  for (const { table, key } of MOVED) {
    const found = await usersWithRows(db, table, all);
    if (found.length === 0) continue;
    found.forEach((u) => withRows.add(u));
    const pairs = moves.filter((m) => found.includes(m.from));
    const params = { from: pairs.map((m) => m.from), to: pairs.map((m) => m.to) };
    const columns = await columnsOf(db, table);
    const k = `(${key.join(', ')})`;
    const underCanonical = `SELECT ${key.join(', ')} FROM ${table} WHERE user_id IN {to:Array(String)}`;
    const before = await countUnder(db, table, params.to);
    // insert_deduplicate = 0: the key guard makes the copy idempotent; a block-hash dedup could
    // only drop a copy whose identical block was inserted earlier and deleted since.
    await db.command(
      `INSERT INTO ${table} (${columns.join(', ')})
       SELECT ${selectList(columns)} FROM ${table}
       WHERE user_id IN {from:Array(String)} AND ${k} NOT IN (${underCanonical})`,
      params,
      { insert_deduplicate: 0 },
    );
    report.copied[table] = (await countUnder(db, table, params.to)) - before;
    await db.command(
      `DELETE FROM ${table} WHERE user_id IN {from:Array(String)} AND ${k} IN (${underCanonical})`,
      params,
    );
  }
  const states = await usersWithRows(db, 'profile_state', all);
  if (states.length > 0) {
    states.forEach((u) => withRows.add(u));
    const pairs = moves.filter((m) => states.includes(m.from));
    const params = { from: pairs.map((m) => m.from), to: pairs.map((m) => m.to) };
    const columns = await columnsOf(db, 'profile_state');
    await db.command(
      `INSERT INTO profile_state (${columns.join(', ')})
       SELECT ${selectList(columns, { written_at: "now64(3, 'UTC')" })} FROM profile_state
       WHERE user_id IN {from:Array(String)}`,
      params,
      { insert_deduplicate: 0 },
    );
    report.copied['profile_state'] = states.length;
    await db.command(
      `DELETE FROM profile_state WHERE user_id IN {from:Array(String)}
         AND written_at < now64(3, 'UTC') - toIntervalMillisecond({margin:UInt32})`,
      { from: params.from, margin: options.marginMs },
    );
  }
  for (const table of DROPPED) {
    const found = await usersWithRows(db, table, all);
    if (found.length === 0) continue;
    found.forEach((u) => withRows.add(u));
    await db.command(`DELETE FROM ${table} WHERE user_id IN {from:Array(String)}`, { from: found });
  }
  report.aliasesWithRows = withRows.size;
  return report;
};

const countUnder = async (db: ClickHouseDb, table: string, to: readonly string[]): Promise<number> =>
  Number(
    (
      await db.query<{ n: number }>(`SELECT count() AS n FROM ${table} WHERE user_id IN {to:Array(String)}`, {
        to: [...to],
      })
    )[0]?.n ?? 0,
  );
