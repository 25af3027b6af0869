import type { AuditEntry } from '../storage/control/audit-log.ts';
import { appendAudit } from '../storage/control/audit-log.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import { err, ok, type Result } from '../core/result.ts';
import type { ServiceFailure } from '../core/service-failure.ts';

/**
 * A versioned workspace document (the contact policy, the strategy matrix) saved with its audit
 * entry in one transaction. `put` writes only if the stored version is still `expectedVersion`;
 * otherwise someone saved in between and the caller is told to reload rather than overwrite them.
 */
export const writeVersioned = async (
  control: SqlClient,
  write: {
    put: (tx: SqlClient) => Promise<boolean>;
    audit: AuditEntry;
    expectedVersion: number;
    what: string;
  },
): Promise<Result<null, ServiceFailure>> => {
  const written = await control.transaction(async (tx) => {
    if (!(await write.put(tx))) return false;
    await appendAudit(tx, write.audit);
    return true;
  });
  return written
    ? ok(null)
    : err({
        type: 'conflict',
        reason: `${write.what} is no longer at version ${write.expectedVersion}; reload it`,
      });
};
