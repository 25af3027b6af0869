import type { Roster } from '../core/planner/types.ts';
import type { PlanStrategy } from '../core/planner/strategy-gate.ts';
import { cellIndexOf, governedCampaigns, matrixVerdicts } from '../core/strategies/matrix.ts';
import type { CampaignRecord } from '../storage/control/campaigns.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import { getMatrix, matrixCampaignFacts } from '../storage/control/strategy-matrix.ts';
import { idsWho } from '../storage/warehouse/planner-inputs.ts';
import { segmentGroups } from '../storage/warehouse/user-segments.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';

/**
 * The strategy matrix for one planner pass (features.md D6): the workspace's matrix as it is in
 * `tx`, the verdicts for the pass's campaigns (core/strategies/matrix.ts) and — only when the
 * matrix can keep someone out of them — each member's first-matching cell from their scores in
 * the warehouse. Every planner path (slots, triggers, ladder follow-ups, estimates) goes through
 * `computePlan`, which asks this; undefined: the matrix keeps nobody out of this pass.
 */
/** Members beyond which the segments of every user are read instead of the members' (a scan, no id list). */
const ALL_USERS_ABOVE = 100_000;

export const planStrategy = async (
  tx: SqlClient,
  o: {
    workspaceId: string;
    batches: readonly { campaign: CampaignRecord; members: readonly string[] }[];
    roster?: Roster | undefined;
    warehouse?: WarehouseSql | undefined;
  },
): Promise<PlanStrategy | undefined> => {
  // Transactional messages (notifications) never meet the matrix: not even a read for them.
  if (!o.warehouse || o.batches.every((b) => b.campaign.definition.class === 'transactional'))
    return undefined;
  const { matrix } = await getMatrix(tx, o.workspaceId);
  if (!matrix.enabled || matrix.cells.length === 0) return undefined;
  const flows = await matrixCampaignFacts(tx, o.workspaceId, [...governedCampaigns(matrix)]);
  const campaigns = o.batches.map((b) => b.campaign);
  const rows = matrixVerdicts(
    matrix,
    campaigns.map((c) => ({ id: c.id, name: c.name, marketing: c.definition.class !== 'transactional' })),
    new Map(flows.map((f) => [f.id, f.name])),
  );
  if (rows.every((r) => r.every((d) => d === null))) return undefined;
  const ids = o.roster ? o.roster.ids : [...new Set(o.batches.flatMap((b) => b.members))];
  const cellOf = new Map<string, number>();
  // Many members travel faster as "every user" than as a list of ids (measured: 1 M members
  // 1.3–1.7 s against 2.8–3.7 s); the extra users' cells are simply never looked up.
  const who = ids.length > ALL_USERS_ABOVE ? null : idsWho(ids, o.warehouse.dialect);
  for (const g of await segmentGroups(o.warehouse, who)) {
    const cell = cellIndexOf(matrix.cells, g);
    if (cell >= 0) for (const id of g.ids) cellOf.set(id, cell);
  }
  return { verdicts: new Map(campaigns.map((c, k) => [c.id, rows[k] ?? []])), cellOf };
};
