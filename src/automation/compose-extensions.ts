import type { Clock } from '../core/clock.ts';
import type { ComposeExtension } from '../delivery/compose.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';
import { bestItemExtension } from './recommend-extension.ts';

/**
 * The template extensions delivery composes with, in one list, so the campaign preview and the
 * content gate render with exactly what the delivered message will see (e.g. `item`).
 */
export const composeExtensions = (ctx: {
  control: SqlClient;
  warehouse: WarehouseSql;
  clock: Clock;
}): ComposeExtension[] => [bestItemExtension(ctx)];
