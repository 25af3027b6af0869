import type { SqlClient } from './sql-client.ts';

/** Ids of the runs of these campaigns that committed (decisions of other run ids are orphans). */
export const committedRunIds = async (db: SqlClient, campaignIds: readonly string[]): Promise<string[]> =>
  (
    await db.query<{ id: string }>('SELECT id FROM campaign_runs WHERE campaign_id = ANY($1::text[])', [
      campaignIds,
    ])
  ).map((r) => r.id);
