/**
 * The four uplift segments (features.md B9, issue 21), from a two-model prediction per user:
 * P(outcome | treated) and P(outcome | control), and their difference u, the predicted uplift.
 *
 * - persuadable: u > τ (acts more when reached);
 * - do-not-disturb: u < −τ (acts less when reached);
 * - sure thing: |u| ≤ τ and the user's level m = (P(y|treated) + P(y|control)) / 2 ≥ high
 *   (acts either way);
 * - lost cause: |u| ≤ τ and m < high (does not act either way).
 *
 * The level m agrees with the textbook reading (sure thing: P(y|control) ≥ high; lost cause:
 * P(y|treated) < high) wherever that reading gives one answer; it also settles the users it
 * leaves open, whose two probabilities sit on either side of `high` (both true when
 * P(y|treated) < high ≤ P(y|control), neither when P(y|control) < high ≤ P(y|treated)): within
 * τ of each other, m is within τ/2 of both.
 *
 * Thresholds (defaultSegmentThresholds), from the data the model was trained on:
 * - τ = max(½ · |average uplift|, standard error of the average uplift). Half the average
 *   effect is the bar for "moved enough to matter" on the campaign's own scale (a 4-point
 *   average effect and a 0.4-point one call for different bars, so no absolute figure fits
 *   every test). The floor: an uplift smaller than the test's precision for its average effect
 *   cannot be told from 0 even over all users, so a user is not called moved below it (and an
 *   average uplift near 0 does not shrink τ to nothing).
 * - high = the mean of the two arms' outcome rates: a sure thing is likelier than the average
 *   user to act without being moved, a lost cause less likely. A rate is the scale that fits
 *   both a 2 % conversion and a 60 % visit rate; an absolute bar such as ½ would make nobody a
 *   sure thing on rare outcomes.
 *
 * Honesty: when the test shows no heterogeneity the model could rank beyond noise
 * (`significant` false), every user is "not-ranked": a segment assigned by noise would send
 * or withhold messages at random while claiming a reason.
 */
export type Segment = 'persuadable' | 'sure-thing' | 'lost-cause' | 'do-not-disturb';
export type SegmentLabel = Segment | 'not-ranked';

export const SEGMENT_LABELS: readonly SegmentLabel[] = [
  'persuadable',
  'sure-thing',
  'lost-cause',
  'do-not-disturb',
  'not-ranked',
];

export interface SegmentThresholds {
  /** |predicted uplift| ≤ tau is "not moved". */
  readonly tau: number;
  /** The level (mean of the two arms' probabilities) from which a not-moved user is a sure thing. */
  readonly high: number;
}

export const SEGMENT_RULE =
  'persuadable: uplift > τ; do-not-disturb: uplift < −τ; otherwise sure thing when (P(y|treated) + P(y|control))/2 ≥ high, else lost cause. ' +
  'τ = max(½·|average uplift|, its standard error) and high = the mean of the arms’ outcome rates, both on the training half; ' +
  'every user is not ranked when the test shows no uplift the model can rank beyond noise';

/** The arms of a randomised test as counts: users and users with the outcome. */
export interface ArmTotals {
  readonly rows: number;
  readonly outcomes: number;
}

export const defaultSegmentThresholds = (treated: ArmTotals, control: ArmTotals): SegmentThresholds => {
  if (treated.rows === 0 || control.rows === 0) throw new Error('segment thresholds need both arms');
  const pT = treated.outcomes / treated.rows;
  const pC = control.outcomes / control.rows;
  const se = Math.sqrt((pT * (1 - pT)) / treated.rows + (pC * (1 - pC)) / control.rows);
  return { tau: Math.max(Math.abs(pT - pC) / 2, se), high: (pT + pC) / 2 };
};

export const segmentOf = (pTreated: number, pControl: number, t: SegmentThresholds): Segment => {
  const u = pTreated - pControl;
  if (u > t.tau) return 'persuadable';
  if (u < -t.tau) return 'do-not-disturb';
  return (pTreated + pControl) / 2 >= t.high ? 'sure-thing' : 'lost-cause';
};

export type SegmentCounts = Record<SegmentLabel, number>;

export interface SegmentAssignment {
  readonly labels: SegmentLabel[];
  readonly counts: SegmentCounts;
}

/** Every user's segment, or "not-ranked" for all when `ranked` is false; with the counts. */
export const assignSegments = (
  pTreated: ArrayLike<number>,
  pControl: ArrayLike<number>,
  t: SegmentThresholds,
  ranked: boolean,
): SegmentAssignment => {
  if (pTreated.length !== pControl.length)
    throw new Error(`${pTreated.length} treated probabilities for ${pControl.length} control ones`);
  const counts: SegmentCounts = {
    persuadable: 0,
    'sure-thing': 0,
    'lost-cause': 0,
    'do-not-disturb': 0,
    'not-ranked': 0,
  };
  const labels: SegmentLabel[] = [];
  for (let i = 0; i < pTreated.length; i++) {
    const s: SegmentLabel = ranked
      ? segmentOf(pTreated[i] as number, pControl[i] as number, t)
      : 'not-ranked';
    labels.push(s);
    counts[s]++;
  }
  return { labels, counts };
};
