/**
 * The strategy matrix inside the planner's pass (core/strategies/matrix.ts decides; this only
 * looks the decisions up): a member whose first-matching cell does not let them into a campaign —
 * a flow of another cell, no cell for a flow, do-not-disturb — is skipped `strategy_matrix` with
 * the cell and flow in words. Pure; built once per pass from what the shell computed.
 */

export interface PlanStrategy {
  /** Campaign id → per cell slot (0: no cell; i + 1: cell i) the skip detail, or null: allowed. */
  verdicts: ReadonlyMap<string, readonly (string | null)[]>;
  /** User id → index of the user's first-matching cell; absent: no cell. */
  cellOf: ReadonlyMap<string, number>;
}

export class StrategyGate {
  /** Per campaign index of the pass: its verdict row, or null when the matrix never stops it. */
  private readonly rows: (readonly (string | null)[] | null)[];
  /** Per user index of the pass: cell index + 1 (0: no cell). */
  private readonly slots: Int32Array | null;

  constructor(s: PlanStrategy | undefined, campaignIds: readonly string[], userIds: readonly string[]) {
    this.rows = campaignIds.map((id) => {
      const row = s?.verdicts.get(id);
      return row && row.some((d) => d !== null) ? row : null;
    });
    if (!s || this.rows.every((r) => r === null)) {
      this.slots = null;
      return;
    }
    this.slots = new Int32Array(userIds.length);
    userIds.forEach((id, u) => {
      const cell = s.cellOf.get(id);
      (this.slots as Int32Array)[u] = cell === undefined || cell < 0 ? 0 : cell + 1;
    });
  }

  /** Why campaign `k` may not reach user `u` (the skip detail), or null when it may. */
  detail(k: number, u: number): string | null {
    if (this.slots === null) return null;
    const row = this.rows[k];
    return row ? (row[this.slots[u] as number] ?? null) : null;
  }
}
