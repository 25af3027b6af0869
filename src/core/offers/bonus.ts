import type { Cents } from '../channels/channels.ts';
import { DAY_MS } from '../time/units.ts';
import { offerCost, type OfferCost } from './cost.ts';
import type { IssuedOffer } from './issue.ts';
import type { OfferKind } from './schema.ts';

/**
 * Conditional bonuses (features.md D4), the pure part: which issued offers with a bonus condition
 * ("invest ¥10 000 within 7 days of issue → 1 000 points") have been earned by the user's events,
 * and what each grant costs. The shell (src/offers/bonus-grants.ts) reads the open offers and the
 * candidate events, and books each grant once.
 *
 * Rule: an offer is earned by the user's earliest event named `event` whose `amount` reaches
 * `minEventAmount` (any amount when the condition has none; an event without an amount never
 * reaches a minimum) at a time in [issued at, deadline) — deadline = issue + withinDays days, the
 * same half-open window as conversion goals. Only events that happened by `now` count. Each offer
 * is its own promise: one event may earn the bonus of two offers that both ask for it.
 */

/** An issued offer whose bonus is not granted yet. */
export interface OpenBonus {
  code: string;
  campaignId: string;
  userId: string;
  kind: OfferKind;
  /** The bonus in the offer's unit (points, or cents for coupons and red packets). */
  amount: number;
  /** What the bonus costs the business in cents, as priced at issue (points × point value). */
  valueCents: Cents;
  issuedAt: number;
  event: string;
  minEventAmount?: number | undefined;
  /** Epoch ms; exclusive. */
  deadline: number;
}

/** A user's event that may earn a bonus (the shell reads only the offers' users and event names). */
export interface CandidateEvent {
  messageId: string;
  userId: string;
  event: string;
  ts: number;
  amount: number | null;
}

export interface BonusGrant {
  code: string;
  campaignId: string;
  userId: string;
  kind: OfferKind;
  amount: number;
  costCents: Cents;
  /** The qualifying event. */
  messageId: string;
  eventAt: number;
}

/**
 * How long after an offer's deadline its qualifying event may still arrive (a batch import or a
 * slow client): the loop keeps such offers open this long, as attribution looks back a week.
 */
export const BONUS_LATE_EVENT_GRACE_MS = 7 * DAY_MS;

/** Whether `e` earns `o`'s bonus (by `now`). */
export const qualifies = (o: OpenBonus, e: CandidateEvent, now: number): boolean =>
  e.userId === o.userId &&
  e.event === o.event &&
  e.ts >= o.issuedAt &&
  e.ts < o.deadline &&
  e.ts <= now &&
  (o.minEventAmount === undefined || (e.amount !== null && e.amount >= o.minEventAmount));

const earlier = (a: CandidateEvent, b: CandidateEvent): boolean =>
  a.ts < b.ts || (a.ts === b.ts && a.messageId < b.messageId);

/**
 * The bonuses earned by `events` at `now`: one grant per earned offer, with its earliest
 * qualifying event (ties by message id, so a rerun picks the same one) and its cost. Offers the
 * events do not earn are left out; granting each at most once is the shell's job.
 */
export const evaluateBonuses = (
  offers: readonly OpenBonus[],
  events: readonly CandidateEvent[],
  now: number,
): BonusGrant[] => {
  const byUser = new Map<string, CandidateEvent[]>();
  for (const e of events) {
    const list = byUser.get(e.userId);
    if (list) list.push(e);
    else byUser.set(e.userId, [e]);
  }
  const grants: BonusGrant[] = [];
  for (const o of offers) {
    let best: CandidateEvent | null = null;
    for (const e of byUser.get(o.userId) ?? [])
      if (qualifies(o, e, now) && (best === null || earlier(e, best))) best = e;
    if (best === null) continue;
    grants.push({
      code: o.code,
      campaignId: o.campaignId,
      userId: o.userId,
      kind: o.kind,
      amount: o.amount,
      costCents: o.valueCents,
      messageId: best.messageId,
      eventAt: best.ts,
    });
  }
  return grants;
};

/** The bonus condition stored with an issued offer (`details.bonus`), or null when it has none. */
export const storedBonus = (
  details: unknown,
): { event: string; minEventAmount?: number; deadline: number } | null => {
  if (typeof details !== 'object' || details === null) return null;
  const b = (details as Record<string, unknown>)['bonus'];
  if (typeof b !== 'object' || b === null) return null;
  const { event, minEventAmount, deadline } = b as Record<string, unknown>;
  if (typeof event !== 'string' || typeof deadline !== 'number') return null;
  return typeof minEventAmount === 'number' ? { event, minEventAmount, deadline } : { event, deadline };
};

/**
 * The cost booked at issue or at redemption of an issued offer. A conditional bonus costs only
 * when it is earned: the bonus loop books it then (`offers_issued.bonus_cost_cents`), so it is
 * booked neither at issue (whatever its `costRecognition`) nor at a redemption the shop reports,
 * and is never counted twice. Other offers follow `offerCost`.
 */
export const bookedOfferCost = (
  issued: Pick<IssuedOffer, 'valueCents' | 'costRecognition' | 'bonus'>,
  o: { redeemed: boolean },
): OfferCost =>
  issued.bonus === undefined ? offerCost(issued, o) : { atIssue: 0, atRedemption: 0, total: 0 };
