import type { AudienceError } from '../core/audience/schema.ts';
import { canOnScores, type Actor, type ScoreAction } from '../core/auth/roles.ts';
import type { Clock } from '../core/clock.ts';
import type { Result } from '../core/result.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import type { Warehouse } from '../storage/warehouse/warehouse.ts';

/** What the score services work on: both stores and the injected clock. */
export interface ScoresContext {
  control: SqlClient;
  warehouse: Warehouse;
  clock: Clock;
}

/** Expected failures, as values; the HTTP layer maps each to a status code. */
export type ScoresFailure =
  | { type: 'invalid'; message: string; errors: AudienceError[] }
  | { type: 'not_found'; what: string }
  | { type: 'forbidden'; reason: string }
  | { type: 'conflict'; reason: string };

export type Outcome<T> = Promise<Result<T, ScoresFailure>>;

export const refusal = (actor: Actor, action: ScoreAction, ownerId?: number): ScoresFailure | null => {
  const p = canOnScores(actor, action, ownerId ?? null);
  return p.allowed ? null : { type: 'forbidden', reason: p.reason };
};
