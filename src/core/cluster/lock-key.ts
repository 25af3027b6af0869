import { createHash } from 'node:crypto';

/**
 * PostgreSQL advisory-lock keys of the cluster (docs/cluster.md). A key is a signed 64-bit
 * integer; ours are the first 8 bytes of SHA-256 over a fixed name and the installation it
 * serves, so they stay the same in every process and every release, never collide with the small
 * constants other locks use (the migration lock 727001, the planner's `hashtext` keys are 32-bit),
 * and two installations on one server (another database or another schema) never share one.
 */

/** The name the leader lock is derived from; changing it would let an old and a new release both lead. */
export const LEADER_LOCK_NAME = 'rekindle.leader';
/** The name each process's liveness lock is derived from (one per process, see `memberLockKey`). */
export const MEMBER_LOCK_NAME = 'rekindle.member';

/** Where a control plane lives on its server: the database and the schema its tables are in. */
export interface Installation {
  database: string;
  schema: string;
}

/** A signed 64-bit key from the first 8 bytes of SHA-256 over `parts`, as PostgreSQL's bigint. */
export const lockKey = (...parts: readonly string[]): bigint =>
  createHash('sha256').update(parts.join('\u0000')).digest().readBigInt64BE(0);

/** The one lock whose holder leads the installation's processes. */
export const leaderLockKey = (at: Installation): bigint => lockKey(LEADER_LOCK_NAME, at.database, at.schema);

/**
 * The lock a process holds for as long as it lives (its session): a job whose owner's lock is
 * free belongs to a dead process, whatever its heartbeat says.
 */
export const memberLockKey = (at: Installation, owner: string): bigint =>
  lockKey(MEMBER_LOCK_NAME, at.database, at.schema, owner);
