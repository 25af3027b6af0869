import { describe, expect, it } from 'vitest';
import { firstStepGate, followUpSteps, type LadderFacts } from '../src/core/planner/ladder-gate.ts';
import { rosterOf } from '../src/core/planner/roster.ts';
import type { Ladder } from '../src/core/strategies/ladder.ts';

/** The planner's ladder gating (features.md D6), pure: the facts in, who gets which step out. */

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 20, 10);

const ladder: Ladder = {
  steps: [
    { channel: 'push', waitHours: 24, minValueCents: 0 },
    { channel: 'sms', waitHours: 48, minValueCents: 10_000 },
    { channel: 'call', waitHours: 24, minValueCents: 100_000 },
  ],
  responseEvents: ['order'],
  doNotDisturbBelowCents: 1_000,
};

describe('firstStepGate', () => {
  it("takes members below the floor or the first step's value out of the campaign's roster bit, in roster order", () => {
    const members = new Map([
      ['other', ['u1', 'u2', 'u3']],
      ['ladder', ['u2', 'u4', 'u1', 'u5']],
    ]);
    const roster = rosterOf(members, new Map());
    const values = new Map([
      ['u1', 5_000],
      ['u2', 999], // below the floor
      ['u4', 1_000], // exactly the floor: disturbed
      // u5: no value known, worth 0
    ]);
    const gate = firstStepGate(roster, 1, 'ladder', ladder, values, NOW);
    expect(gate.skips).toEqual([
      { campaignId: 'ladder', userId: 'u2', reason: 'do_not_disturb' },
      { campaignId: 'ladder', userId: 'u5', reason: 'do_not_disturb' },
    ]);
    expect(gate.indices.map((i) => roster.ids[i])).toEqual(['u2', 'u5']);
    // Non-members of the ladder campaign (u3) are never looked at.
    expect(
      firstStepGate(roster, 1, 'ladder', { ...ladder, doNotDisturbBelowCents: 0 }, values, NOW).skips,
    ).toEqual([]);
  });

  it("a first step dearer than the member is worth: 'not_worth'", () => {
    const roster = rosterOf(new Map([['ladder', ['a', 'b']]]), new Map());
    const dear: Ladder = { ...ladder, steps: [{ channel: 'sms', waitHours: 24, minValueCents: 10_000 }] };
    const gate = firstStepGate(
      roster,
      0,
      'ladder',
      dear,
      new Map([
        ['a', 10_000],
        ['b', 9_999],
      ]),
      NOW,
    );
    expect(gate).toEqual({
      indices: [1],
      skips: [{ campaignId: 'ladder', userId: 'b', reason: 'not_worth' }],
    });
  });
});

describe('followUpSteps', () => {
  const fact = (userId: string, over: Partial<LadderFacts> = {}): LadderFacts => ({
    userId,
    runId: 'run-1',
    lastStep: 0,
    lastSentAt: NOW - 25 * HOUR,
    respondedAt: null,
    valueCents: 50_000,
    left: false,
    ...over,
  });

  it('escalates non-responders worth the next step, grouped by run and step in the order met', () => {
    const d = followUpSteps(
      ladder,
      [
        fact('a'),
        fact('b', { runId: 'run-2' }),
        fact('c'),
        fact('d', { lastStep: 1, lastSentAt: NOW - 49 * HOUR, valueCents: 200_000 }),
      ],
      NOW,
    );
    expect(d.groups).toEqual([
      { runId: 'run-1', step: 1, channel: 'sms', userIds: ['a', 'c'] },
      { runId: 'run-2', step: 1, channel: 'sms', userIds: ['b'] },
      { runId: 'run-1', step: 2, channel: 'call', userIds: ['d'] },
    ]);
    expect(d.waiting).toBe(0);
    expect(d.done).toEqual({});
  });

  it('waits out the step, stops responders, the unworthy, the top of the ladder and those who left', () => {
    const d = followUpSteps(
      ladder,
      [
        fact('waiting', { lastSentAt: NOW - 23 * HOUR }),
        fact('responded', { respondedAt: NOW - 2 * HOUR }),
        fact('cheap', { valueCents: 5_000 }),
        fact('top', { lastStep: 2, lastSentAt: NOW - 25 * HOUR, valueCents: 500_000 }),
        fact('left', { left: true, respondedAt: NOW - HOUR }),
        fact('left2', { left: true }),
        fact('dnd', { valueCents: 10 }),
      ],
      NOW,
    );
    expect(d.groups).toEqual([]);
    expect(d.waiting).toBe(1);
    expect(d.done).toEqual({
      responded: 1,
      not_worth: 1,
      top_of_ladder: 1,
      skipped_by_planner: 2,
      do_not_disturb: 1,
    });
  });
});
