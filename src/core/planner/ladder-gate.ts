import type { Channel } from '../channels/channels.ts';
import { nextLadderStep, stepDecision, type Ladder, type LadderDecision } from '../strategies/ladder.ts';
import { priceEscalation, type ResponseRate } from '../strategies/ladder-pricing.ts';
import { ROSTER_WORD_BITS, type ChannelBlocks, type Roster } from './types.ts';

/**
 * Which ladder step each user is owed (features.md D6), decided here for both planner shells: a
 * scheduled slot sends a ladder's first step (run-slot.ts), the follow-ups send the later ones
 * (campaigns/ladder-follow-ups.ts). The shells read the facts — what each user is worth, the last
 * step planned for them and when, their first response after it, whether the planner skipped them
 * at a follow-up step — and `planSlot` then plans the users this lets through like any other
 * members (caps, quiet hours, opt-outs, budgets). Pure.
 */

/** A member a ladder leaves out of a slot, recorded as a skip with the ladder's reason. */
export interface LadderSkip {
  campaignId: string;
  userId: string;
  reason: string;
}

/**
 * The ladder's first step in a scheduled slot: of campaign `k`'s members in the roster (bit `k`),
 * those not worth disturbing or not worth the first step's channel. Returns their roster indices
 * (for the shell to take out of the campaign's members) and their skips, in roster order.
 */
export const firstStepGate = (
  roster: Roster,
  k: number,
  campaignId: string,
  ladder: Ladder,
  valuesCents: ReadonlyMap<string, number>,
  slotAt: number,
): { indices: number[]; skips: LadderSkip[] } => {
  const word = roster.words[Math.floor(k / ROSTER_WORD_BITS)] as Int32Array;
  const bit = 1 << (k % ROSTER_WORD_BITS);
  const indices: number[] = [];
  const skips: LadderSkip[] = [];
  roster.ids.forEach((u, i) => {
    if (((word[i] as number) & bit) === 0) return;
    const d = nextLadderStep(
      ladder,
      { valueCents: valuesCents.get(u) ?? 0, lastStep: -1, lastSentAt: null, respondedAt: null },
      slotAt,
    );
    if (d.kind === 'send') return;
    indices.push(i);
    skips.push({ campaignId, userId: u, reason: d.kind === 'done' ? d.reason : 'waiting' });
  });
  return { indices, skips };
};

/** What the shell knows about one user already on a ladder. */
export interface LadderFacts {
  userId: string;
  /** The run of the latest step planned for the user. */
  runId: string;
  /** That step's index. */
  lastStep: number;
  /** Its send instant. */
  lastSentAt: number;
  /** The first response event since then (epoch ms), or null. */
  respondedAt: number | null;
  valueCents: number;
  /** The planner skipped the user at a follow-up step (a cap, an opt-out, the budget): off the ladder for good. */
  left: boolean;
}

/** Users owed the same step of the same run: one planner batch. */
export interface LadderStepGroup {
  runId: string;
  step: number;
  channel: Channel;
  userIds: string[];
}

/**
 * What the follow-ups price the next channel with (ladder-pricing.ts), and the channels a user
 * cannot be reached on (a region, no healthy caller number): the ladder goes past such a step.
 */
export interface LadderPricing {
  /** Per channel: its response rate on the workspace's own history (or the default). */
  rates: Partial<Record<Channel, ResponseRate>>;
  /** Per channel: its price per message (cents). */
  messageCents: Partial<Record<Channel, number>>;
  /** The user's own offer with a message (cents); 0 without one. */
  offerCents: (userId: string) => number;
  /** Channels the user cannot be reached on, with why; absent: none. */
  blocked?: (userId: string) => ChannelBlocks | undefined;
}

/** A step not sent to a user, with why in words (written as the user's skip at that step). */
export interface LadderStepSkip {
  userId: string;
  runId: string;
  step: number;
  channel: Channel;
  /** 'ladder_price': the channel does not pay for itself (the user leaves the ladder); 'channel_blocked': the ladder went past it. */
  reason: 'ladder_price' | 'channel_blocked';
  /** Chinese, then English: '短信预期价值 ¥0.03（…）低于成本 ¥0.05，不升级 / SMS expected value …'. */
  detail: string;
}

export interface FollowUpDecisions {
  /** By (run, step), in the order first met. */
  groups: LadderStepGroup[];
  /** Steps priced out or gone past, one per user and step, in `facts` order. */
  stepSkips: LadderStepSkip[];
  /** Users still within their last step's wait. */
  waiting: number;
  /** Users done with the ladder, by reason ('skipped_by_planner': those who left it). */
  done: Record<string, number>;
}

/** The follow-up steps owed at `now`, one decision per user in `facts` order. */
export const followUpSteps = (
  ladder: Ladder,
  facts: readonly LadderFacts[],
  now: number,
  pricing?: LadderPricing,
): FollowUpDecisions => {
  const out: FollowUpDecisions = { groups: [], stepSkips: [], waiting: 0, done: {} };
  const groups = new Map<string, LadderStepGroup>();
  for (const f of facts) {
    if (f.left) {
      out.done['skipped_by_planner'] = (out.done['skipped_by_planner'] ?? 0) + 1;
      continue;
    }
    const next = nextLadderStep(
      ladder,
      {
        valueCents: f.valueCents,
        lastStep: f.lastStep,
        lastSentAt: f.lastSentAt,
        respondedAt: f.respondedAt,
      },
      now,
    );
    const d = pricing ? priced(ladder, f, next, pricing, out.stepSkips) : next;
    if (d.kind === 'wait') out.waiting++;
    else if (d.kind === 'done') out.done[d.reason] = (out.done[d.reason] ?? 0) + 1;
    else {
      const key = `${f.runId}\u0000${d.step}`;
      let g = groups.get(key);
      if (!g) {
        g = { runId: f.runId, step: d.step, channel: d.channel, userIds: [] };
        groups.set(key, g);
        out.groups.push(g);
      }
      g.userIds.push(f.userId);
    }
  }
  return out;
};

/**
 * An escalation the ladder decided, checked against what the shell knows: a channel the user
 * cannot be reached on is gone past (the next step, if the user is worth it); a channel whose
 * expected value does not exceed its cost ends the ladder for the user ('ladder_price'). Each
 * such step is recorded in `skips` with its words.
 */
const priced = (
  ladder: Ladder,
  f: LadderFacts,
  d: LadderDecision,
  pricing: LadderPricing,
  skips: LadderStepSkip[],
): LadderDecision => {
  let decision = d;
  const blocked = pricing.blocked?.(f.userId);
  while (decision.kind === 'send') {
    const { step, channel } = decision;
    const why = blocked?.[channel];
    if (why !== undefined) {
      skips.push({ userId: f.userId, runId: f.runId, step, channel, reason: 'channel_blocked', detail: why });
      decision = stepDecision(ladder, f.valueCents, step + 1);
      continue;
    }
    const rate = pricing.rates[channel];
    if (rate === undefined) return decision;
    const price = priceEscalation({
      channel,
      rate,
      valueCents: f.valueCents,
      messageCents: pricing.messageCents[channel] ?? 0,
      offerCents: pricing.offerCents(f.userId),
    });
    if (price.escalate) return decision;
    skips.push({
      userId: f.userId,
      runId: f.runId,
      step,
      channel,
      reason: 'ladder_price',
      detail: `${price.zh} / ${price.en}`,
    });
    return { kind: 'done', reason: 'priced_out' };
  }
  return decision;
};
