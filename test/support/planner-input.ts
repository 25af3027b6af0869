import type { Channel } from '../../src/core/channels/channels.ts';
import { planSlot } from '../../src/core/planner/plan-slot.ts';
import type {
  PlanCampaign,
  PlannerPolicy,
  PlanResult,
  PlanUser,
  SentBefore,
  SkipReason,
} from '../../src/core/planner/types.ts';

/** Builders for the planner's inputs, with neutral defaults a test overrides field by field. */

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

export const campaign = (id: string, over: Partial<PlanCampaign> = {}): PlanCampaign => ({
  id,
  runId: 'run1',
  step: '0',
  class: 'marketing',
  priority: 50,
  category: 'recall',
  channels: ['push'],
  reEligibilityDays: null,
  holdoutShare: 0,
  variants: [],
  costPerMessage: {},
  budgetRemaining: null,
  department: null,
  outsideWindow: 'hold',
  ...over,
});

export const user = (userId: string, over: Partial<PlanUser> = {}): PlanUser => ({
  userId,
  timezone: 'Asia/Shanghai',
  reachable: { push: true, sms: true, email: true },
  unsubscribed: new Set<Channel>(),
  preferredChannel: null,
  preferredCategory: null,
  ...over,
});

export const policy = (over: Partial<PlannerPolicy> = {}): PlannerPolicy => ({
  caps: [],
  quietHours: null,
  sendWindows: {},
  defaultTimezone: 'Asia/Shanghai',
  maxMarketingPerSlot: 1,
  channelQuota: {},
  departmentBudget: {},
  ...over,
});

export const sent = (
  userId: string,
  campaignId: string,
  at: number,
  channel: Channel = 'push',
  cls: SentBefore['class'] = 'marketing',
): SentBefore => ({ userId, campaignId, channel, class: cls, at });

export interface Scenario {
  slotAt: number;
  campaigns: PlanCampaign[];
  /** Campaign id → member ids. */
  members: Record<string, string[]>;
  users: PlanUser[];
  history?: SentBefore[];
  policy?: PlannerPolicy;
}

export const plan = (s: Scenario): PlanResult => {
  const history = new Map<string, SentBefore[]>();
  for (const h of s.history ?? []) history.set(h.userId, [...(history.get(h.userId) ?? []), h]);
  return planSlot({
    slotAt: s.slotAt,
    campaigns: s.campaigns,
    members: new Map(Object.entries(s.members)),
    users: new Map(s.users.map((u) => [u.userId, u])),
    history,
    policy: s.policy ?? policy(),
  });
};

/** What happened to one member: 'push@<ISO send time>', 'holdout' or the skip reason. */
export type Outcome = `${Channel}@${string}` | 'holdout' | SkipReason | 'absent';

export const outcomeOf = (r: PlanResult, campaignId: string, userId: string): Outcome => {
  const m = r.messages.find((x) => x.campaignId === campaignId && x.userId === userId);
  if (m) return `${m.channel}@${new Date(m.sendAt).toISOString()}`;
  if (r.holdout.some((x) => x.campaignId === campaignId && x.userId === userId)) return 'holdout';
  return r.skipped.find((x) => x.campaignId === campaignId && x.userId === userId)?.reason ?? 'absent';
};

export const iso = (t: number): string => new Date(t).toISOString();
