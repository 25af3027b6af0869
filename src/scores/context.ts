import { canOnScores, type Actor, type ScoreAction } from '../core/auth/roles.ts';
import type { Clock } from '../core/clock.ts';
import { forbidden, type ServiceFailure } from '../core/service-failure.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';
import type { Warehouse } from '../storage/warehouse/warehouse.ts';

/**
 * What the score services work on: both stores and the injected clock. The services ported to
 * both engines take `ScoresContext<WarehouseSql>`; the default (DuckDB's `Warehouse`) is for
 * those that still need the DuckDB warehouse (churn structure, other areas' contexts that
 * extend this one).
 */
export interface ScoresContext<W extends WarehouseSql = Warehouse> {
  control: SqlClient;
  warehouse: W;
  clock: Clock;
}

export const refusal = (actor: Actor, action: ScoreAction, ownerId?: number): ServiceFailure | null => {
  const p = canOnScores(actor, action, ownerId ?? null);
  return p.allowed ? null : forbidden(p.reason);
};
