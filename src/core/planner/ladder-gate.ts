import type { Channel } from '../channels/channels.ts';
import { nextLadderStep, type Ladder } from '../strategies/ladder.ts';
import { ROSTER_WORD_BITS, type Roster } from './types.ts';

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

export interface FollowUpDecisions {
  /** By (run, step), in the order first met. */
  groups: LadderStepGroup[];
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
): FollowUpDecisions => {
  const out: FollowUpDecisions = { groups: [], waiting: 0, done: {} };
  const groups = new Map<string, LadderStepGroup>();
  for (const f of facts) {
    if (f.left) {
      out.done['skipped_by_planner'] = (out.done['skipped_by_planner'] ?? 0) + 1;
      continue;
    }
    const d = nextLadderStep(
      ladder,
      {
        valueCents: f.valueCents,
        lastStep: f.lastStep,
        lastSentAt: f.lastSentAt,
        respondedAt: f.respondedAt,
      },
      now,
    );
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
