import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import { CHANNELS, type Channel } from '../channels/channels.ts';

/**
 * Recall strategies as escalation ladders (features.md D6): the cheapest channel first, then — only for
 * users who did not respond within the step's wait and whose value justifies the next channel's
 * cost — the next one. Users worth less than the ladder's floor are never disturbed.
 */

const ChannelName = Type.Union(CHANNELS.map((c) => Type.Literal(c)));

export const LadderStep = Type.Object(
  {
    channel: ChannelName,
    waitHours: Type.Number({
      exclusiveMinimum: 0,
      maximum: 24 * 60,
      description: 'hours to wait for a response after this step before escalating',
    }),
    minValueCents: Type.Integer({
      minimum: 0,
      default: 0,
      description: 'only users worth at least this much get this step (e.g. a call only for valuable users)',
    }),
  },
  { additionalProperties: false },
);

export const Ladder = Type.Object(
  {
    steps: Type.Array(LadderStep, { minItems: 1, maxItems: 7 }),
    responseEvents: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
      minItems: 1,
      maxItems: 20,
      description: 'events that count as a response (a click, the goal), which stop the ladder for the user',
    }),
    doNotDisturbBelowCents: Type.Integer({
      minimum: 0,
      default: 0,
      description: 'users worth less than this get nothing from this strategy',
    }),
  },
  { additionalProperties: false },
);
export type Ladder = Static<typeof Ladder>;

/** Where one user stands on a ladder. */
export interface LadderState {
  /** Value used to justify each step (cents). */
  valueCents: number;
  /** Index of the last step sent; −1 before the first. */
  lastStep: number;
  lastSentAt: number | null;
  /** A response event after the last send (or null). */
  respondedAt: number | null;
}

export type LadderDecision =
  | { kind: 'send'; step: number; channel: Channel }
  | { kind: 'wait'; until: number }
  | {
      kind: 'done';
      /** 'priced_out': the next channel's expected value does not exceed its cost (ladder-pricing.ts). */
      reason: 'responded' | 'top_of_ladder' | 'not_worth' | 'do_not_disturb' | 'priced_out';
    };

/** Step k for a user worth `valueCents`: send it, or done (past the top, below the step's floor). */
export const stepDecision = (ladder: Ladder, valueCents: number, k: number): LadderDecision => {
  const step = ladder.steps[k];
  if (!step) return { kind: 'done', reason: 'top_of_ladder' };
  return valueCents >= step.minValueCents
    ? { kind: 'send', step: k, channel: step.channel }
    : { kind: 'done', reason: 'not_worth' };
};

/** The next thing to do for a user at `now`. Pure. */
export const nextLadderStep = (ladder: Ladder, s: LadderState, now: number): LadderDecision => {
  if (s.valueCents < ladder.doNotDisturbBelowCents) return { kind: 'done', reason: 'do_not_disturb' };
  const send = (k: number): LadderDecision => stepDecision(ladder, s.valueCents, k);
  if (s.lastStep < 0 || s.lastSentAt === null) return send(0);
  if (s.respondedAt !== null && s.respondedAt >= s.lastSentAt) return { kind: 'done', reason: 'responded' };
  const current = ladder.steps[s.lastStep];
  if (!current) return { kind: 'done', reason: 'top_of_ladder' };
  const until = s.lastSentAt + current.waitHours * 3_600_000;
  if (now < until) return { kind: 'wait', until };
  return send(s.lastStep + 1);
};

/** Problems a schema cannot see: a channel twice in a row, a step cheaper than the floor. */
export const checkLadder = (l: Ladder, path = 'ladder'): { path: string; message: string }[] => {
  const problems: { path: string; message: string }[] = [];
  l.steps.forEach((s, i) => {
    if (i > 0 && l.steps[i - 1]?.channel === s.channel)
      problems.push({
        path: `${path}.steps[${i}].channel`,
        message: `repeats the previous step's channel '${s.channel}'`,
      });
  });
  return problems;
};
