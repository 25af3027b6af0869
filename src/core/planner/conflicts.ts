import type { PlanCampaign } from './types.ts';

/**
 * Same-slot conflicts (features.md E3). Campaigns are planned in precedence order — transactional ones
 * first (they bypass conflicts but count in the caps, so marketing messages must see them), then
 * higher priority first — and a user whose slot already holds `maxMarketingPerSlot` marketing
 * messages is skipped by the campaigns after. Campaigns of equal class and priority form a tier,
 * planned user by user: for each user, a campaign that can use their preferred channel goes
 * first, then one in their preferred category, then the lower hash of (campaign, user) — so
 * neither of two equal campaigns wins every tie — then the lower id.
 */

const byId = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Precedence: transactional before marketing, higher priority first, then campaign id. */
export const comparePrecedence = (a: PlanCampaign, b: PlanCampaign): number =>
  (a.class === b.class ? 0 : a.class === 'transactional' ? -1 : 1) ||
  b.priority - a.priority ||
  byId(a.id, b.id);

/** Runs [from, to) of campaigns (already in precedence order) with equal class and priority. */
export const tiersOf = (sorted: readonly PlanCampaign[]): [number, number][] => {
  const tiers: [number, number][] = [];
  let from = 0;
  for (let k = 1; k <= sorted.length; k++) {
    const a = sorted[from] as PlanCampaign;
    const b = sorted[k];
    if (b === undefined || b.class !== a.class || b.priority !== a.priority) {
      tiers.push([from, k]);
      from = k;
    }
  }
  return tiers;
};

/** 2 when the campaign can reach the user on their preferred channel, plus 1 when it is in their preferred category. */
export const preferenceScore = (reachesPreferredChannel: boolean, inPreferredCategory: boolean): number =>
  (reachesPreferredChannel ? 2 : 0) + (inPreferredCategory ? 1 : 0);

/** Whether contender i goes before contender j (see orderContenders). */
const goesBefore = (
  i: number,
  j: number,
  group: number[],
  score: number[],
  tie: number[],
  ids: readonly string[],
) =>
  ((score[i] as number) - (score[j] as number) ||
    (tie[j] as number) - (tie[i] as number) ||
    byId(ids[group[j] as number] as string, ids[group[i] as number] as string)) > 0;

const swap = (a: number[], i: number, j: number): void => {
  const t = a[i] as number;
  a[i] = a[j] as number;
  a[j] = t;
};

/**
 * Orders one user's campaigns of a tier — the first `n` of `group` — in place (an insertion sort:
 * a user is in a few campaigns): higher score first, then lower tie hash, then lower id.
 * `score[i]` and `tie[i]` belong to `group[i]` and move with it; `ids` is by campaign index.
 */
export const orderContenders = (
  n: number,
  group: number[],
  score: number[],
  tie: number[],
  ids: readonly string[],
): void => {
  for (let i = 1; i < n; i++)
    for (let j = i; j > 0 && goesBefore(j, j - 1, group, score, tie, ids); j--) {
      swap(group, j, j - 1);
      swap(score, j, j - 1);
      swap(tie, j, j - 1);
    }
};
