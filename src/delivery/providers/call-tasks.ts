import { csvLine } from '../../core/export/csv.ts';
import type { CallTask } from '../../storage/control/call-tasks.ts';

const HEADER = ['idempotency_key', 'campaign_id', 'user_id', 'phone', 'script', 'status', 'created_at'];

/** CSV with formula defusing (scripts are rendered from templates that may quote user data). */
export const callTasksCsv = (tasks: readonly CallTask[]): string =>
  csvLine(HEADER) +
  tasks
    .map((t) =>
      csvLine([
        t.idempotencyKey,
        t.campaignId,
        t.userId,
        t.phone,
        t.script,
        t.status,
        new Date(t.createdAt).toISOString(),
      ]),
    )
    .join('');
