import { SKIP_REASONS, type SkipReason, type Skipped } from './types.ts';

/**
 * The members a pass skipped, as columns: a large slot skips about a million members for a few
 * dozen different reasons, and an object per skip was a fifth of the pass and most of the work
 * of grouping them again for the warehouse. The objects (`PlanResult.skipped`) are made only
 * when asked for; the warehouse writer reads the groups (`skipGroups`).
 */
export class SkipLog {
  private campaign = new Uint16Array(1024);
  private user = new Int32Array(1024);
  private reason = new Uint8Array(1024);
  private detail = new Int32Array(1024);
  private readonly details: string[] = [];
  private readonly detailIndex = new Map<string, number>();
  size = 0;

  constructor(
    private readonly campaignIds: readonly string[],
    private readonly userIds: readonly string[],
  ) {}

  add(campaign: number, user: number, reason: number, detail: string | null): void {
    if (this.size === this.campaign.length) this.grow();
    const i = this.size++;
    this.campaign[i] = campaign;
    this.user[i] = user;
    this.reason[i] = reason;
    let d = -1;
    if (detail !== null) {
      d = this.detailIndex.get(detail) ?? -1;
      if (d < 0) {
        d = this.details.length;
        this.details.push(detail);
        this.detailIndex.set(detail, d);
      }
    }
    this.detail[i] = d;
  }

  /** Every skip as an object, in the order they happened. */
  toArray(): Skipped[] {
    const out = new Array<Skipped>(this.size);
    for (let i = 0; i < this.size; i++) {
      const d = this.detail[i] as number;
      out[i] = {
        campaignId: this.campaignIds[this.campaign[i] as number] as string,
        userId: this.userIds[this.user[i] as number] as string,
        reason: SKIP_REASONS[this.reason[i] as number] as SkipReason,
        detail: d < 0 ? null : (this.details[d] as string),
      };
    }
    return out;
  }

  /** The skips grouped by campaign, reason and detail, users in the order they were skipped. */
  groups(): { campaignId: string; reason: SkipReason; detail: string | null; userIds: string[] }[] {
    const index = new Map<number, number>();
    const out: { campaignId: string; reason: SkipReason; detail: string | null; userIds: string[] }[] = [];
    const reasons = SKIP_REASONS.length;
    for (let i = 0; i < this.size; i++) {
      const c = this.campaign[i] as number;
      const r = this.reason[i] as number;
      const d = this.detail[i] as number;
      // One number per (campaign, reason, detail): d + 1 ≥ 0, r < reasons.
      const key = ((d + 1) * reasons + r) * 65_536 + c;
      let g = index.get(key);
      if (g === undefined) {
        g = out.length;
        index.set(key, g);
        out.push({
          campaignId: this.campaignIds[c] as string,
          reason: SKIP_REASONS[r] as SkipReason,
          detail: d < 0 ? null : (this.details[d] as string),
          userIds: [],
        });
      }
      (out[g] as { userIds: string[] }).userIds.push(this.userIds[this.user[i] as number] as string);
    }
    return out;
  }

  private grow(): void {
    const n = this.campaign.length * 2;
    const grow = <T extends Uint16Array | Int32Array | Uint8Array>(a: T, b: T): T => {
      b.set(a);
      return b;
    };
    this.campaign = grow(this.campaign, new Uint16Array(n));
    this.user = grow(this.user, new Int32Array(n));
    this.reason = grow(this.reason, new Uint8Array(n));
    this.detail = grow(this.detail, new Int32Array(n));
  }
}

const logs = new WeakMap<object, SkipLog>();

/**
 * A plan result whose `skipped` list is made from the log the first time it is read (an
 * enumerable property like any other: spreading, comparing and serialising see the list).
 */
export const withSkipLog = <T extends object>(result: T, log: SkipLog): T & { skipped: Skipped[] } => {
  let list: Skipped[] | undefined;
  Object.defineProperty(result, 'skipped', {
    enumerable: true,
    configurable: true,
    get: () => (list ??= log.toArray()),
  });
  logs.set(result, log);
  return result as T & { skipped: Skipped[] };
};

/** The skip groups of a result made by `planSlot`; undefined for any other object. */
export const skipGroupsOf = (result: object) => logs.get(result)?.groups();
