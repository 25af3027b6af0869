import { err, ok, type Result } from '../core/result.ts';
import type { ClickHouseTarget } from '../storage/clickhouse/target.ts';

export type ServeRole = 'all' | 'ingest';

/**
 * Which parts of Rekindle `serve` runs. On ClickHouse only ingestion, for now: audiences, the
 * planner, scores, attribution, reports and the console still read the warehouse in DuckDB's SQL,
 * and would fail there (or write a DuckDB file no other process reads).
 */
export const roleFor = (
  warehouse: ClickHouseTarget | undefined,
  asked: ServeRole | undefined,
): Result<ServeRole, string> => {
  if (warehouse === undefined)
    return asked === 'ingest'
      ? err(
          '--role ingest serves a ClickHouse warehouse (REKINDLE_WAREHOUSE=clickhouse://…); DuckDB runs the whole product in one process',
        )
      : ok('all');
  if (asked === 'all')
    return err(
      'on a ClickHouse warehouse `rekindle serve` runs the ingestion role only for now (--role ingest): ' +
        'audiences, campaigns, the planner, delivery, reports and the console need the DuckDB warehouse',
    );
  return ok('ingest');
};
