import { isChannel } from '../channels/channels.ts';
import { isRoster } from './roster.ts';
import { ROSTER_WORD_BITS, type PlanInput } from './types.ts';

/**
 * The planner's invariants on its input. The shell builds the input from validated campaigns and
 * policies, so a violation is a bug upstream: it throws, naming the record and the field, before
 * anything is planned. (Budgets, costs, caps and local times are checked where they are read.)
 */
export const checkPlanInput = (input: PlanInput): void => {
  if (!Number.isFinite(input.slotAt)) throw new Error(`slotAt: expected an instant, got ${input.slotAt}`);
  const ids = new Set<string>();
  for (const c of input.campaigns) {
    const where = `campaign ${c.id}`;
    if (ids.has(c.id)) throw new Error(`${where}: listed twice`);
    ids.add(c.id);
    if (c.class !== 'marketing' && c.class !== 'transactional')
      throw new Error(`${where}: class must be 'marketing' or 'transactional', got '${String(c.class)}'`);
    if (!Number.isFinite(c.priority))
      throw new Error(`${where}: priority must be a number, got ${c.priority}`);
    if (c.channels.length === 0) throw new Error(`${where}: channels must name at least one channel`);
    for (const ch of c.channels)
      if (!isChannel(ch)) throw new Error(`${where}: '${String(ch)}' is not a channel`);
    if (!(c.holdoutShare >= 0 && c.holdoutShare <= 0.5))
      throw new Error(`${where}: holdoutShare must be within [0, 0.5], got ${c.holdoutShare}`);
    if (c.reEligibilityDays !== null && !(c.reEligibilityDays >= 0 && Number.isFinite(c.reEligibilityDays)))
      throw new Error(`${where}: reEligibilityDays must be null or ≥ 0, got ${c.reEligibilityDays}`);
    if (c.outsideWindow !== 'hold' && c.outsideWindow !== 'drop')
      throw new Error(`${where}: outsideWindow must be 'hold' or 'drop', got '${String(c.outsideWindow)}'`);
    const variants = new Set<string>();
    for (const v of c.variants) {
      if (variants.has(v.id)) throw new Error(`${where}: variant '${v.id}' listed twice`);
      variants.add(v.id);
      if (!(v.weight > 0 && Number.isFinite(v.weight)))
        throw new Error(`${where}: variant '${v.id}' weight must be positive, got ${v.weight}`);
    }
  }
  if (!isRoster(input.members)) {
    if (input.users === null) throw new Error('users: required with members as lists');
    for (const id of input.members.keys())
      if (!ids.has(id)) throw new Error(`members: campaign ${id} is not among the campaigns`);
  } else {
    const r = input.members;
    if (input.users !== null) throw new Error('users: must be null with a roster (it holds the profiles)');
    const words = Math.ceil(r.campaignIds.length / ROSTER_WORD_BITS);
    if (r.words.length !== words) throw new Error(`roster: expected ${words} words, got ${r.words.length}`);
    const n = r.ids.length;
    if (r.hasProfile.length !== n || r.profiles.ids.length !== n || r.words.some((w) => w.length !== n))
      throw new Error(`roster: every column must have ${n} rows`);
  }
  const max = input.policy.maxMarketingPerSlot;
  if (!Number.isInteger(max) || max < 0)
    throw new Error(`policy.maxMarketingPerSlot: expected an integer ≥ 0, got ${max}`);
  const share = input.policy.globalControlShare ?? 0;
  if (!(share === 0 || (share >= 0.01 && share <= 0.15)))
    throw new Error(`policy.globalControlShare: expected 0 or 0.01–0.15, got ${share}`);
};
