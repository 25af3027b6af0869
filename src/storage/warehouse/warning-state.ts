import { randomUUID } from 'node:crypto';
import type { CompiledQuery } from '../../core/sql/params.ts';
import type { SqlParam, WarehouseSql } from '../warehouse-sql.ts';
import {
  EVENT_INSERT_COLUMNS,
  SCORES_SOURCE,
  dropStaged,
  insertCounted,
  jsonObjectSql,
  nextPlaceholder,
  systemEventSelect,
} from './user-scores.ts';

/**
 * Early-warning bookkeeping in the warehouse. `warning_state` holds who each rule warns now;
 * a user who newly matches a rule gets one `warning_raised` event and a state row, a user who
 * stops matching loses the row (and would be raised again on a later match). Everything of one
 * evaluation is one transaction.
 */

export interface RuleToApply {
  id: string;
  name: string;
  level: string;
  /** The rule's audience compiled as of the evaluation time, in the warehouse's dialect. */
  members: CompiledQuery;
}

export interface RuleOutcome {
  ruleId: string;
  /** Users matching the rule now. */
  matching: number;
  /** Newly warned: a `warning_raised` event each. */
  raised: number;
  /** No longer matching: their state row removed. */
  cleared: number;
}

export const applyWarningRules = (
  warehouse: WarehouseSql,
  rules: readonly RuleToApply[],
  run: { id: string; now: number },
  /** Rules that could not be evaluated this time: their state is kept as it is. */
  untouched: readonly string[] = [],
): Promise<{ rules: RuleOutcome[]; clearedByRemovedRules: number }> =>
  warehouse.dialect.name === 'clickhouse'
    ? applyWarningRulesClickHouse(warehouse, rules, run, untouched)
    : warehouse.transaction(async (tx) => {
        const outcomes: RuleOutcome[] = [];
        for (const rule of rules) {
          await tx.run(
            `CREATE OR REPLACE TEMP TABLE warn_members AS ${rule.members.sql}`,
            rule.members.params,
          );
          const matching = Number(
            (await tx.query<{ n: bigint }>('SELECT count(*) AS n FROM temp.warn_members'))[0]?.n ?? 0,
          );
          const fresh = `FROM temp.warn_members m WHERE m.user_id NOT IN (SELECT user_id FROM warning_state WHERE rule_id = $1)`;
          const raised = await tx.run(
            `INSERT INTO events (${EVENT_INSERT_COLUMNS}) SELECT ${systemEventSelect(
              'm.user_id',
              `json_object('ruleId', $1, 'rule', $2, 'level', $3, 'runId', $4)`,
              { prefix: '$5', event: '$6', time: '$7', source: '$8' },
            )} ${fresh}`,
            [
              rule.id,
              rule.name,
              rule.level,
              run.id,
              `scores:${run.id}:warning:${rule.id}`,
              'warning_raised',
              run.now,
              SCORES_SOURCE,
            ],
          );
          await tx.run(
            `INSERT INTO warning_state (rule_id, user_id, level, raised_at) ` +
              `SELECT $1, m.user_id, $2, epoch_ms(CAST($3 AS BIGINT)) ${fresh}`,
            [rule.id, rule.level, run.now],
          );
          const cleared = await tx.run(
            'DELETE FROM warning_state WHERE rule_id = $1 AND user_id NOT IN (SELECT user_id FROM temp.warn_members)',
            [rule.id],
          );
          outcomes.push({ ruleId: rule.id, matching, raised, cleared });
        }
        // Rules deleted or disabled since: nobody is warned by them any more.
        const ids: SqlParam[] = [...rules.map((r) => r.id), ...untouched];
        const keep =
          ids.length === 0 ? '' : ` WHERE rule_id NOT IN (${ids.map((_, i) => `$${i + 1}`).join(', ')})`;
        const clearedByRemovedRules = await tx.run(`DELETE FROM warning_state${keep}`, ids);
        await tx.run('DROP TABLE IF EXISTS temp.warn_members');
        return { rules: outcomes, clearedByRemovedRules };
      });

/**
 * `applyWarningRules` on ClickHouse (no transaction), rule by rule: the members staged under a
 * key of this call, the `warning_raised` events and state rows of the newly warned, then the
 * state of those no longer matching deleted (lightweight DELETE; counted first, as ClickHouse
 * reports no deleted rows). A call cut between a rule's events and its state rows raises those
 * users again at the next run; any other cut is repaired by the next run.
 */
const applyWarningRulesClickHouse = async (
  w: WarehouseSql,
  rules: readonly RuleToApply[],
  run: { id: string; now: number },
  untouched: readonly string[],
): Promise<{ rules: RuleOutcome[]; clearedByRemovedRules: number }> => {
  const d = w.dialect;
  const outcomes: RuleOutcome[] = [];
  for (const rule of rules) {
    const key = randomUUID();
    await w.write(
      `INSERT INTO warning_staging (run_key, user_id) SELECT ${nextPlaceholder(d, rule.members, key)}, user_id ` +
        `FROM (${rule.members.sql})`,
      [...rule.members.params, key],
    );
    const members = 'SELECT user_id FROM warning_staging WHERE run_key = $9';
    const matching = Number(await w.scalar('SELECT count() FROM warning_staging WHERE run_key = $1', [key]));
    const fresh = `FROM (${members}) m WHERE m.user_id NOT IN (SELECT user_id FROM warning_state WHERE rule_id = $1)`;
    const raised = await insertCounted(
      w,
      `INSERT INTO events (${EVENT_INSERT_COLUMNS})`,
      `SELECT ${systemEventSelect(
        'm.user_id',
        jsonObjectSql(d, [
          ['ruleId', '$1'],
          ['rule', '$2'],
          ['level', '$3'],
          ['runId', '$4'],
        ]),
        { prefix: '$5', event: '$6', time: '$7', source: '$8' },
        d,
      )} ${fresh}`,
      [
        rule.id,
        rule.name,
        rule.level,
        run.id,
        `scores:${run.id}:warning:${rule.id}`,
        'warning_raised',
        run.now,
        SCORES_SOURCE,
        key,
      ],
    );
    await w.write(
      `INSERT INTO warning_state (rule_id, user_id, level, raised_at) ` +
        `SELECT $1, m.user_id, $2, ${d.timeFromMs('$3')} ${fresh.replaceAll('$9', '$4')}`,
      [rule.id, rule.level, run.now, key],
    );
    const gone =
      'warning_state WHERE rule_id = $1 AND user_id NOT IN (SELECT user_id FROM warning_staging WHERE run_key = $2)';
    const cleared = Number(await w.scalar(`SELECT count() FROM ${gone}`, [rule.id, key]));
    if (cleared > 0) await w.write(`DELETE FROM ${gone}`, [rule.id, key]);
    await dropStaged(w, 'warning_staging', key);
    outcomes.push({ ruleId: rule.id, matching, raised, cleared });
  }
  const ids: SqlParam[] = [...rules.map((r) => r.id), ...untouched];
  // ClickHouse's DELETE needs a WHERE: `true` when every rule's state goes.
  const keep = ids.length === 0 ? 'true' : `rule_id NOT IN (${ids.map((_, i) => `$${i + 1}`).join(', ')})`;
  const clearedByRemovedRules = Number(
    await w.scalar(`SELECT count() FROM warning_state WHERE ${keep}`, ids),
  );
  if (clearedByRemovedRules > 0) await w.write(`DELETE FROM warning_state WHERE ${keep}`, ids);
  return { rules: outcomes, clearedByRemovedRules };
};

export interface ActiveWarning {
  userId: string;
  level: string;
  raisedAt: number;
}

/** Who one rule warns now, a page at a time in user-id order. */
export const warnedByRule = async (
  warehouse: WarehouseSql,
  ruleId: string,
  page: { after?: string | undefined; limit: number },
): Promise<ActiveWarning[]> => {
  const rows = await warehouse.query<{ user_id: string; level: string; raised_at: Date }>(
    `SELECT user_id, level, raised_at FROM warning_state
     WHERE rule_id = $1 AND (${warehouse.dialect.name === 'duckdb' ? '$2::VARCHAR IS NULL' : 'isNull($2)'} OR user_id > $2)
     ORDER BY user_id LIMIT $3`,
    [ruleId, page.after ?? null, page.limit],
  );
  return rows.map((r) => ({ userId: r.user_id, level: r.level, raisedAt: new Date(r.raised_at).getTime() }));
};

/** How many users each rule warns now. */
export const warnedCounts = async (warehouse: WarehouseSql): Promise<Map<string, number>> =>
  new Map(
    (
      await warehouse.query<{ rule_id: string; n: bigint }>(
        'SELECT rule_id, count(*) AS n FROM warning_state GROUP BY 1',
      )
    ).map((r) => [r.rule_id, Number(r.n)]),
  );
