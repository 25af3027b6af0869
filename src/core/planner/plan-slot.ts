import { CHANNELS, type Channel } from '../channels/channels.ts';
import { assignmentOf, inGlobalControl, isHeldOut, variantIndexOf, type Assignment } from './assignment.ts';
import { Ledger } from './budget.ts';
import {
  capAllows,
  capsOnChannel,
  prepareCap,
  ZonePeriods,
  type PreparedCap,
  type UserMessages,
} from './caps.ts';
import { checkPlanInput } from './check-input.ts';
import { SkipLog, withSkipLog } from './skip-log.ts';
import { StrategyGate } from './strategy-gate.ts';
import { comparePrecedence, orderContenders, preferenceScore, tiersOf } from './conflicts.ts';
import { channelOrders, reachBlock, reEligible } from './eligibility.ts';
import { hashString, mix } from './hash.ts';
import {
  blockAt,
  describeRanges,
  localWindows,
  nextAllowed,
  type LocalWindows,
  type TimingBlock,
} from './local-windows.ts';
import { indexMembers, type Memberships, type Users } from './members.ts';
import { ALL_CHANNELS, isProfileColumns, profileColumnsOf } from './profile-columns.ts';
import { localMinuteOfDay, MINUTE_MS, ZoneBook, type Zone } from './time-zones.ts';
import { allowedRun, nearestWithinGap, spreadMinute } from './spreading.ts';
import {
  SKIP_REASONS,
  type ChannelBlocks,
  type PlanCampaign,
  type PlanInput,
  type PlannedMessage,
  type PlanResult,
  type SkipReason,
} from './types.ts';
import { DAY_MS } from '../time/units.ts';

/**
 * The planner's pass over one slot (features.md E1–E5, DESIGN principle 3): every due campaign
 * together, deterministic, no I/O. The rules, in the order they apply — a member stopped by
 * several is reported with the first, and across channels with the one that got furthest:
 *
 *   snapshot members − no profile − unreachable / opted out (per channel) − caps (history and
 *   this slot, at the send instant) − re-eligibility − quiet hours / send windows (hold or drop)
 *   − same-slot conflicts → holdout → campaign budget, department budget, channel quota
 *   (reserved message by message) → A/B variant → message
 *
 * Campaigns are planned in precedence order (conflicts.ts), a tier's members in the order of a
 * hash of (slot, user) (members.ts), so the output depends on what the input holds, never on
 * the order it holds it in. Every member of every campaign ends in exactly one of messages /
 * holdout / skipped. Transactional campaigns skip the caps, re-eligibility, quiet hours, send
 * windows, conflicts and opt-outs, but need a reachable channel and must fit their budgets; their
 * messages count in the caps of the marketing messages planned after them. See docs/planner.md.
 */

/** A campaign with what the pass reads per member computed once. */
interface Prepared {
  c: PlanCampaign;
  marketing: boolean;
  /** Channel indices to try, by the user's preferred channel index + 1 (eligibility.ts). */
  orders: number[][];
  /** Per variant (in `assignment.variantIds` order): its own orders for a channel test, else null. */
  variantOrders: (number[][] | null)[];
  /** Cost per channel index. */
  cost: number[];
  /** The offer reserved with each message: one amount, or per user id (absent: 0). */
  offer: number | ReadonlyMap<string, number>;
  /** Per variant (in `assignment.variantIds` order): its own offer (an offer test), else null: the campaign's. */
  variantOffers: (number | ReadonlyMap<string, number> | null)[];
  /** Per variant, the kind of its own offer (skip details); undefined: none or the campaign's. */
  variantOfferKinds: ('coupon' | 'red_packet' | 'points' | undefined)[];
  reEligibilityMs: number;
  assignment: Assignment;
  /** hashString('conflict:<id>'): the per-user tie-break between equal campaigns. */
  conflictSalt: number;
  keyPrefix: string;
  /** Index of the campaign's category in the pass's list. */
  category: number;
  /** Index of the campaign in the pass's (precedence) order. */
  index: number;
  unreachable: string;
  reEligibility: string;
}

/** The slot as one time zone sees it, shared by all the zone's users. */
interface ZoneSlot {
  zone: Zone;
  periods: ZonePeriods;
  /** Local minute of the day at the slot instant. */
  minute: number;
  /** Per channel index: what blocks a marketing send at the slot minute. */
  block: (TimingBlock | null)[];
  /** Per channel index: first allowed instant from the slot on; null: never; undefined: not asked yet. */
  held: (number | null | undefined)[];
  /** Per channel index: minutes a held message may be spread over from `held` (spreading.ts). */
  heldRun: (number | undefined)[];
  /** Per channel index: the skip detail for a send it blocks. */
  timingDetail: string[];
}

/** Reasons travel through the pass as their index in SKIP_REASONS: the higher, the further a member got. */
const code = (r: SkipReason): number => SKIP_REASONS.indexOf(r);
const PASS = -1;
const NO_PROFILE = code('no_profile');
const STRATEGY_MATRIX = code('strategy_matrix');
const UNREACHABLE = code('unreachable');
const UNSUBSCRIBED = code('unsubscribed');
const CAP_TOTAL = code('cap_total');
const CAP_CHANNEL = code('cap_channel');
const RE_ELIGIBILITY = code('re_eligibility');
const QUIET_HOURS = code('quiet_hours');
const SEND_WINDOW = code('send_window');
const CONFLICT = code('conflict');
const MIN_GAP = code('min_gap');
/** A message kept apart from another marketing message is deferred at most this far past the slot. */
const MAX_GAP_DEFER_MS = 2 * DAY_MS;
const hhmm = (m: number) =>
  `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

const prepare = (c: PlanCampaign): Prepared => {
  const days = c.reEligibilityDays ?? 0;
  return {
    c,
    marketing: c.class === 'marketing',
    orders: channelOrders(c.channels),
    variantOrders: assignmentOf(c.id, c.holdoutShare, c.variants).variantIds.map((id) => {
      const own = c.variants.find((v) => v.id === id)?.channels;
      return own && own.length > 0 ? channelOrders(own) : null;
    }),
    cost: CHANNELS.map((ch) => c.costPerMessage[ch] ?? 0),
    offer: c.offerCents ?? 0,
    variantOffers: assignmentOf(c.id, c.holdoutShare, c.variants).variantIds.map(
      (id) => c.variants.find((v) => v.id === id)?.offerCents ?? null,
    ),
    variantOfferKinds: assignmentOf(c.id, c.holdoutShare, c.variants).variantIds.map((id) => {
      const v = c.variants.find((x) => x.id === id);
      return v?.offerCents === undefined ? c.offerKind : v.offerKind;
    }),
    reEligibilityMs: days * DAY_MS,
    assignment: assignmentOf(c.id, c.holdoutShare, c.variants),
    conflictSalt: hashString(`conflict:${c.id}`),
    keyPrefix: `${c.id}:${c.runId}:${c.step}:`,
    category: -1,
    index: -1,
    unreachable: `no contact or consent on ${c.channels.join(', ')}`,
    reEligibility: `got this campaign less than ${days} days before or after the send time`,
  };
};

class SlotPass {
  readonly messages: PlannedMessage[] = [];
  readonly holdout: PlanResult['holdout'] = [];
  readonly skips: SkipLog;
  readonly ledger: Ledger;
  private readonly slotAt: number;
  private readonly maxMarketing: number;
  private readonly globalControlShare: number;
  private readonly campaigns: Prepared[];
  private readonly campaignIds: string[];
  private readonly users: Users;
  private readonly memberships: Memberships;
  private readonly strategy: StrategyGate;
  private readonly zoneSlots: ZoneSlot[] = [];
  private readonly windows: LocalWindows[];
  private readonly windowText: string[];
  private readonly quietText: string;
  private readonly capsOn: PreparedCap[][];
  private readonly unsubscribedText = CHANNELS.map((ch) => `opted out of ${ch}`);
  private readonly conflictText = new Map<number, string>();
  private readonly spreadMinutes: number;
  private readonly gapMs: number;
  /** Per user index: bit i set when CHANNELS[i] is blocked for them (region, caller numbers); null: none. */
  private readonly blockMask: Uint8Array | null = null;
  private readonly blockText = new Map<number, ChannelBlocks>();
  private readonly downMask: number = 0;
  private readonly downText: ChannelBlocks;
  private readonly gapAts: number[] = [];

  // This slot's messages per user: a linked list through a pool (no object per message).
  private readonly plannedHead: Int32Array;
  private readonly marketingCount: Uint16Array;
  private poolAt = new Float64Array(1024);
  private poolChannel = new Uint8Array(1024);
  private poolCampaign = new Uint16Array(1024);
  private poolNext = new Int32Array(1024);
  private poolSize = 0;

  // Scratch, reused member after member.
  private readonly msgs: UserMessages = { at: [], channel: [], campaign: [], n: 0 };
  private readonly optChannel: number[] = [];
  private readonly optAt: number[] = [];
  private readonly group: number[] = [];
  private groupSize = 0;
  private readonly score: number[] = [];
  private readonly tie: number[] = [];
  /** Set by `channelBlock`: the send instant of a channel that passed, the detail of one that did not. */
  private at = 0;
  private detail: string | null = null;

  constructor(input: PlanInput) {
    const { policy } = input;
    this.slotAt = input.slotAt;
    this.maxMarketing = policy.maxMarketingPerSlot;
    this.spreadMinutes = policy.quietSpreadMinutes ?? 0;
    this.gapMs = (policy.marketingGapHours ?? 0) * 3_600_000;
    this.downText = input.channelsDown ?? {};
    for (const ch of Object.keys(this.downText)) this.downMask |= 1 << CHANNELS.indexOf(ch as Channel);
    this.globalControlShare = policy.globalControlShare ?? 0;
    this.campaigns = input.campaigns.map(prepare).sort((a, b) => comparePrecedence(a.c, b.c));
    this.campaignIds = this.campaigns.map((p) => p.c.id);
    this.campaigns.forEach((p, k) => (p.index = k));
    this.ledger = new Ledger(
      this.campaigns.map((p) => p.c),
      policy,
    );
    const caps = policy.caps.map(prepareCap);
    this.capsOn = CHANNELS.map((_, ch) => capsOnChannel(caps, ch));
    this.windows = CHANNELS.map((ch) =>
      localWindows(policy.quietHours, policy.sendWindows[ch], `policy.sendWindows.${ch}`),
    );
    this.windowText = CHANNELS.map(
      (ch) => `${ch} sends only ${describeRanges(policy.sendWindows[ch] ?? [])} local time`,
    );
    this.quietText = policy.quietHours ? `quiet hours ${describeRanges([policy.quietHours])}` : '';

    const zones = new ZoneBook(input.slotAt, policy.defaultTimezone);
    const zoneIndex = new Map<string | null, number>();
    const zoneOf = (name: string | null): number => {
      let i = zoneIndex.get(name);
      if (i === undefined) {
        i = this.zoneSlotIndex(zones.get(name));
        zoneIndex.set(name, i);
      }
      return i;
    };
    const categories = [...new Set(this.campaigns.map((p) => p.c.category))];
    for (const p of this.campaigns) p.category = categories.indexOf(p.c.category);
    const indexed = indexMembers({
      slotAt: input.slotAt,
      campaignIds: this.campaignIds,
      categories,
      members: input.members,
      profiles:
        input.users === null
          ? null
          : isProfileColumns(input.users)
            ? input.users
            : profileColumnsOf(input.users),
      history: input.history,
      zoneOf,
    });
    this.users = indexed.users;
    this.skips = new SkipLog(this.campaignIds, this.users.ids);
    this.memberships = indexed.memberships;
    this.strategy = new StrategyGate(input.strategy, this.campaignIds, this.users.ids);
    this.plannedHead = new Int32Array(this.users.size).fill(-1);
    const blocks = input.channelBlocks;
    if (blocks && blocks.size > 0) {
      this.blockMask = new Uint8Array(this.users.size);
      for (let u = 0; u < this.users.size; u++) {
        const b = blocks.get(this.users.ids[u] as string);
        if (b === undefined) continue;
        this.blockText.set(u, b);
        let mask = 0;
        for (const ch of Object.keys(b)) mask |= 1 << CHANNELS.indexOf(ch as Channel);
        this.blockMask[u] = mask;
      }
    }
    this.marketingCount = new Uint16Array(this.users.size);
  }

  run(): void {
    const tiers = tiersOf(this.campaigns.map((p) => p.c));
    const tierOf = new Int32Array(this.campaigns.length);
    tiers.forEach(([from, to], t) => tierOf.fill(t, from, to));
    // Each tier's memberships, still in user order: a counting sort of the memberships by tier.
    const ms = this.memberships;
    const start = new Int32Array(tiers.length + 1);
    for (let m = 0; m < ms.size; m++) {
      const t = (tierOf[ms.campaign[m] as number] as number) + 1;
      start[t] = (start[t] as number) + 1;
    }
    for (let t = 0; t < tiers.length; t++) start[t + 1] = (start[t + 1] as number) + (start[t] as number);
    const next = start.slice(0, tiers.length);
    const user = new Int32Array(ms.size);
    const campaign = new Uint16Array(ms.size);
    for (let m = 0; m < ms.size; m++) {
      const k = ms.campaign[m] as number;
      const t = tierOf[k] as number;
      const at = next[t] as number;
      user[at] = ms.user[m] as number;
      campaign[at] = k;
      next[t] = at + 1;
    }
    for (let t = 0; t < tiers.length; t++) {
      const [from, to] = [start[t] as number, start[t + 1] as number];
      this.planTier(user.subarray(from, to), campaign.subarray(from, to));
    }
  }

  private zoneSlotIndex(zone: Zone): number {
    const known = this.zoneSlots.findIndex((z) => z.zone === zone);
    if (known >= 0) return known;
    const minute = localMinuteOfDay(zone, this.slotAt);
    this.zoneSlots.push({
      zone,
      periods: new ZonePeriods(zone),
      minute,
      block: this.windows.map((w) => blockAt(w, minute)),
      held: [],
      heldRun: [],
      timingDetail: CHANNELS.map((_, ch) => {
        const rule =
          blockAt(this.windows[ch] as LocalWindows, minute) === 'quiet_hours'
            ? this.quietText
            : this.windowText[ch];
        return `${rule}; it is ${hhmm(minute)} in ${zone.name}`;
      }),
    });
    return this.zoneSlots.length - 1;
  }

  /** The memberships of one tier (campaigns of equal class and priority), in user order. */
  private planTier(user: Int32Array, campaign: Uint16Array): void {
    const group = this.group;
    const n = user.length;
    for (let i = 0; i < n;) {
      const u = user[i] as number;
      let size = 0;
      for (; i < n && user[i] === u; i++) {
        const k = campaign[i] as number;
        let listed = false; // a member listed twice counts once
        for (let j = 0; j < size; j++) listed ||= group[j] === k;
        if (!listed) group[size++] = k;
      }
      this.groupSize = size;
      if (size > 1 && this.users.hasProfile[u] === 1) this.orderByPreference(u);
      for (let j = 0; j < size; j++) this.planMember(group[j] as number, u);
    }
  }

  /** Equal campaigns competing for user u: preference, then the (campaign, user) hash, then id. */
  private orderByPreference(u: number): void {
    const users = this.users;
    const preferred = users.preferred[u] as number;
    for (let j = 0; j < this.groupSize; j++) {
      const p = this.campaigns[this.group[j] as number] as Prepared;
      const reachesPreferred =
        preferred >= 0 &&
        (p.orders[preferred + 1] as number[])[0] === preferred &&
        reachBlock(users.reach[u] as number, users.optOut[u] as number, preferred, p.marketing) === null;
      this.score[j] = preferenceScore(reachesPreferred, users.category[u] === p.category);
      this.tie[j] = mix(users.hash[u] as number, p.conflictSalt);
    }
    orderContenders(this.groupSize, this.group, this.score, this.tie, this.campaignIds);
  }

  /** User u's history and the messages this slot planned for them, into the scratch `msgs`. */
  private gatherMessages(u: number): void {
    const m = this.msgs;
    const h = this.users.history;
    const from = this.users.historyFrom[u] as number;
    const to = from + (this.users.historyLength[u] as number);
    m.n = 0;
    for (let i = from; i < to; i++, m.n++) {
      m.at[m.n] = h.at[i] as number;
      m.channel[m.n] = h.channel[i] as number;
      m.campaign[m.n] = h.campaign[i] as number;
    }
    for (let i = this.plannedHead[u] as number; i >= 0; i = this.poolNext[i] as number, m.n++) {
      m.at[m.n] = this.poolAt[i] as number;
      m.channel[m.n] = this.poolChannel[i] as number;
      m.campaign[m.n] = this.poolCampaign[i] as number;
    }
  }

  private conflictDetail(u: number): string {
    let firstWinner = -1;
    for (let i = this.plannedHead[u] as number; i >= 0; i = this.poolNext[i] as number)
      if ((this.campaigns[this.poolCampaign[i] as number] as Prepared).marketing)
        firstWinner = this.poolCampaign[i] as number;
    const count = this.marketingCount[u] as number;
    const key = firstWinner * 1024 + count;
    let text = this.conflictText.get(key);
    if (text === undefined) {
      const more = count > 1 ? ` and ${count - 1} more` : '';
      text = `this slot already reaches the user for ${this.campaignIds[firstWinner]}${more}`;
      this.conflictText.set(key, text);
    }
    return text;
  }

  /** The zone's spread run for channel ch, the same for all its users: computed once per slot. */
  private heldRunOf(zs: ZoneSlot, ch: number, held: number): number {
    let run = zs.heldRun[ch];
    if (run === undefined) {
      run = allowedRun(this.windows[ch] as LocalWindows, localMinuteOfDay(zs.zone, held), this.spreadMinutes);
      zs.heldRun[ch] = run;
    }
    return run;
  }

  private heldAt(zs: ZoneSlot, ch: number): number | null {
    let t = zs.held[ch];
    if (t === undefined) {
      t = nextAllowed(zs.zone, this.slotAt, this.windows[ch] as LocalWindows);
      zs.held[ch] = t;
    }
    return t;
  }

  /**
   * The instants of user u's marketing messages of other campaigns than k (history and this
   * slot), into `gapAts`; their count. A campaign's own messages are spaced by its
   * re-eligibility and its ladder's waits.
   */
  private marketingAts(u: number, k: number): number {
    const h = this.users.history;
    const from = this.users.historyFrom[u] as number;
    const to = from + (this.users.historyLength[u] as number);
    let n = 0;
    for (let i = from; i < to; i++)
      if (h.marketing[i] === 1 && h.campaign[i] !== k) this.gapAts[n++] = h.at[i] as number;
    for (let i = this.plannedHead[u] as number; i >= 0; i = this.poolNext[i] as number)
      if (
        this.poolCampaign[i] !== k &&
        (this.campaigns[this.poolCampaign[i] as number] as Prepared).marketing
      )
        this.gapAts[n++] = this.poolAt[i] as number;
    return n;
  }

  /**
   * The minimum gap between marketing messages: `at` itself when no other marketing message of
   * the user lies closer; else, for a campaign that holds, the first allowed instant a gap after
   * that message (repeated while another lies close); NaN when the campaign drops, or no such
   * instant comes within MAX_GAP_DEFER_MS (`this.detail` then says why).
   */
  private keepGap(p: Prepared, k: number, u: number, ch: number, zs: ZoneSlot, at: number): number {
    const n = this.marketingAts(u, k);
    let t = at;
    for (let tries = 0; tries < 8; tries++) {
      const near = nearestWithinGap(this.gapAts, n, t, this.gapMs);
      if (Number.isNaN(near)) return t;
      const gapHours = this.gapMs / 3_600_000;
      this.detail = `already gets a marketing message at ${hhmm(localMinuteOfDay(zs.zone, near))} ${zs.zone.name} (${new Date(near).toISOString()}); marketing messages are at least ${gapHours} h apart`;
      if (p.c.outsideWindow !== 'hold') return Number.NaN;
      const w = this.windows[ch] as LocalWindows;
      const due = near + this.gapMs;
      let next = nextAllowed(zs.zone, due, w);
      if (next === null || next - this.slotAt > MAX_GAP_DEFER_MS) return Number.NaN;
      // Deferred into quiet hours / outside the send window: spread like any held message.
      if (next !== due) {
        const run = allowedRun(w, localMinuteOfDay(zs.zone, next), this.spreadMinutes);
        next += spreadMinute(run, this.users.hash[u] as number) * MINUTE_MS;
      }
      t = next;
    }
    return Number.NaN;
  }

  /** The caps and re-eligibility at send instant `at`: PASS, or the reason (its detail in `this.detail`). */
  private capsAndReEligibility(p: Prepared, k: number, ch: number, zs: ZoneSlot, at: number): number {
    for (const cap of this.capsOn[ch] as PreparedCap[])
      if (!capAllows(cap, at, this.msgs, zs.periods)) {
        this.detail = cap.text;
        return cap.reason === 'cap_total' ? CAP_TOTAL : CAP_CHANNEL;
      }
    if (p.reEligibilityMs > 0 && !reEligible(this.msgs, k, p.reEligibilityMs, at)) {
      this.detail = p.reEligibility;
      return RE_ELIGIBILITY;
    }
    return PASS;
  }

  /**
   * Why channel `ch` cannot carry campaign p's message to user u, by the rules up to conflicts
   * (a reason code; its detail in `this.detail`); PASS when it can, with its send instant in `this.at`.
   */
  private channelBlock(p: Prepared, k: number, u: number, ch: number): number {
    const users = this.users;
    const reach = reachBlock(users.reach[u] as number, users.optOut[u] as number, ch, p.marketing);
    if (reach === 'unreachable') {
      this.detail = p.unreachable;
      return UNREACHABLE;
    }
    const bit = 1 << ch;
    if (
      (this.downMask & bit) !== 0 ||
      (this.blockMask !== null && ((this.blockMask[u] as number) & bit) !== 0)
    ) {
      const channel = CHANNELS[ch] as Channel;
      this.detail = this.blockText.get(u)?.[channel] ?? this.downText[channel] ?? p.unreachable;
      return UNREACHABLE;
    }
    if (reach === 'unsubscribed') {
      this.detail =
        users.optOut[u] === ALL_CHANNELS
          ? 'opted out of every channel'
          : (this.unsubscribedText[ch] as string);
      return UNSUBSCRIBED;
    }
    if (!p.marketing) {
      this.at = this.slotAt;
      return PASS;
    }
    // The send time comes first (caps count a held message at the instant it goes out), but a
    // dropped one is reported after the caps and re-eligibility, in the rules' order.
    const zs = this.zoneSlots[users.zone[u] as number] as ZoneSlot;
    let timing = zs.block[ch] as TimingBlock | null;
    let at = this.slotAt;
    if (timing !== null && p.c.outsideWindow === 'hold') {
      const held = this.heldAt(zs, ch);
      if (held !== null) {
        // Spread over the window's first minutes by the user's hash, not all at its first second.
        at = held + spreadMinute(this.heldRunOf(zs, ch, held), users.hash[u] as number) * MINUTE_MS;
        timing = null;
      }
    }
    const capped = this.capsAndReEligibility(p, k, ch, zs, at);
    if (capped !== PASS) return capped;
    if (timing !== null) {
      this.detail = zs.timingDetail[ch] as string;
      return timing === 'quiet_hours' ? QUIET_HOURS : SEND_WINDOW;
    }
    // Kept apart from the user's other marketing messages (other slots, triggers, ladder steps),
    // once the caps allow the send time: a message the caps stop is not deferred past them (to
    // tomorrow's cap). A second one of this slot beyond maxMarketingPerSlot is a conflict, below.
    if (this.gapMs > 0 && (this.marketingCount[u] as number) < this.maxMarketing) {
      const kept = this.keepGap(p, k, u, ch, zs, at);
      if (Number.isNaN(kept)) return MIN_GAP;
      if (kept !== at) {
        // The deferred instant must pass the caps and re-eligibility too.
        const again = this.capsAndReEligibility(p, k, ch, zs, kept);
        if (again !== PASS) return again;
        at = kept;
      }
    }
    if ((this.marketingCount[u] as number) >= this.maxMarketing) {
      this.detail = this.conflictDetail(u);
      return CONFLICT;
    }
    this.at = at;
    return PASS;
  }

  private planMember(k: number, u: number): void {
    const p = this.campaigns[k] as Prepared;
    if (this.users.hasProfile[u] === 0) return this.skip(p, u, NO_PROFILE, null);
    const matrix = this.strategy.detail(k, u);
    if (matrix !== null) return this.skip(p, u, STRATEGY_MATRIX, matrix);
    this.gatherMessages(u);
    let n = 0;
    let worst = PASS;
    let worstDetail: string | null = null;
    // The variant is drawn before the channels: a channel test tries only its variant's channels.
    const variant = variantIndexOf(p.assignment, this.users.hash[u] as number);
    const orders = p.variantOrders[variant] ?? p.orders;
    for (const ch of orders[(this.users.preferred[u] as number) + 1] as number[]) {
      const reason = this.channelBlock(p, k, u, ch);
      if (reason === PASS) {
        this.optChannel[n] = ch;
        this.optAt[n] = this.at;
        n++;
      } else if (reason > worst) {
        worst = reason;
        worstDetail = this.detail;
      }
    }
    if (n === 0) return this.skip(p, u, worst, worstDetail);
    // Held-out users are eligible ones; they take no budget, no cap and no conflict slot.
    const userHash = this.users.hash[u] as number;
    // The global control group sees no marketing at all; recorded per campaign like a holdout,
    // so each campaign can compare its treated users with the same kind of eligible users.
    if (p.marketing && inGlobalControl(this.globalControlShare, userHash)) {
      this.holdout.push({
        campaignId: p.c.id,
        userId: this.users.ids[u] as string,
        reason: 'global_control',
      });
      return;
    }
    if (isHeldOut(p.assignment, userHash)) {
      this.holdout.push({ campaignId: p.c.id, userId: this.users.ids[u] as string });
      return;
    }
    let short = PASS;
    let shortDetail: string | null = null;
    // The user's own offer is reserved with the message (what it may cost), not the most any user could get:
    // their variant's in an offer test, else the campaign's.
    const rule = p.variantOffers[variant] ?? p.offer;
    const offer = typeof rule === 'number' ? rule : (rule.get(this.users.ids[u] as string) ?? 0);
    const offerKind = variant < 0 ? p.c.offerKind : p.variantOfferKinds[variant];
    for (let i = 0; i < n; i++) {
      const ch = this.optChannel[i] as number;
      const price = p.cost[ch] as number;
      const block = this.ledger.blocks(k, ch, price + offer);
      if (block === null) {
        this.ledger.reserve(k, ch, price + offer);
        return this.plan(p, k, u, ch, this.optAt[i] as number, price, userHash);
      }
      if (code(block) > short) {
        short = code(block);
        shortDetail = this.ledger.describe(block, k, ch, price, offer, offerKind);
      }
    }
    this.skip(p, u, short, shortDetail);
  }

  private growPool(): void {
    const grow = <T extends Float64Array | Uint8Array | Uint16Array | Int32Array>(
      a: T,
      make: (n: number) => T,
    ): T => {
      const b = make(a.length * 2);
      b.set(a);
      return b;
    };
    this.poolAt = grow(this.poolAt, (n) => new Float64Array(n));
    this.poolChannel = grow(this.poolChannel, (n) => new Uint8Array(n));
    this.poolCampaign = grow(this.poolCampaign, (n) => new Uint16Array(n));
    this.poolNext = grow(this.poolNext, (n) => new Int32Array(n));
  }

  private skip(p: Prepared, u: number, reason: number, detail: string | null): void {
    this.skips.add(p.index, u, reason, detail);
  }

  private plan(
    p: Prepared,
    k: number,
    u: number,
    ch: number,
    sendAt: number,
    cost: number,
    userHash: number,
  ): void {
    const userId = this.users.ids[u] as string;
    this.messages.push({
      campaignId: p.c.id,
      runId: p.c.runId,
      step: p.c.step,
      userId,
      channel: CHANNELS[ch] as Channel,
      variant: p.assignment.variantIds[variantIndexOf(p.assignment, userHash)] ?? null,
      sendAt,
      costCents: cost,
      idempotencyKey: p.keyPrefix + userId,
    });
    if (this.poolSize === this.poolAt.length) this.growPool();
    const i = this.poolSize++;
    this.poolAt[i] = sendAt;
    this.poolChannel[i] = ch;
    this.poolCampaign[i] = k;
    this.poolNext[i] = this.plannedHead[u] as number;
    this.plannedHead[u] = i;
    if (p.marketing) this.marketingCount[u] = (this.marketingCount[u] as number) + 1;
  }
}

/** Plans one slot: who gets which message on which channel when, and why everyone else does not. */
export const planSlot = (input: PlanInput): PlanResult => {
  checkPlanInput(input);
  const pass = new SlotPass(input);
  pass.run();
  const result = { messages: pass.messages, holdout: pass.holdout, ...pass.ledger.totals() };
  return withSkipLog(result, pass.skips);
};
