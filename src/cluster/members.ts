import { memberLockKey, type Installation } from '../core/cluster/lock-key.ts';
import { isLockHeld } from '../storage/control/cluster.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';

/**
 * Whether a process sharing the control plane still lives. Each `rekindle serve` process on
 * PostgreSQL holds its member lock (`memberLockKey` of its job owner name) on its leader-election
 * connection for as long as that session lives (src/cluster/leader.ts), so the lock is free
 * exactly when the process is dead or cut off from the database. Jobs' recovery asks this of jobs
 * whose heartbeat is late before taking them over: a heartbeat is only a guess (a process busy for
 * 30 s misses some), the session is not.
 *
 * A process without a member lock (a CLI run outside `rekindle serve`, an older release) reads as
 * dead here; recovery still waits for its heartbeat to go stale first, as it always did.
 */
export const ownerAliveCheck =
  (control: SqlClient, at: Installation) =>
  (owner: string): Promise<boolean> =>
    isLockHeld(control, memberLockKey(at, owner));
