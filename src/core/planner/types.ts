import type { Cents, Channel, MessageClass } from '../channels/channels.ts';
import type { PlanStrategy } from './strategy-gate.ts';

/**
 * The planner's inputs and output (features.md E1–E5, DESIGN principle 3). The shell (src/planner/)
 * reads them from the stores; `planSlot` decides; the shell writes the outbox. Instants are
 * epoch milliseconds (UTC); money is integer cents. See docs/planner.md for the rules.
 */

export interface PlanCampaign {
  id: string;
  runId: string;
  step: string;
  /** Transactional messages bypass caps, re-eligibility, quiet hours, send windows, conflicts and opt-outs. */
  class: MessageClass;
  /** Higher wins a same-slot conflict. */
  priority: number;
  /** e.g. 'recall', 'promotion'; matched against the user's preferred category in a conflict. */
  category: string;
  /** Allowed channels, the campaign's order of preference. */
  channels: Channel[];
  /** At most one message of this campaign per user in any N days (E2); null: no limit. */
  reEligibilityDays: number | null;
  /** 0 ≤ share ≤ 0.5 of eligible users held out (recorded, not sent). */
  holdoutShare: number;
  /**
   * A/B variants with positive weights; [] = no test. A variant with `channels` sends only on
   * those (in that order): a channel test, e.g. SMS against push for the same audience. A
   * variant with `offerCents` reserves its own offer instead of the campaign's (an offer test;
   * 0: no offer), `offerKind` its kind; absent: the campaign's `offerCents`.
   */
  variants: {
    id: string;
    weight: number;
    channels?: Channel[] | undefined;
    offerCents?: Cents | ReadonlyMap<string, Cents> | undefined;
    offerKind?: 'coupon' | 'red_packet' | 'points' | undefined;
  }[];
  /** Cost of one message per channel; a channel not listed costs nothing. */
  costPerMessage: Partial<Record<Channel, Cents>>;
  /**
   * What the campaign's offer costs for each user, reserved in the budgets with the message (the
   * user's own amount, known at plan time): one amount for everyone, or per user id (a user not
   * listed gets no offer, 0). Absent: no offer.
   */
  offerCents?: Cents | ReadonlyMap<string, Cents>;
  /** The offer's kind, for skip details. */
  offerKind?: 'coupon' | 'red_packet' | 'points';
  /** Cents the campaign may still spend; null = no budget. */
  budgetRemaining: Cents | null;
  department: string | null;
  /** Outside quiet hours / send windows: hold to the next allowed local time, or drop. */
  outsideWindow: 'hold' | 'drop';
}

export interface PlanUser {
  userId: string;
  /** IANA time zone; null (or a name Intl does not know) → policy.defaultTimezone. */
  timezone: string | null;
  /** Has a contact or token AND consent on the channel. */
  reachable: Partial<Record<Channel, boolean>>;
  /** Opt-outs (marketing): some channels, or all of them. */
  unsubscribed: ReadonlySet<Channel> | 'all';
  preferredChannel: Channel | null;
  preferredCategory: string | null;
}

/**
 * Profiles as columns: what the shell reads for a large slot, without an object per user. Codes
 * index small dictionaries, so a million users cost a few typed arrays and their ids.
 */
export interface ProfileColumns {
  ids: readonly string[];
  /** Bit i set: CHANNELS[i] has a contact or token and consent. */
  reach: Uint8Array;
  /** Bit i set: opted out of CHANNELS[i] (marketing). */
  optOut: Uint8Array;
  /** Index in CHANNELS of the preferred channel; -1: none. */
  preferred: Int8Array;
  /** Index in `categories` of the preferred category; -1: none. */
  category: Int16Array;
  categories: readonly string[];
  /** Index in `timezones` of the IANA time zone; -1: none (the policy's default). */
  timezone: Int16Array;
  timezones: readonly string[];
}

/**
 * The slot's members as the shell reads a large slot from the warehouse: each distinct user once,
 * the campaigns listing them as bits, their profile in the same row. A million members then cost
 * a million ids, not a list per campaign plus the profiles' ids, and no join of the two.
 */
export interface Roster {
  /**
   * The campaigns the bits stand for: campaignIds[31 w + b] is bit b of words[w]. Bits of a
   * campaign the slot does not plan (another run took it meanwhile) are ignored.
   */
  campaignIds: readonly string[];
  /** Distinct user ids. */
  ids: readonly string[];
  /** words[w][i], bit b set: user i is a member of campaignIds[31 w + b]. */
  words: readonly Int32Array[];
  /** 1 when user i has a profile: row i of `profiles` (whose ids are these ids). */
  hasProfile: Uint8Array;
  profiles: ProfileColumns;
}

/** Bits of a Roster word (31: the words are signed 32-bit integers as DuckDB returns them). */
export const ROSTER_WORD_BITS = 31;

/** A message already sent or planned (the outbox), counted by the caps and re-eligibility. */
export interface SentBefore {
  userId: string;
  campaignId: string;
  channel: Channel;
  class: MessageClass;
  /** Its send instant (sendAt for a planned one). */
  at: number;
}

export type CapWindow =
  { kind: 'rolling'; hours: number } | { kind: 'calendar'; unit: 'day' | 'week' | 'month' };

export interface CapRule {
  /** Every message, or those of one channel. */
  scope: 'total' | Channel;
  max: number;
  /** Calendar windows are in the user's time zone; weeks start on Monday. */
  window: CapWindow;
}

/** A local time range 'HH:MM'–'HH:MM', start inclusive, end exclusive; may wrap midnight. */
export interface LocalRange {
  start: string;
  end: string;
}

export interface PlannerPolicy {
  caps: CapRule[];
  /** No marketing sends in this local range; null: none. */
  quietHours: LocalRange | null;
  /** Per channel, the local times it may send in; a channel not listed may send at any time. */
  sendWindows: Partial<Record<Channel, LocalRange[]>>;
  defaultTimezone: string;
  /** Marketing messages one user may get from one slot (usually 1, E3). */
  maxMarketingPerSlot: number;
  /** Messages left per channel (SMS packages); a channel not listed has no quota. */
  channelQuota: Partial<Record<Channel, number>>;
  /** Cents left per department; a department not listed has no budget. */
  departmentBudget: Record<string, Cents>;
  /**
   * Share of all users kept out of every marketing campaign (features.md G3, the global control group):
   * 0, or 0.01–0.15; absent: 0. A stable hash of the user alone decides, so the same users are
   * out of every campaign and every slot.
   */
  globalControlShare?: number;
  /**
   * Marketing messages held by quiet hours / send windows are spread over this many minutes from
   * the first allowed one (a stable hash of the user picks the minute) instead of all at its
   * start; absent or 0: no spreading (spreading.ts).
   */
  quietSpreadMinutes?: number;
  /**
   * No two marketing messages to one user closer than this, across campaigns and slots: a later
   * one is deferred (a 'hold' campaign) or skipped 'min_gap'; absent or 0: no gap.
   */
  marketingGapHours?: number;
}

/** Channels a user cannot be reached on for a reason the shell knows (region, caller numbers): channel → why. */
export type ChannelBlocks = Partial<Record<Channel, string>>;

export interface PlanInput {
  /** The slot's instant (the injected clock). */
  slotAt: number;
  campaigns: PlanCampaign[];
  /** Campaign id → its snapshot's members (user ids; a repeated id counts once); or a Roster. */
  members: ReadonlyMap<string, readonly string[]> | Roster;
  /**
   * A member without a profile is skipped 'no_profile'. Null with a Roster, which holds the
   * profiles itself.
   */
  users: ReadonlyMap<string, PlanUser> | ProfileColumns | null;
  /** User id → messages already sent or planned (any class, any campaign). */
  history: ReadonlyMap<string, readonly SentBefore[]>;
  policy: PlannerPolicy;
  /** Per user: channels that cannot reach them (skipped 'unreachable' with the reason; the next channel is tried). */
  channelBlocks?: ReadonlyMap<string, ChannelBlocks>;
  /** Channels that reach nobody now (e.g. no healthy caller number for calls), with the reason. */
  channelsDown?: ChannelBlocks;
  /** The strategy matrix's decisions (strategy-gate.ts); absent: it keeps nobody out. */
  strategy?: PlanStrategy;
}

export interface PlannedMessage {
  campaignId: string;
  runId: string;
  step: string;
  userId: string;
  channel: Channel;
  variant: string | null;
  sendAt: number;
  /** The message's price; the offer reserved with it is not in it (`PlanResult.spend` has both). */
  costCents: Cents;
  /** `${campaignId}:${runId}:${step}:${userId}` */
  idempotencyKey: string;
}

/** Why a member gets no message, in the order the rules apply. */
export const SKIP_REASONS = [
  'no_profile',
  'strategy_matrix',
  'unreachable',
  'unsubscribed',
  'cap_total',
  'cap_channel',
  're_eligibility',
  'quiet_hours',
  'send_window',
  'min_gap',
  'conflict',
  'campaign_budget',
  'department_budget',
  'channel_quota',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export interface Skipped {
  campaignId: string;
  userId: string;
  reason: SkipReason;
  /** Which rule and channel, in words; null where the reason says it all. */
  detail: string | null;
}

export interface PlanResult {
  messages: PlannedMessage[];
  /**
   * Eligible members held out: recorded, not sent, no budget, no cap. `reason` 'global_control':
   * in the workspace's global control group; absent: the campaign's own holdout.
   */
  holdout: { campaignId: string; userId: string; reason?: 'global_control' }[];
  skipped: Skipped[];
  /** Campaign id → cents reserved: messages' prices plus their users' offers (every campaign of the input). */
  spend: Record<string, Cents>;
  /** Department → cents planned (every department of the input's campaigns). */
  departmentSpend: Record<string, Cents>;
  /** Channel → messages planned on it, for the channels that have a quota. */
  quotaUse: Partial<Record<Channel, number>>;
}
