import type { CompiledQuery } from '../../core/sql/params.ts';
import type { Warehouse, WarehouseTx } from './warehouse.ts';

/**
 * Writing computed stages and tiers into `user_scores`, and the transitions between two
 * computations into `events` (source `scores`), in one warehouse transaction: either the new
 * scores and their transition events are both there, or neither.
 */

export const SCORES_SOURCE = 'scores';

/** The column list of `events` in the order `INSERT … SELECT` fills it. */
export const EVENT_INSERT_COLUMNS =
  'message_id, user_id, anonymous_id, event, ts, received_at, amount, currency, product_id, category, order_id, platform, properties, source';

/**
 * `SELECT` list of an appended system event: message id `<prefix>:<user_id>`, the event name,
 * the time `$time`, the properties (a JSON expression) and source `scores`. `$prefix`, `$event`,
 * `$time` and `$source` name placeholders of the statement.
 */
export const systemEventSelect = (
  userId: string,
  properties: string,
  p: { prefix: string; event: string; time: string; source: string },
): string =>
  `${p.prefix} || ':' || ${userId}, ${userId}, NULL, ${p.event}, epoch_ms(CAST(${p.time} AS BIGINT)), ` +
  `epoch_ms(CAST(${p.time} AS BIGINT)), NULL, NULL, NULL, NULL, NULL, NULL, ${properties}, ${p.source}`;

export interface ScoreWriteResult {
  users: number;
  stages: Record<string, number>;
  tiers: Record<string, number>;
  tierChanged: number;
  lifecycleChanged: number;
}

const counts = async (tx: WarehouseTx, column: 'lifecycle_stage' | 'rfm_tier') => {
  const rows = await tx.query<{ k: string | null; n: bigint }>(
    `SELECT ${column} AS k, count(*) AS n FROM temp.score_next GROUP BY 1 ORDER BY 1`,
  );
  return Object.fromEntries(rows.map((r) => [r.k ?? '(none)', Number(r.n)]));
};

/**
 * Runs the scores query into a staging table, appends `tier_changed` / `lifecycle_changed`
 * for users whose stored tier / stage differs (a user without a stored one — the first
 * computation — gets none), then upserts the new values. Recomputing on unchanged data changes
 * nothing and appends nothing.
 */
export const writeScores = (
  warehouse: Warehouse,
  scores: CompiledQuery,
  run: { id: string; now: number },
): Promise<ScoreWriteResult> =>
  warehouse.transaction(async (tx) => {
    await tx.run(`CREATE OR REPLACE TEMP TABLE score_next AS ${scores.sql}`, scores.params);
    const users = Number(
      (await tx.query<{ n: bigint }>('SELECT count(*) AS n FROM temp.score_next'))[0]?.n ?? 0,
    );
    const transition = (event: string, column: 'rfm_tier' | 'lifecycle_stage', extra: string) =>
      tx.run(
        `INSERT INTO events (${EVENT_INSERT_COLUMNS}) SELECT ${systemEventSelect(
          'n.user_id',
          `json_object('from', o.${column}, 'to', n.${column}${extra}, 'runId', $1)`,
          { prefix: '$2', event: '$3', time: '$4', source: '$5' },
        )} FROM temp.score_next n JOIN user_scores o ON o.user_id = n.user_id ` +
          `WHERE o.${column} IS NOT NULL AND n.${column} IS NOT NULL AND o.${column} <> n.${column}`,
        [run.id, `scores:${run.id}:${event}`, event, run.now, SCORES_SOURCE],
      );
    const tierChanged = await transition(
      'tier_changed',
      'rfm_tier',
      `, 'scores', json_object('r', n.rfm_r, 'f', n.rfm_f, 'm', n.rfm_m), ` +
        `'previousScores', json_object('r', o.rfm_r, 'f', o.rfm_f, 'm', o.rfm_m)`,
    );
    const lifecycleChanged = await transition('lifecycle_changed', 'lifecycle_stage', '');
    await tx.run(
      `INSERT INTO user_scores (user_id, lifecycle_stage, rfm_tier, rfm_r, rfm_f, rfm_m, computed_at)
       SELECT user_id, lifecycle_stage, rfm_tier, rfm_r, rfm_f, rfm_m, epoch_ms(CAST($1 AS BIGINT)) FROM temp.score_next
       ON CONFLICT (user_id) DO UPDATE SET lifecycle_stage = excluded.lifecycle_stage, rfm_tier = excluded.rfm_tier,
         rfm_r = excluded.rfm_r, rfm_f = excluded.rfm_f, rfm_m = excluded.rfm_m, computed_at = excluded.computed_at`,
      [run.now],
    );
    const result = {
      users,
      stages: await counts(tx, 'lifecycle_stage'),
      tiers: await counts(tx, 'rfm_tier'),
      tierChanged,
      lifecycleChanged,
    };
    await tx.run('DROP TABLE temp.score_next');
    return result;
  });

export interface ScoreSummary {
  users: number;
  computedAt: number | null;
  stages: Record<string, number>;
  tiers: Record<string, number>;
}

/** What `user_scores` holds now: counts per stage and tier, and the latest computation time. */
export const readScoreSummary = async (warehouse: Warehouse): Promise<ScoreSummary> => {
  const head = await warehouse.query<{ n: bigint; at: Date | null }>(
    'SELECT count(*) AS n, max(computed_at) AS at FROM user_scores WHERE lifecycle_stage IS NOT NULL',
  );
  const group = async (column: 'lifecycle_stage' | 'rfm_tier') =>
    Object.fromEntries(
      (
        await warehouse.query<{ k: string; n: bigint }>(
          `SELECT ${column} AS k, count(*) AS n FROM user_scores WHERE ${column} IS NOT NULL GROUP BY 1 ORDER BY 1`,
        )
      ).map((r) => [r.k, Number(r.n)]),
    );
  const at = head[0]?.at ?? null;
  return {
    users: Number(head[0]?.n ?? 0),
    computedAt: at === null ? null : new Date(at).getTime(),
    stages: await group('lifecycle_stage'),
    tiers: await group('rfm_tier'),
  };
};

/** The instant of the latest lifecycle computation, or null before the first. */
export const lastComputedAt = async (warehouse: Warehouse): Promise<number | null> => {
  const at = await warehouse.scalar<Date | null>(
    'SELECT max(computed_at) FROM user_scores WHERE lifecycle_stage IS NOT NULL',
  );
  return at === null ? null : new Date(at).getTime();
};
