import type { Interval } from '../core/stats/index.ts';
import type { Comparison } from './groups.ts';

/**
 * Incremental ROI (issue 18): the attributed ROI, (revenue − cost) / cost, counts every order a
 * recipient made in the window, including the ones they would have made anyway. The holdout says
 * how many that is: the revenue per user of the treated group minus that of the holdout is what
 * the campaign added per user, and times the treated users what it added in all. Its interval is
 * the bootstrap interval of the revenue-per-user lift scaled the same way (the cost is known, so
 * the ROI's interval is the revenue's, shifted and divided). Money in fen.
 */

export interface IncrementalRoi {
  /** Users sent a message (the lift report's treatment group). */
  treatedUsers: number;
  /** Users held out (not sent), the comparison group. */
  holdoutUsers: number;
  /** Yuan per user: treated revenue per user − holdout revenue per user. */
  revenuePerUserLift: number;
  revenuePerUserCi: Interval;
  /** revenuePerUserLift × treatedUsers, in fen. */
  incrementalRevenueCents: number;
  incrementalRevenueCiCents: Interval;
  /** What the campaign spent, in fen (the stats' total). */
  costCents: number;
  /** (incremental revenue − cost) / cost; null without cost. */
  roi: number | null;
  roiCi: Interval | null;
}

const cents = (yuan: number): number => Math.round(yuan * 100);

/** The incremental view of a campaign's money; null without a holdout to compare with. */
export const incrementalRoi = (
  vsHoldout: Pick<Comparison, 'revenuePerUserLift' | 'revenuePerUserCi'> | null,
  groups: { treatedUsers: number; holdoutUsers: number },
  costCents: number,
): IncrementalRoi | null => {
  if (vsHoldout === null || groups.treatedUsers === 0 || groups.holdoutUsers === 0) return null;
  const n = groups.treatedUsers;
  const revenue = cents(vsHoldout.revenuePerUserLift * n);
  const low = cents(vsHoldout.revenuePerUserCi.low * n);
  const high = cents(vsHoldout.revenuePerUserCi.high * n);
  const roiOf = (r: number) => (r - costCents) / costCents;
  return {
    treatedUsers: n,
    holdoutUsers: groups.holdoutUsers,
    revenuePerUserLift: vsHoldout.revenuePerUserLift,
    revenuePerUserCi: vsHoldout.revenuePerUserCi,
    incrementalRevenueCents: revenue,
    incrementalRevenueCiCents: { low, high },
    costCents,
    roi: costCents > 0 ? roiOf(revenue) : null,
    roiCi: costCents > 0 ? { low: roiOf(low), high: roiOf(high) } : null,
  };
};
