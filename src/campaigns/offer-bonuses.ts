import type { Actor } from '../core/auth/roles.ts';
import type { Clock } from '../core/clock.ts';
import { BONUS_LATE_EVENT_GRACE_MS, evaluateBonuses } from '../core/offers/bonus.ts';
import { err, ok } from '../core/result.ts';
import type { Outcome } from '../core/service-failure.ts';
import { every, type Loop } from '../scheduling/every.ts';
import {
  bookBonusGrant,
  listBonusGrants,
  listOpenBonuses,
  listUserOffers,
  workspacesWithOpenBonuses,
  type GrantedBonus,
  type UserOffer,
} from '../storage/control/offer-bonuses.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import { appendBonusFacts, candidateBonusEvents } from '../storage/warehouse/bonus-events.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';
import { refused } from './campaigns.ts';

/**
 * The bonus loop (features.md D4): grants the conditional bonuses the users' events have earned
 * (rule in core/offers/bonus.ts), each exactly once, with its cost, and reports each grant as an
 * audit entry, a row of `GET /v1/offers/bonuses` (the shop credits the points from it) and an
 * `offer_bonus_granted` event in the warehouse (triggers, alert rules).
 */

export interface BonusContext {
  control: SqlClient;
  warehouse: WarehouseSql;
  clock: Clock;
}

export interface BonusRun {
  open: number;
  granted: number;
  facts: number;
}

/**
 * One pass over a workspace: the open offers, the events that may earn them, the grants booked
 * (a grant another run booked first is skipped), then the warehouse facts of every grant of the
 * last grace period not written yet. Safe to run twice, in parallel, or after a crash anywhere.
 */
export const grantBonuses = async (ctx: BonusContext, workspaceId: string): Promise<BonusRun> => {
  const now = ctx.clock();
  const open = await listOpenBonuses(ctx.control, workspaceId, now);
  const events = await candidateBonusEvents(
    ctx.warehouse,
    open.map((o) => ({
      userId: o.userId,
      event: o.event,
      from: o.issuedAt,
      until: Math.min(o.deadline, now + 1),
    })),
  );
  let granted = 0;
  for (const g of evaluateBonuses(open, events, now))
    if (await bookBonusGrant(ctx.control, workspaceId, g, now)) granted++;
  const recent = await listBonusGrants(ctx.control, workspaceId, {
    since: now - BONUS_LATE_EVENT_GRACE_MS,
    limit: 100_000,
  });
  const facts = await appendBonusFacts(ctx.warehouse, recent);
  return { open: open.length, granted, facts };
};

/** Every workspace with open bonuses, plus 'default' (its facts may still need writing). */
export const grantAllBonuses = async (ctx: BonusContext): Promise<BonusRun> => {
  const total: BonusRun = { open: 0, granted: 0, facts: 0 };
  const ids = new Set(['default', ...(await workspacesWithOpenBonuses(ctx.control, ctx.clock()))]);
  for (const id of ids) {
    const r = await grantBonuses(ctx, id);
    total.open += r.open;
    total.granted += r.granted;
    total.facts += r.facts;
  }
  return total;
};

export interface BonusLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * The periodic pass of `rekindle serve`, at the attribution's cadence
 * (REKINDLE_ATTRIBUTE_EVERY_MINUTES; 0 turns it off): once shortly after start, then every
 * `everyMinutes`. Runs never overlap; a failed run is logged and the next one tried on time.
 */
export const startBonusGrants = (
  ctx: BonusContext,
  options: { everyMinutes: number; log: BonusLog },
): Loop => {
  if (!(options.everyMinutes > 0)) return { stop: async () => undefined };
  return every(
    options.everyMinutes * 60_000,
    async () => {
      const r = await grantAllBonuses(ctx);
      if (r.granted > 0 || r.facts > 0) options.log.info(r, 'offer bonuses granted');
    },
    { firstAfterMs: 6_000, onError: (e) => options.log.error({ err: e }, 'granting offer bonuses failed') },
  );
};

/** Grants booked since `since` (the shop's feed; campaign.read). */
export const listBonusGrantsAs = async (
  ctx: BonusContext,
  actor: Actor,
  q: { since: number; limit: number; campaignId?: string | undefined },
): Outcome<GrantedBonus[]> => {
  const no = refused(actor, 'campaign.read');
  if (no) return err(no);
  return ok(await listBonusGrants(ctx.control, actor.workspaceId, q));
};

/** A user's issued offers with their redemption and bonus state (campaign.read). */
export const listUserOffersAs = async (
  ctx: BonusContext,
  actor: Actor,
  userId: string,
  limit: number,
): Outcome<UserOffer[]> => {
  const no = refused(actor, 'campaign.read');
  if (no) return err(no);
  return ok(await listUserOffers(ctx.control, actor.workspaceId, userId, limit));
};

/** One pass now, for the actor's workspace (offer.redeem: operator, admin). */
export const grantBonusesAs = async (ctx: BonusContext, actor: Actor): Outcome<BonusRun> => {
  const no = refused(actor, 'offer.redeem');
  if (no) return err(no);
  return ok(await grantBonuses(ctx, actor.workspaceId));
};
