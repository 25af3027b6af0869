/**
 * A funnel an operator can read: each stage with its count, the share of the stage before it
 * and the share of the first stage (null where the stage before had none).
 */

export interface FunnelStage {
  key: string;
  label: string;
  count: number;
  /** count / the previous stage's count; null for the first stage or after an empty one. */
  stepRate: number | null;
  /** count / the first stage's count; null when the first stage is empty. */
  overallRate: number | null;
}

export const funnelStages = (
  steps: readonly { key: string; label: string; count: number }[],
): FunnelStage[] => {
  const first = steps[0]?.count ?? 0;
  return steps.map((s, i) => {
    const before = i === 0 ? null : (steps[i - 1]?.count ?? 0);
    return {
      ...s,
      stepRate: before === null || before <= 0 ? null : s.count / before,
      overallRate: first > 0 ? s.count / first : null,
    };
  });
};
