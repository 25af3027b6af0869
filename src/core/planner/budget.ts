import { CHANNELS, type Cents, type Channel } from '../channels/channels.ts';
import { budgetShortDetail } from './budget-words.ts';
import type { PlanCampaign, PlannerPolicy } from './types.ts';

/**
 * Budgets and quotas (features.md E5): what is left per campaign, per department and per channel
 * (messages of a bought SMS package), reserved message by message as the pass plans them, so a
 * check and its reservation can never disagree and nothing is ever exceeded. A campaign with a
 * null budget, a department without a budget and a channel without a quota are unlimited.
 * Campaigns are addressed by their index in the list given, channels by their index in CHANNELS.
 */

export type BudgetBlock = 'campaign_budget' | 'department_budget' | 'channel_quota';

const checkAmount = (n: number, where: string): number => {
  if (!Number.isInteger(n) || n < 0) throw new Error(`${where}: expected an integer ≥ 0, got ${n}`);
  return n;
};

const byKey = <T>([a]: [string, T], [b]: [string, T]) => (a < b ? -1 : a > b ? 1 : 0);

export class Ledger {
  private readonly campaignLeft: Float64Array;
  private readonly spend: Float64Array;
  /** Index into `departments` per campaign, -1 for none. */
  private readonly departmentOf: Int32Array;
  private readonly departments: string[] = [];
  private readonly departmentLeft: number[] = [];
  private readonly departmentSpend: number[] = [];
  private readonly quotaLeft = new Float64Array(CHANNELS.length).fill(Number.POSITIVE_INFINITY);
  private readonly quotaUse = new Float64Array(CHANNELS.length);

  constructor(
    private readonly campaigns: readonly PlanCampaign[],
    policy: PlannerPolicy,
  ) {
    const n = campaigns.length;
    this.campaignLeft = new Float64Array(n);
    this.spend = new Float64Array(n);
    this.departmentOf = new Int32Array(n);
    campaigns.forEach((c, k) => {
      const where = `campaign ${c.id}`;
      this.campaignLeft[k] =
        c.budgetRemaining === null
          ? Number.POSITIVE_INFINITY
          : checkAmount(c.budgetRemaining, `${where}: budgetRemaining`);
      for (const [channel, cost] of Object.entries(c.costPerMessage))
        checkAmount(cost, `${where}: costPerMessage.${channel}`);
      if (typeof c.offerCents === 'number') checkAmount(c.offerCents, `${where}: offerCents`);
      else if (c.offerCents !== undefined)
        for (const [user, cents] of c.offerCents) checkAmount(cents, `${where}: offerCents of ${user}`);
      this.departmentOf[k] = c.department === null ? -1 : this.department(c.department, policy);
    });
    for (const [dept, cents] of Object.entries(policy.departmentBudget))
      checkAmount(cents, `policy.departmentBudget.${dept}`);
    CHANNELS.forEach((ch, i) => {
      const q = policy.channelQuota[ch];
      if (q !== undefined) this.quotaLeft[i] = checkAmount(q, `policy.channelQuota.${ch}`);
    });
  }

  private department(name: string, policy: PlannerPolicy): number {
    const known = this.departments.indexOf(name);
    if (known >= 0) return known;
    this.departments.push(name);
    this.departmentLeft.push(policy.departmentBudget[name] ?? Number.POSITIVE_INFINITY);
    this.departmentSpend.push(0);
    return this.departments.length - 1;
  }

  /** What would stop one more message (campaign budget first, then department, then quota), or null. */
  blocks(k: number, ch: number, cost: Cents): BudgetBlock | null {
    if (cost > (this.campaignLeft[k] as number)) return 'campaign_budget';
    const d = this.departmentOf[k] as number;
    if (d >= 0 && cost > (this.departmentLeft[d] as number)) return 'department_budget';
    if ((this.quotaLeft[ch] as number) < 1) return 'channel_quota';
    return null;
  }

  /** Takes one message's cost and quota; call only after `blocks` said null. */
  reserve(k: number, ch: number, cost: Cents): void {
    this.campaignLeft[k] = (this.campaignLeft[k] as number) - cost;
    this.spend[k] = (this.spend[k] as number) + cost;
    const d = this.departmentOf[k] as number;
    if (d >= 0) {
      this.departmentLeft[d] = (this.departmentLeft[d] as number) - cost;
      this.departmentSpend[d] = (this.departmentSpend[d] as number) + cost;
    }
    this.quotaLeft[ch] = (this.quotaLeft[ch] as number) - 1;
    this.quotaUse[ch] = (this.quotaUse[ch] as number) + 1;
  }

  /**
   * The limit `blocks` named, in words, for skip details: what the message would have reserved
   * (its price and the user's own offer) in yuan, and what the budget had left.
   */
  describe(
    block: BudgetBlock,
    k: number,
    ch: number,
    price: Cents,
    offer: Cents,
    /** The member's offer kind (their variant's in an offer test); undefined: no offer. */
    offerKind: PlanCampaign['offerKind'],
  ): string {
    const channel = CHANNELS[ch] as Channel;
    const c = this.campaigns[k];
    const parts = { channel, priceCents: price, offerKind, offerCents: offer };
    switch (block) {
      case 'campaign_budget':
        return budgetShortDetail({ ...parts, leftCents: this.campaignLeft[k] as number });
      case 'department_budget':
        return budgetShortDetail({
          ...parts,
          department: c?.department ?? '',
          leftCents: this.departmentLeft[this.departmentOf[k] as number] as number,
        });
      case 'channel_quota':
        return `the ${channel} quota is used up`;
    }
  }

  /** Spend per campaign and per department (in key order), and use of each channel that has a quota. */
  totals(): {
    spend: Record<string, Cents>;
    departmentSpend: Record<string, Cents>;
    quotaUse: Partial<Record<Channel, number>>;
  } {
    const spend = this.campaigns.map((c, k): [string, number] => [c.id, this.spend[k] as number]);
    const departments = this.departments.map((d, i): [string, number] => [
      d,
      this.departmentSpend[i] as number,
    ]);
    const quotaUse: Partial<Record<Channel, number>> = {};
    CHANNELS.forEach((ch, i) => {
      if (Number.isFinite(this.quotaLeft[i] as number)) quotaUse[ch] = this.quotaUse[i] as number;
    });
    return {
      spend: Object.fromEntries(spend.sort(byKey)),
      departmentSpend: Object.fromEntries(departments.sort(byKey)),
      quotaUse,
    };
  }
}
