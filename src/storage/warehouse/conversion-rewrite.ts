import type { CompiledQuery } from '../../core/sql/params.ts';
import type { Warehouse } from './warehouse.ts';

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
 * removed, new ones added.
 */
export const rewriteConversions = (
  w: Warehouse,
  attribution: CompiledQuery | null,
  since: number,
  until: number,
): Promise<ConversionRewrite> => {
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
