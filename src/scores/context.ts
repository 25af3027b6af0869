import { canOnScores, type Actor, type ScoreAction } from '../core/auth/roles.ts';
import type { Clock } from '../core/clock.ts';
import { forbidden, type ServiceFailure } from '../core/service-failure.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import type { Warehouse } from '../storage/warehouse/warehouse.ts';

/** What the score services work on: both stores and the injected clock. */
export interface ScoresContext {
  control: SqlClient;
  warehouse: Warehouse;
  clock: Clock;
}

export const refusal = (actor: Actor, action: ScoreAction, ownerId?: number): ServiceFailure | null => {
  const p = canOnScores(actor, action, ownerId ?? null);
  return p.allowed ? null : forbidden(p.reason);
};
