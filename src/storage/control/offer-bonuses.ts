import {
  BONUS_LATE_EVENT_GRACE_MS,
  storedBonus,
  type BonusGrant,
  type OpenBonus,
} from '../../core/offers/bonus.ts';
import type { OfferKind } from '../../core/offers/schema.ts';
import { appendAudit } from './audit-log.ts';
import type { SqlClient } from './sql-client.ts';

/**
 * Conditional bonuses in `offers_issued` (migration 017): the open ones, booking a grant once,
 * and the grants for the API.
 */

const ms = (v: unknown): number => new Date(v as string).getTime();
const json = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v);

/**
 * Offers of the workspace with a bonus not granted yet, issued by `now`, whose deadline has not
 * passed by more than the late-event grace (a qualifying event may reach the warehouse late).
 */
export const listOpenBonuses = async (
  db: SqlClient,
  workspaceId: string,
  now: number,
): Promise<OpenBonus[]> => {
  const rows = await db.query(
    `SELECT code, campaign_id, user_id, kind, amount, value_cents, issued_at, details FROM offers_issued
      WHERE workspace_id = $1 AND bonus_deadline IS NOT NULL AND bonus_granted_at IS NULL
        AND bonus_deadline > $2 AND issued_at <= $3
      ORDER BY issued_at, code`,
    [workspaceId, new Date(now - BONUS_LATE_EVENT_GRACE_MS), new Date(now)],
  );
  const out: OpenBonus[] = [];
  for (const r of rows) {
    const b = storedBonus(json(r['details']));
    if (b === null) continue;
    out.push({
      code: String(r['code']),
      campaignId: String(r['campaign_id']),
      userId: String(r['user_id']),
      kind: r['kind'] as OfferKind,
      amount: Number(r['amount']),
      valueCents: Number(r['value_cents']),
      issuedAt: ms(r['issued_at']),
      event: b.event,
      ...(b.minEventAmount === undefined ? {} : { minEventAmount: b.minEventAmount }),
      deadline: b.deadline,
    });
  }
  return out;
};

/**
 * Books one grant if the offer has none yet (the UPDATE's `bonus_granted_at IS NULL` under the
 * row lock makes a second run, a parallel worker or a retry book nothing), with its audit entry in
 * the same transaction. True when this call booked it.
 */
export const bookBonusGrant = (
  db: SqlClient,
  workspaceId: string,
  g: BonusGrant,
  at: number,
): Promise<boolean> =>
  db.transaction(async (tx) => {
    const rows = await tx.query(
      `UPDATE offers_issued SET bonus_granted_at = $3, bonus_amount = $4, bonus_cost_cents = $5,
              bonus_message_id = $6, bonus_event_at = $7
        WHERE workspace_id = $1 AND code = $2 AND bonus_granted_at IS NULL RETURNING code`,
      [workspaceId, g.code, new Date(at), g.amount, g.costCents, g.messageId, new Date(g.eventAt)],
    );
    if (rows.length === 0) return false;
    await appendAudit(tx, {
      workspaceId,
      at,
      actorId: null,
      action: 'offer.bonus_grant',
      objectType: 'offer',
      objectId: g.code,
      details: {
        campaignId: g.campaignId,
        userId: g.userId,
        amount: g.amount,
        bonusCostCents: g.costCents,
        qualifyingMessageId: g.messageId,
      },
    });
    return true;
  });

export interface GrantedBonus extends BonusGrant {
  grantedAt: number;
}

const grantOf = (r: Record<string, unknown>): GrantedBonus => ({
  code: String(r['code']),
  campaignId: String(r['campaign_id']),
  userId: String(r['user_id']),
  kind: r['kind'] as OfferKind,
  amount: Number(r['bonus_amount']),
  costCents: Number(r['bonus_cost_cents']),
  messageId: String(r['bonus_message_id']),
  eventAt: ms(r['bonus_event_at']),
  grantedAt: ms(r['bonus_granted_at']),
});

/** Grants booked at or after `since`, oldest first (the shop polls this to credit the points). */
export const listBonusGrants = async (
  db: SqlClient,
  workspaceId: string,
  o: { since: number; limit: number; campaignId?: string | undefined },
): Promise<GrantedBonus[]> =>
  (
    await db.query(
      `SELECT code, campaign_id, user_id, kind, bonus_amount, bonus_cost_cents, bonus_message_id, bonus_event_at,
              bonus_granted_at FROM offers_issued
        WHERE workspace_id = $1 AND bonus_granted_at >= $2 AND ($3::text IS NULL OR campaign_id = $3)
        ORDER BY bonus_granted_at, code LIMIT $4`,
      [workspaceId, new Date(o.since), o.campaignId ?? null, o.limit],
    )
  ).map(grantOf);

/** One issued offer of a user, with its redemption and bonus state. */
export interface UserOffer {
  code: string;
  campaignId: string;
  kind: OfferKind;
  amount: number;
  valueCents: number;
  issuedAt: number;
  expiresAt: number;
  condition: { zh: string; en: string } | null;
  redeemedAt: number | null;
  bonus: {
    event: string;
    minEventAmount: number | null;
    deadline: number;
    grantedAt: number | null;
    amount: number | null;
    costCents: number;
    qualifyingMessageId: string | null;
  } | null;
}

/** The user's issued offers, newest first. */
export const listUserOffers = async (
  db: SqlClient,
  workspaceId: string,
  userId: string,
  limit: number,
): Promise<UserOffer[]> =>
  (
    await db.query(
      `SELECT * FROM offers_issued WHERE workspace_id = $1 AND user_id = $2 ORDER BY issued_at DESC, code LIMIT $3`,
      [workspaceId, userId, limit],
    )
  ).map((r) => {
    const details = json(r['details']) as Record<string, unknown> | null;
    const condition = details?.['condition'];
    const b = storedBonus(details);
    return {
      code: String(r['code']),
      campaignId: String(r['campaign_id']),
      kind: r['kind'] as OfferKind,
      amount: Number(r['amount']),
      valueCents: Number(r['value_cents']),
      issuedAt: ms(r['issued_at']),
      expiresAt: ms(r['expires_at']),
      condition:
        typeof condition === 'object' && condition !== null
          ? (condition as { zh: string; en: string })
          : null,
      redeemedAt: r['redeemed_at'] === null ? null : ms(r['redeemed_at']),
      bonus:
        b === null
          ? null
          : {
              event: b.event,
              minEventAmount: b.minEventAmount ?? null,
              deadline: b.deadline,
              grantedAt: r['bonus_granted_at'] === null ? null : ms(r['bonus_granted_at']),
              amount: r['bonus_amount'] === null ? null : Number(r['bonus_amount']),
              costCents: Number(r['bonus_cost_cents']),
              qualifyingMessageId: r['bonus_message_id'] === null ? null : String(r['bonus_message_id']),
            },
    };
  });

/** Workspaces with at least one bonus still open (the loop visits only those). */
export const workspacesWithOpenBonuses = async (db: SqlClient, now: number): Promise<string[]> =>
  (
    await db.query<{ workspace_id: string }>(
      `SELECT DISTINCT workspace_id FROM offers_issued
        WHERE bonus_deadline IS NOT NULL AND bonus_granted_at IS NULL AND bonus_deadline > $1 ORDER BY 1`,
      [new Date(now - BONUS_LATE_EVENT_GRACE_MS)],
    )
  ).map((r) => r.workspace_id);
