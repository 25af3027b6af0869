import { randomBytes } from 'node:crypto';
import type { CampaignDefinition, CampaignStatus } from '../../core/campaigns/schema.ts';
import { epochMs, epochMsOrNull, jsonValue, numberOrNull, ownerOfRow, versionedRow } from '../row-values.ts';
import type { AuditEntry } from './audit-log.ts';
import { writeAudited, type WriteResult } from './audited-write.ts';
import type { SqlClient } from './sql-client.ts';

/** A campaign as stored; `definition` was validated when it was written. */
export interface CampaignRecord {
  id: string;
  workspaceId: string;
  name: string;
  status: CampaignStatus;
  version: number;
  definition: CampaignDefinition;
  ownerId: number;
  ownerName: string;
  createdAt: number;
  updatedAt: number;
  submittedBy: number | null;
  submittedAt: number | null;
  approvedBy: number | null;
  approvedAt: number | null;
  approvedVersion: number | null;
  nextSlotAt: number | null;
  /** Its last slot is planned: it finishes when its last message has an outcome. */
  awaitingDelivery: boolean;
}

export const newCampaignId = (): string => `cmp_${randomBytes(8).toString('hex')}`;

const toCampaign = (r: Record<string, unknown>): CampaignRecord => ({
  ...versionedRow(r),
  ...ownerOfRow(r),
  name: String(r['name']),
  status: String(r['status']) as CampaignStatus,
  definition: jsonValue<CampaignDefinition>(r['definition']),
  submittedBy: numberOrNull(r['submitted_by']),
  submittedAt: epochMsOrNull(r['submitted_at']),
  approvedBy: numberOrNull(r['approved_by']),
  approvedAt: epochMsOrNull(r['approved_at']),
  approvedVersion: numberOrNull(r['approved_version']),
  nextSlotAt: epochMsOrNull(r['next_slot_at']),
  awaitingDelivery: r['awaiting_delivery'] === true,
});

const SELECT = `SELECT c.*, u.name AS owner_name FROM campaigns c JOIN users u ON u.id = c.owner_id`;

/** One campaign; `forUpdate` locks the row for the rest of the transaction. */
export const getCampaign = async (
  db: SqlClient,
  workspaceId: string,
  id: string,
  forUpdate = false,
): Promise<CampaignRecord | null> => {
  const rows = await db.query(
    `${SELECT} WHERE c.workspace_id = $1 AND c.id = $2${forUpdate ? ' FOR UPDATE OF c' : ''}`,
    [workspaceId, id],
  );
  return rows[0] ? toCampaign(rows[0]) : null;
};

export const listCampaigns = async (
  db: SqlClient,
  workspaceId: string,
  filter: { status?: CampaignStatus | undefined } = {},
): Promise<CampaignRecord[]> =>
  (
    await db.query(
      `${SELECT} WHERE c.workspace_id = $1 AND ($2::text IS NULL OR c.status = $2::text)
       ORDER BY c.updated_at DESC, c.id`,
      [workspaceId, filter.status ?? null],
    )
  ).map(toCampaign);

export const campaignNameTaken = async (
  db: SqlClient,
  workspaceId: string,
  name: string,
  exceptId?: string,
): Promise<boolean> =>
  (
    await db.query('SELECT 1 FROM campaigns WHERE workspace_id = $1 AND name = $2 AND id <> $3', [
      workspaceId,
      name,
      exceptId ?? '',
    ])
  ).length > 0;

export const insertCampaign = async (
  db: SqlClient,
  c: {
    id: string;
    workspaceId: string;
    name: string;
    definition: CampaignDefinition;
    ownerId: number;
    at: number;
  },
): Promise<void> => {
  await db.query(
    `INSERT INTO campaigns (id, workspace_id, name, status, version, definition, priority, category, department,
                            budget_cents, owner_id, created_at, updated_at)
     VALUES ($1, $2, $3, 'draft', 1, $4::text::jsonb, $5, $6, $7, $8, $9, $10, $10)`,
    [
      c.id,
      c.workspaceId,
      c.name,
      JSON.stringify(c.definition),
      c.definition.priority,
      c.definition.category,
      c.definition.department ?? null,
      c.definition.budgetCents ?? null,
      c.ownerId,
      new Date(c.at),
    ],
  );
};

/** Creates the draft with its audit entry, unless a campaign of the workspace has the name. */
export const createCampaign = (
  db: SqlClient,
  c: Parameters<typeof insertCampaign>[1],
  audit: AuditEntry,
): Promise<WriteResult<'name_taken'>> =>
  writeAudited(
    db,
    async (tx) => {
      if (await campaignNameTaken(tx, c.workspaceId, c.name)) return 'name_taken';
      await insertCampaign(tx, c);
      return 'written';
    },
    audit,
  );

/** The columns a lifecycle step or an edit may change; absent fields stay as they are. */
export interface CampaignChange {
  name?: string;
  definition?: CampaignDefinition;
  status?: CampaignStatus;
  bumpVersion?: boolean;
  submittedBy?: number | null;
  submittedAt?: number | null;
  approvedBy?: number | null;
  approvedAt?: number | null;
  approvedVersion?: number | null;
  nextSlotAt?: number | null;
  awaitingDelivery?: boolean;
}

/** Applies a change to a row already locked with `getCampaign(…, true)` in the same transaction. */
export const updateCampaignRow = async (
  db: SqlClient,
  workspaceId: string,
  id: string,
  change: CampaignChange,
  at: number,
): Promise<void> => {
  const sets: string[] = ['updated_at = $3'];
  const params: unknown[] = [workspaceId, id, new Date(at)];
  const set = (column: string, value: unknown, cast = '') => {
    params.push(value);
    sets.push(`${column} = $${params.length}${cast}`);
  };
  const time = (v: number | null | undefined) => (v === null || v === undefined ? null : new Date(v));
  if (change.name !== undefined) set('name', change.name);
  if (change.definition !== undefined) {
    set('definition', JSON.stringify(change.definition), '::text::jsonb');
    set('priority', change.definition.priority);
    set('category', change.definition.category);
    set('department', change.definition.department ?? null);
    set('budget_cents', change.definition.budgetCents ?? null);
  }
  if (change.status !== undefined) set('status', change.status);
  if (change.bumpVersion) sets.push('version = version + 1');
  if (change.submittedBy !== undefined) set('submitted_by', change.submittedBy);
  if (change.submittedAt !== undefined) set('submitted_at', time(change.submittedAt));
  if (change.approvedBy !== undefined) set('approved_by', change.approvedBy);
  if (change.approvedAt !== undefined) set('approved_at', time(change.approvedAt));
  if (change.approvedVersion !== undefined) set('approved_version', change.approvedVersion);
  if (change.nextSlotAt !== undefined) set('next_slot_at', time(change.nextSlotAt));
  if (change.awaitingDelivery !== undefined) set('awaiting_delivery', change.awaitingDelivery);
  await db.query(`UPDATE campaigns SET ${sets.join(', ')} WHERE workspace_id = $1 AND id = $2`, params);
};

export const insertReview = async (
  db: SqlClient,
  r: {
    campaignId: string;
    version: number;
    decision: 'approve' | 'reject';
    reviewerId: number;
    at: number;
    note: string | null;
  },
): Promise<void> => {
  await db.query(
    `INSERT INTO campaign_reviews (campaign_id, version, decision, reviewer_id, at, note) VALUES ($1, $2, $3, $4, $5, $6)`,
    [r.campaignId, r.version, r.decision, r.reviewerId, new Date(r.at), r.note],
  );
};

export interface CampaignReview {
  version: number;
  decision: 'approve' | 'reject';
  reviewerId: number;
  reviewerName: string;
  at: number;
  note: string | null;
}

export const listReviews = async (db: SqlClient, campaignId: string): Promise<CampaignReview[]> =>
  (
    await db.query(
      `SELECT r.*, u.name AS reviewer_name FROM campaign_reviews r JOIN users u ON u.id = r.reviewer_id
       WHERE r.campaign_id = $1 ORDER BY r.id`,
      [campaignId],
    )
  ).map((r) => ({
    version: Number(r['version']),
    decision: r['decision'] as 'approve' | 'reject',
    reviewerId: Number(r['reviewer_id']),
    reviewerName: String(r['reviewer_name']),
    at: epochMs(r['at']),
    note: (r['note'] as string | null) ?? null,
  }));

/** Campaigns whose next slot is due at or before `at` (scheduled or running), oldest first. */
export const dueCampaigns = async (
  db: SqlClient,
  workspaceId: string,
  at: number,
): Promise<CampaignRecord[]> =>
  (
    await db.query(
      `${SELECT} WHERE c.workspace_id = $1 AND c.status IN ('scheduled', 'running')
         AND c.next_slot_at IS NOT NULL AND c.next_slot_at <= $2
       ORDER BY c.next_slot_at, c.id`,
      [workspaceId, new Date(at)],
    )
  ).map(toCampaign);
