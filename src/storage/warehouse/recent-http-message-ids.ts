import type { Warehouse } from './warehouse.ts';

/**
 * The message ids of the events and identifies received over HTTP since `sinceIso`, with when:
 * the ingest queue's dedup window reloads them at start, so a client's retry after a restart is
 * still recognised.
 */
export const recentHttpMessageIds = (
  w: Warehouse,
  sinceIso: string,
): Promise<{ message_id: string; received_at: Date }[]> =>
  w.query<{ message_id: string; received_at: Date }>(
    `SELECT message_id, received_at FROM events WHERE source = 'http' AND received_at >= $1::TIMESTAMP
       UNION ALL
       SELECT DISTINCT message_id, received_at FROM profile_history WHERE source = 'http' AND received_at >= $1::TIMESTAMP`,
    [sinceIso],
  );
