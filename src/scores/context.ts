import { canOnScores, type Actor, type ScoreAction } from '../core/auth/roles.ts';
import type { Clock } from '../core/clock.ts';
import { forbidden, type ServiceFailure } from '../core/service-failure.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';

/** What the score services work on: both stores (the warehouse on either engine) and the injected clock. */
export interface ScoresContext<W extends WarehouseSql = WarehouseSql> {
  control: SqlClient;
  warehouse: W;
  clock: Clock;
}

export const refusal = (actor: Actor, action: ScoreAction, ownerId?: number): ServiceFailure | null => {
  const p = canOnScores(actor, action, ownerId ?? null);
  return p.allowed ? null : forbidden(p.reason);
};
