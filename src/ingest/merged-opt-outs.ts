import type { SqlClient } from '../storage/control/sql-client.ts';
import { copyOptOuts, optedOutUserIds } from '../storage/control/merged-opt-outs.ts';
import { canonicalIdsIn } from '../storage/warehouse/identity-links.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';

/**
 * Makes every opt-out of a merged id hold for its canonical user: the opted-out ids that are
 * aliases now get their opt-outs copied to the canonical id. Idempotent; runs when a runtime
 * opens and after every commit that linked ids, so an opt-out recorded against an old id after
 * its merge is carried at the next link or restart (DuckDB), or at the next pass that links ids
 * (ClickHouse: src/ingest/identity-stitch-loop.ts).
 */
export const carryOptOutsToCanonical = async (
  control: SqlClient,
  warehouse: Pick<WarehouseSql, 'query' | 'dialect'>,
): Promise<number> => {
  const opted = await optedOutUserIds(control);
  if (opted.length === 0) return 0;
  const canonical = await canonicalIdsIn(warehouse, opted);
  return copyOptOuts(
    control,
    [...canonical].map(([from, to]) => ({ from, to })),
  );
};
