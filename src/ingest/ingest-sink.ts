import type { Warehouse } from '../storage/warehouse/warehouse.ts';
import { recentHttpMessageIds } from '../storage/warehouse/recent-http-message-ids.ts';
import { commitIsolating } from '../storage/warehouse/isolating-commit.ts';
import type { IngestSink } from '../storage/ingest-sink-contract.ts';

export type { IngestSink } from '../storage/ingest-sink-contract.ts';

/** The embedded DuckDB warehouse: group commit, refused records isolated by bisection. */
export const warehouseSink = (warehouse: Warehouse): IngestSink => ({
  commit: (batch) => commitIsolating(warehouse, batch),
  recentMessageIds: (sinceIso) => recentHttpMessageIds(warehouse, sinceIso),
  grouping: 'group',
});
