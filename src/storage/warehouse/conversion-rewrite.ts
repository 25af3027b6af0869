import type { CompiledQuery } from '../../core/sql/params.ts';
import type { WarehouseSql } from '../warehouse-sql.ts';
import { inList, jsonList } from './id-list.ts';

/** What one rewrite of the conversions of a range changed. */
export interface ConversionRewrite {
  /** Conversions taken back (their message or goal changed), before re-adding. */
  removed: number;
  /** Conversions written (new, or re-attributed to another message). */
  added: number;
  /** Conversions in the range after the rewrite. */
  inRange: number;
}

/**
 * Replaces the conversions of goal events in (since, until] (epoch ms) by what `attribution`
 * computes, in one warehouse transaction: `attribution` fills the temp table `attribution_new`
 * (the core's attribution query); null, with no goals, computes none. Rows whose attribution
 * still holds stay as they are (with their first `attributed_at`), changed or vanished ones are
 * removed, new ones added. On ClickHouse `attribution` is the attribution SELECT itself
 * (core/conversions/attribution.ts); see `rewriteOnClickHouse`.
 */
export const rewriteConversions = (
  w: WarehouseSql,
  attribution: CompiledQuery | null,
  since: number,
  until: number,
): Promise<ConversionRewrite> => {
  if (w.dialect.name === 'clickhouse') return rewriteOnClickHouse(w, attribution, since, until);
  const range = [since, until];
  return w.transaction(async (tx) => {
    if (attribution === null) {
      await tx.run('CREATE OR REPLACE TEMP TABLE attribution_new AS SELECT * FROM conversions LIMIT 0');
    } else {
      await tx.run(attribution.sql, attribution.params);
    }
    const removed = await tx.run(
      `DELETE FROM conversions c
        WHERE c.ts > epoch_ms(?::BIGINT) AND c.ts <= epoch_ms(?::BIGINT)
          AND NOT EXISTS (SELECT 1 FROM temp.attribution_new n
                           WHERE n.event_message_id = c.event_message_id AND n.idempotency_key = c.idempotency_key)`,
      range,
    );
    const added = await tx.run(
      `INSERT INTO conversions SELECT n.* FROM temp.attribution_new n
        WHERE NOT EXISTS (SELECT 1 FROM conversions c WHERE c.event_message_id = n.event_message_id)`,
    );
    const inRange = await tx.query<{ n: bigint | number }>(
      `SELECT count(*) AS n FROM conversions WHERE ts > epoch_ms(?::BIGINT) AND ts <= epoch_ms(?::BIGINT)`,
      range,
    );
    await tx.run('DROP TABLE temp.attribution_new');
    return { removed, added, inRange: Number(inRange[0]?.n ?? 0) };
  });
};

/**
 * The same rewrite on ClickHouse, where the statements are not one transaction: the attribution
 * SELECT is read as a subquery by each statement (no temp table), the vanished or re-attributed
 * rows are deleted (lightweight delete), then the goal events without a conversion are inserted.
 * A pass cut anywhere is repaired by the next: a row deleted and not yet re-added has no
 * conversion, so it is added then; an insert retried after it was applied adds nothing (the
 * NOT IN), and `conversions` is a ReplacingMergeTree on event_message_id read with FINAL, so
 * even two passes inserting at once leave one row per goal event. Counts are read before each
 * statement: ClickHouse reports no rows for a mutation or (chDB) an INSERT … SELECT.
 */
const rewriteOnClickHouse = async (
  w: WarehouseSql,
  attribution: CompiledQuery | null,
  since: number,
  until: number,
): Promise<ConversionRewrite> => {
  const params = attribution?.params ?? [];
  const n = params.length;
  const range = [...params, since, until];
  const inRangeSql = `ts > fromUnixTimestamp64Milli($${n + 1}, 'UTC') AND ts <= fromUnixTimestamp64Milli($${n + 2}, 'UTC')`;
  const staleSql =
    attribution === null
      ? inRangeSql
      : `${inRangeSql} AND (event_message_id, idempotency_key) NOT IN
           (SELECT event_message_id, idempotency_key FROM (${attribution.sql}))`;
  // The stale rows are listed first and deleted by id: a mutation's WHERE cannot read the
  // attribution's WITH clause. Deleting by id also drops every older version of the row.
  const stale = (
    await w.query<{ id: string }>(`SELECT event_message_id AS id FROM conversions WHERE ${staleSql}`, range)
  ).map((r) => r.id);
  if (stale.length > 0)
    await w.write(`DELETE FROM conversions WHERE event_message_id IN (${inList('$1', w.dialect)})`, [
      jsonList(stale),
    ]);
  const removed = stale.length;
  let added = 0;
  if (attribution !== null) {
    const fresh = `FROM (${attribution.sql}) AS n WHERE n.event_message_id NOT IN (SELECT event_message_id FROM conversions)`;
    added = Number(await w.scalar(`SELECT count() ${fresh}`, attribution.params));
    if (added > 0) await w.write(`INSERT INTO conversions SELECT n.* ${fresh}`, attribution.params);
  }
  const inRange = Number(
    await w.scalar(
      `SELECT count() FROM conversions WHERE ts > fromUnixTimestamp64Milli($1, 'UTC') AND ts <= fromUnixTimestamp64Milli($2, 'UTC')`,
      [since, until],
    ),
  );
  return { removed, added, inRange };
};
