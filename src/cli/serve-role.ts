import { err, ok, type Result } from '../core/result.ts';
import type { ClickHouseTarget } from '../storage/clickhouse/target.ts';

export type ServeRole = 'all' | 'ingest';

/**
 * Which parts of Rekindle `serve` runs. `all` (the default) is the whole product, on either
 * warehouse. `ingest` is a process that serves the ingestion routes only, on a ClickHouse
 * warehouse: added beside `all` processes when ingestion needs more processes than the rest
 * (docs/deploy.md). On DuckDB one process holds the warehouse file, so there is nothing to add.
 */
export const roleFor = (
  warehouse: ClickHouseTarget | undefined,
  asked: ServeRole | undefined,
): Result<ServeRole, string> => {
  if (warehouse === undefined && asked === 'ingest')
    return err(
      '--role ingest serves a ClickHouse warehouse (REKINDLE_WAREHOUSE=clickhouse://…); DuckDB runs the whole product in one process',
    );
  return ok(asked ?? 'all');
};
