import { hashString, mix, unitInterval } from './hash.ts';

/**
 * Holdout and A/B assignment (features.md G3, G4): a stable hash of (campaign id, user id) only, so a
 * user stays in the same group across runs of a campaign, whatever other campaigns or users the
 * slot holds. Holdout and variant draws use different salts, so they are independent: the
 * variant split is the same among held-out and treated users.
 */

export interface Assignment {
  holdoutShare: number;
  /** hashString('holdout:<campaign id>') */
  holdoutSalt: number;
  /** hashString('variant:<campaign id>') */
  variantSalt: number;
  /** Variant ids in id order, so the split does not depend on the order they were listed in. */
  variantIds: string[];
  /** Cumulative weights in the same order; the last is the total. */
  cumulative: Float64Array;
}

export const assignmentOf = (
  campaignId: string,
  holdoutShare: number,
  variants: readonly { id: string; weight: number }[],
): Assignment => {
  const sorted = [...variants].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const cumulative = new Float64Array(sorted.length);
  let run = 0;
  sorted.forEach((v, i) => {
    run += v.weight;
    cumulative[i] = run;
  });
  return {
    holdoutShare,
    holdoutSalt: hashString(`holdout:${campaignId}`),
    variantSalt: hashString(`variant:${campaignId}`),
    variantIds: sorted.map((v) => v.id),
    cumulative,
  };
};

/** Held out when the (campaign, user) draw, read as a number in [0, 1), falls below the share. */
export const isHeldOut = (a: Assignment, userHash: number): boolean =>
  a.holdoutShare > 0 && unitInterval(mix(userHash, a.holdoutSalt)) < a.holdoutShare;

export const GLOBAL_CONTROL_SALT = hashString('global-control');

/**
 * In the global control group (features.md G3): a draw of the user alone, independent of every
 * campaign's holdout and variant draws (different salts).
 */
export const inGlobalControl = (share: number, userHash: number): boolean =>
  share > 0 && unitInterval(mix(userHash, GLOBAL_CONTROL_SALT)) < share;

/** Index (in `variantIds`) of the variant whose slice holds the user's draw; -1 without a test. */
export const variantIndexOf = (a: Assignment, userHash: number): number => {
  const n = a.variantIds.length;
  if (n === 0) return -1;
  const u = unitInterval(mix(userHash, a.variantSalt)) * (a.cumulative[n - 1] as number);
  for (let i = 0; i < n - 1; i++) if (u < (a.cumulative[i] as number)) return i;
  return n - 1;
};

/** The variant whose slice of the cumulative weights holds the user's draw; null without a test. */
export const variantOf = (a: Assignment, userHash: number): string | null =>
  a.variantIds[variantIndexOf(a, userHash)] ?? null;
