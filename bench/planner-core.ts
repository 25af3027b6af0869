import { pathToFileURL } from 'node:url';
import type { Channel } from '../src/core/channels/channels.ts';
import { Rng } from '../src/core/demo/prng.ts';
import { planSlot } from '../src/core/planner/plan-slot.ts';
import type { PlanCampaign, PlanInput, PlanUser, SentBefore } from '../src/core/planner/types.ts';
import { machineDescription } from './machine.ts';
import { DEFAULT_POLICY } from '../src/core/campaigns/policy-schema.ts';

/**
 * The pure planner on a large slot: N synthetic users (default 1 M) in eight time zones (DST and
 * half-hour ones among them), three competing marketing campaigns (two of equal priority, so
 * user-by-user conflict resolution runs), the default caps (1 a day, 3 a week, SMS 2 a week,
 * calls 1 a month), quiet hours 22:00–08:00, call windows, holdouts, A/B variants, a campaign
 * budget and an SMS quota that run short, and a send history for 40 % of the users. Prints the
 * time of `planSlot` alone (the inputs are built before the clock starts).
 *
 *   node --import tsx bench/planner-core.ts            # 1 000 000 users
 *   BENCH_USERS=200000 node --import tsx bench/planner-core.ts
 */

const DAY = 86_400_000;
const ZONES: (string | null)[] = [
  'Asia/Shanghai',
  'Asia/Shanghai',
  'Asia/Shanghai',
  null,
  'America/New_York',
  'Europe/London',
  'Asia/Kolkata',
  'Australia/Adelaide',
  'America/Los_Angeles',
  'Asia/Kathmandu',
  'Europe/Berlin',
];
const CHANNELS_USED: Channel[] = ['push', 'sms', 'email', 'in_app'];

export interface PlannerCoreBench {
  users: number;
  memberships: number;
  planSeconds: number;
  messages: number;
  holdout: number;
  skipped: number;
  skipReasons: Record<string, number>;
}

const campaign = (over: Partial<PlanCampaign> & { id: string }): PlanCampaign => ({
  runId: `${over.id}@slot`,
  step: '0',
  class: 'marketing',
  priority: 50,
  category: 'recall',
  channels: ['push'],
  reEligibilityDays: null,
  holdoutShare: 0.1,
  variants: [],
  costPerMessage: {},
  budgetRemaining: null,
  department: null,
  outsideWindow: 'hold',
  ...over,
});

export const plannerCoreInput = (n: number, slotAt: number): PlanInput => {
  const rng = new Rng(2026, 5);
  const campaigns = [
    campaign({
      id: 'winback-sms',
      priority: 80,
      channels: ['sms', 'push'],
      reEligibilityDays: 7,
      variants: [
        { id: 'coupon', weight: 1 },
        { id: 'points', weight: 1 },
      ],
      costPerMessage: { sms: 5 },
      budgetRemaining: 5 * Math.round(n * 0.2),
      department: 'growth',
    }),
    campaign({
      id: 'new-arrivals',
      channels: ['push', 'email', 'in_app'],
      category: 'promotion',
      holdoutShare: 0.05,
      variants: [
        { id: 'a', weight: 2 },
        { id: 'b', weight: 1 },
        { id: 'c', weight: 1 },
      ],
      costPerMessage: { email: 1 },
      department: 'merch',
    }),
    campaign({
      id: 'silent-nudge',
      channels: ['push', 'sms', 'call'],
      reEligibilityDays: 14,
      costPerMessage: { sms: 5, call: 80 },
      department: 'growth',
      outsideWindow: 'drop',
    }),
  ];
  const share = [0.7, 0.8, 0.6];
  const members = campaigns.map(() => [] as string[]);
  const users = new Map<string, PlanUser>();
  const history = new Map<string, SentBefore[]>();
  const none: ReadonlySet<Channel> = new Set();
  const smsOut: ReadonlySet<Channel> = new Set(['sms']);
  for (let i = 0; i < n; i++) {
    const userId = `u${String(i).padStart(7, '0')}`;
    const unsubscribed = rng.chance(0.01) ? 'all' : rng.chance(0.03) ? smsOut : none;
    users.set(userId, {
      userId,
      timezone: ZONES[rng.int(ZONES.length)] ?? null,
      reachable: {
        push: rng.chance(0.8),
        sms: rng.chance(0.6),
        email: rng.chance(0.4),
        in_app: true,
        call: rng.chance(0.3),
      },
      unsubscribed,
      preferredChannel: rng.chance(0.2) ? (CHANNELS_USED[rng.int(CHANNELS_USED.length)] ?? null) : null,
      preferredCategory: rng.chance(0.2) ? 'promotion' : null,
    });
    campaigns.forEach((c, k) => {
      if (rng.chance(share[k] ?? 0)) members[k]?.push(userId);
    });
    if (rng.chance(0.4)) {
      const sent: SentBefore[] = [];
      for (let m = 1 + rng.int(3); m > 0; m--) {
        const c = campaigns[rng.int(campaigns.length)] as PlanCampaign;
        sent.push({
          userId,
          campaignId: c.id,
          channel: CHANNELS_USED[rng.int(2)] as Channel,
          class: 'marketing',
          at: slotAt - rng.range(0.2, 10) * DAY,
        });
      }
      history.set(userId, sent);
    }
  }
  return {
    slotAt,
    campaigns,
    members: new Map(campaigns.map((c, k) => [c.id, members[k] ?? []])),
    users,
    history,
    policy: {
      ...DEFAULT_POLICY,
      channelQuota: { sms: Math.round(n * 0.25) },
      departmentBudget: { growth: 5 * Math.round(n * 0.22), merch: Math.round(n * 0.1) },
    },
  };
};

export const benchPlannerCore = (n: number): PlannerCoreBench => {
  // 20:00 in Shanghai, 07:00 in New York (held to 08:00), 17:30 in Kolkata.
  const slotAt = Date.UTC(2026, 10, 20, 12);
  const input = plannerCoreInput(n, slotAt);
  const t = performance.now();
  const result = planSlot(input);
  const planSeconds = (performance.now() - t) / 1000;
  const skipReasons: Record<string, number> = {};
  for (const s of result.skipped) skipReasons[s.reason] = (skipReasons[s.reason] ?? 0) + 1;
  return {
    users: n,
    memberships: [...(input.members as ReadonlyMap<string, readonly string[]>).values()].reduce(
      (s, m) => s + m.length,
      0,
    ),
    planSeconds,
    messages: result.messages.length,
    holdout: result.holdout.length,
    skipped: result.skipped.length,
    skipReasons,
  };
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const n = Number(process.env['BENCH_USERS'] ?? 1_000_000);
  process.stderr.write(`${machineDescription()}\n`);
  process.stdout.write(`${JSON.stringify(benchPlannerCore(n), null, 2)}\n`);
}
