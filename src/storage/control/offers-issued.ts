import type { IssuedOffer } from '../../core/offers/index.ts';
import { bookedOfferCost, storedBonus } from '../../core/offers/bonus.ts';
import { csvRow, type SqlClient } from './sql-client.ts';

const COLUMNS = [
  'code',
  'workspace_id',
  'campaign_id',
  'user_id',
  'idempotency_key',
  'kind',
  'amount',
  'value_cents',
  'cost_recognition',
  'issued_at',
  'expires_at',
  'details',
  'cost_at_issue',
  'bonus_deadline',
] as const;

/** Offers issued with planned messages, in the planner's transaction; cost at issue booked now. */
export const insertIssuedOffers = async (
  tx: SqlClient,
  workspaceId: string,
  offers: readonly { idempotencyKey: string; offer: IssuedOffer }[],
): Promise<void> => {
  if (offers.length === 0) return;
  let csv = '';
  for (const { idempotencyKey, offer: o } of offers)
    csv += csvRow([
      o.code,
      workspaceId,
      o.campaignId,
      o.userId,
      idempotencyKey,
      o.kind,
      o.amount,
      o.valueCents,
      o.costRecognition,
      new Date(o.issuedAt).toISOString(),
      new Date(o.expiresAt).toISOString(),
      JSON.stringify({
        condition: o.condition,
        minSpendCents: o.minSpendCents ?? null,
        bonus: o.bonus ?? null,
      }),
      bookedOfferCost(o, { redeemed: false }).atIssue,
      // The bonus loop's work list (migration 017); empty (NULL) for offers without a condition.
      o.bonus === undefined ? null : new Date(o.bonus.deadline).toISOString(),
    ]);
  await tx.copyCsv('offers_issued', COLUMNS, csv);
};

export interface RedeemedOffer {
  code: string;
  campaignId: string;
  userId: string;
  valueCents: number;
  costAtIssue: number;
  costAtRedemption: number;
  redeemedAt: number;
}

/**
 * Marks an offer redeemed once (the first redemption wins; a repeat answers `already`), booking
 * its cost at redemption when the offer says so. Null: no such code, or it expired.
 */
export const redeemOffer = async (
  db: SqlClient,
  workspaceId: string,
  code: string,
  at: number,
): Promise<{ offer: RedeemedOffer; already: boolean } | null> =>
  db.transaction(async (tx) => {
    const rows = await tx.query<Record<string, unknown>>(
      'SELECT * FROM offers_issued WHERE workspace_id = $1 AND code = $2 FOR UPDATE',
      [workspaceId, code],
    );
    const r = rows[0];
    if (!r || new Date(r['expires_at'] as string).getTime() < at) return null;
    const already = r['redeemed_at'] !== null;
    const details: unknown = typeof r['details'] === 'string' ? JSON.parse(r['details']) : r['details'];
    const bonus = storedBonus(details);
    if (!already) {
      const cost = bookedOfferCost(
        {
          valueCents: Number(r['value_cents']),
          costRecognition: r['cost_recognition'] as 'issue' | 'redemption',
          // A conditional bonus is booked when earned (bonus_cost_cents), not when redeemed.
          ...(bonus === null ? {} : { bonus }),
        },
        { redeemed: true },
      );
      await tx.query(
        'UPDATE offers_issued SET redeemed_at = $3, cost_at_redemption = $4 WHERE workspace_id = $1 AND code = $2',
        [workspaceId, code, new Date(at), cost.atRedemption],
      );
      r['redeemed_at'] = new Date(at);
      r['cost_at_redemption'] = cost.atRedemption;
    }
    return {
      already,
      offer: {
        code,
        campaignId: String(r['campaign_id']),
        userId: String(r['user_id']),
        valueCents: Number(r['value_cents']),
        costAtIssue: Number(r['cost_at_issue']),
        costAtRedemption: Number(r['cost_at_redemption']),
        redeemedAt: new Date(r['redeemed_at'] as string).getTime(),
      },
    };
  });
