import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planSlot } from '../src/core/planner/plan-slot.ts';
import type { PlanStrategy } from '../src/core/planner/strategy-gate.ts';
import type { PlanUser } from '../src/core/planner/types.ts';
import {
  ANY,
  cellIndexOf,
  checkMatrix,
  matrixVerdicts,
  shadowedCells,
  type StrategyCell,
  type StrategyMatrix,
  type UserSegment,
} from '../src/core/strategies/matrix.ts';
import { campaign, policy, user } from './support/planner-input.ts';

/**
 * The strategy matrix's pure parts (features.md D6): which cell a user falls in (order, `any`, at
 * most one), what the planner is told per campaign and cell, the checks a save runs, and
 * `planSlot` with the matrix: two flows never reach one user, do-not-disturb users get no
 * marketing (transactional still goes), every skip says which cell sent the user where.
 */

const cell = (id: string, over: Partial<StrategyCell> = {}): StrategyCell => ({
  id,
  tier: ANY,
  risk: ANY,
  reason: ANY,
  stage: ANY,
  action: { kind: 'do_not_disturb' },
  ...over,
});
const flow = (campaignId: string) => ({ kind: 'flow' as const, campaignId });
const seg = (
  tier: string | null,
  risk: string | null,
  reason: string | null = null,
  stage: string | null = null,
) => ({
  tier,
  risk,
  reason,
  stage,
});
const matrix = (cells: StrategyCell[], over: Partial<StrategyMatrix> = {}): StrategyMatrix => ({
  enabled: true,
  dndScope: 'marketing',
  flowsNeedLadder: true,
  cells,
  ...over,
});

describe('cell assignment', () => {
  it('the first matching cell wins, so the order decides between overlapping cells', () => {
    const broad = cell('broad', { tier: 'high', action: flow('A') });
    const narrow = cell('narrow', { tier: 'high', risk: 'high', reason: 'economic', action: flow('B') });
    const u = seg('high', 'high', 'economic');
    expect(cellIndexOf([broad, narrow], u)).toBe(0);
    expect(cellIndexOf([narrow, broad], u)).toBe(0);
    expect(cellIndexOf([narrow, broad], seg('high', 'low', 'economic'))).toBe(1);
    // The narrow cell after the broad one can never match: the preview says so.
    expect(shadowedCells([broad, narrow])).toEqual([1]);
    expect(shadowedCells([narrow, broad])).toEqual([]);
  });

  it('`any` matches missing scores; a named value does not; no risk score is `unscored`', () => {
    const cells = [
      cell('unscored', { risk: 'unscored' }),
      cell('low', { tier: 'low' }),
      cell('silent', { stage: 'silent' }),
    ];
    expect(cellIndexOf(cells, seg('high', null))).toBe(0);
    expect(cellIndexOf(cells, seg('low', 'high'))).toBe(1);
    expect(cellIndexOf(cells, seg(null, 'medium', null, 'silent'))).toBe(2);
    expect(cellIndexOf(cells, seg(null, 'medium', null, null))).toBe(-1);
    expect(cellIndexOf([cell('all')], seg(null, null))).toBe(0);
    expect(cellIndexOf([], seg('high', 'high'))).toBe(-1);
  });

  it('every user falls in at most one cell: the first that matches, none before it', () => {
    const tiers = ['high', 'medium', 'low', null];
    const risks = ['high', 'medium', 'low', null];
    const reasons = ['economic', 'competitor', null];
    const stages = ['new', 'silent', 'churned', null];
    const value = <T>(xs: T[]) => fc.constantFrom(...xs);
    const cellArb = fc.record({
      tier: value([ANY, 'high', 'medium', 'low']),
      risk: value([ANY, 'high', 'medium', 'low', 'unscored']),
      reason: value([ANY, 'economic', 'competitor']),
      stage: value([ANY, 'new', 'silent', 'churned']),
    });
    const segArb = fc.record({
      tier: value(tiers),
      risk: value(risks),
      reason: value(reasons),
      stage: value(stages),
    });
    fc.assert(
      fc.property(fc.array(cellArb, { maxLength: 12 }), segArb, (raw, s: UserSegment) => {
        const cells = raw.map((r, i) => cell(`c${i}`, r as Partial<StrategyCell>));
        const fits = (c: StrategyCell) =>
          (c.tier === ANY || c.tier === s.tier) &&
          (c.risk === ANY || c.risk === (s.risk ?? 'unscored')) &&
          (c.reason === ANY || c.reason === s.reason) &&
          (c.stage === ANY || c.stage === s.stage);
        const i = cellIndexOf(cells, s);
        if (i === -1) return cells.every((c) => !fits(c));
        return fits(cells[i] as StrategyCell) && cells.slice(0, i).every((c) => !fits(c));
      }),
      { numRuns: 500 },
    );
  });
});

describe('verdicts per campaign and cell', () => {
  const m = matrix([
    cell('vip', { tier: 'high', risk: 'high', reason: 'economic', action: flow('A') }),
    cell('hi', { tier: 'high', action: flow('B') }),
    cell('dnd', { tier: 'low' }),
  ]);
  const campaigns = [
    { id: 'A', name: '价格关怀', marketing: true },
    { id: 'B', name: '高价值召回', marketing: true },
    { id: 'P', name: '大促', marketing: true },
    { id: 'T', name: '物流通知', marketing: false },
  ];
  // Slots: 0 no cell, 1 vip, 2 hi, 3 dnd.
  const allowed = (rows: (string | null)[][]) => rows.map((r) => r.map((d) => d === null));

  it('a flow reaches only its cells; do-not-disturb is out of all marketing; transactional untouched', () => {
    const rows = matrixVerdicts(m, campaigns);
    expect(allowed(rows)).toEqual([
      [false, true, false, false], // A: only vip
      [false, false, true, false], // B: only hi
      [true, true, true, false], // P: not a flow; only do-not-disturb stays out
      [true, true, true, true], // T: transactional
    ]);
    expect(rows[0]?.[2]).toBe(
      "策略矩阵：高价值 → 流程「高价值召回」 / strategy matrix: high value → flow '高价值召回'",
    );
    expect(rows[1]?.[1]).toBe(
      "策略矩阵：高价值·高风险·价格敏感 → 流程「价格关怀」 / strategy matrix: high value · high risk · price-sensitive → flow '价格关怀'",
    );
    expect(rows[2]?.[3]).toBe('策略矩阵：低价值 → 勿扰 / strategy matrix: low value → do not disturb');
    expect(rows[0]?.[0]).toContain('无匹配单元');
  });

  it('dndScope matrix_flows keeps do-not-disturb users out of flows only; a disabled matrix keeps nobody out', () => {
    expect(allowed(matrixVerdicts({ ...m, dndScope: 'matrix_flows' }, campaigns))[2]).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(
      allowed(matrixVerdicts({ ...m, enabled: false }, campaigns))
        .flat()
        .every(Boolean),
    ).toBe(true);
  });
});

describe('checks of a save', () => {
  const known = {
    tiers: ['high', 'medium', 'low', 'none'],
    reasons: ['economic', 'competitor'],
    campaigns: [
      { id: 'L', name: '阶梯召回', marketing: true, hasLadder: true, status: 'running' },
      { id: 'N', name: '无阶梯', marketing: true, hasLadder: false, status: 'draft' },
      { id: 'T', name: '通知', marketing: false, hasLadder: false, status: 'running' },
      { id: 'X', name: '已取消', marketing: true, hasLadder: true, status: 'cancelled' },
    ],
  };
  it('names the cell and field of each problem', () => {
    const problems = checkMatrix(
      matrix([
        cell('a', { action: flow('nope') }),
        cell('b', { action: flow('N') }),
        cell('c', { action: flow('T') }),
        cell('a', { tier: 'gold' }),
        cell('e', { reason: 'weather', action: flow('X') }),
        cell('f', { tier: 'high', action: flow('L') }),
      ]),
      known,
    );
    expect(problems).toEqual([
      { path: 'matrix.cells[0].action.campaignId', message: "unknown campaign 'nope'" },
      {
        path: 'matrix.cells[1].action.campaignId',
        message: "campaign '无阶梯' has no recall ladder (add one, or set flowsNeedLadder to false)",
      },
      {
        path: 'matrix.cells[2].action.campaignId',
        message: "campaign '通知' is transactional, not a recall flow",
      },
      { path: 'matrix.cells[3].id', message: "'a' is also the id of cells[0]" },
      {
        path: 'matrix.cells[3].tier',
        message: "unknown value tier 'gold' (the scoring configuration has high, medium, low, none)",
      },
      {
        path: 'matrix.cells[4].reason',
        message: "unknown churn reason 'weather' (the scoring configuration has economic, competitor)",
      },
      { path: 'matrix.cells[4].action.campaignId', message: "campaign '已取消' is cancelled" },
    ]);
    // Without the ladder requirement, a plain campaign may be a flow.
    expect(
      checkMatrix(matrix([cell('b', { action: flow('N') })], { flowsNeedLadder: false }), known),
    ).toEqual([]);
  });
});

describe('planSlot with the matrix', () => {
  const NOW = Date.UTC(2026, 10, 20, 4); // 12:00 in Shanghai
  // Eight users; segments by hand. u7 has no cell.
  const segments: Record<string, UserSegment> = {
    u1: seg('high', 'high', 'economic'),
    u2: seg('high', 'high', 'competitor'),
    u3: seg('high', 'low'),
    u4: seg('medium', 'high'),
    u5: seg('low', 'high'),
    u6: seg('low', null),
    u7: seg(null, null),
    u8: seg('medium', 'medium', null, 'silent'),
  };
  const m = matrix([
    cell('vip-price', { tier: 'high', risk: 'high', reason: 'economic', action: flow('A') }),
    cell('high', { tier: 'high', action: flow('B') }),
    cell('medium-risk', { tier: 'medium', risk: 'high', action: flow('A') }),
    cell('low', { tier: 'low' }),
    cell('silent', { stage: 'silent', action: flow('B') }),
  ]);
  const ids = Object.keys(segments);
  const strategyFor = (campaignIds: { id: string; name: string; marketing: boolean }[]): PlanStrategy => {
    const rows = matrixVerdicts(m, campaignIds);
    const cellOf = new Map<string, number>();
    for (const [id, s] of Object.entries(segments)) {
      const c = cellIndexOf(m.cells, s);
      if (c >= 0) cellOf.set(id, c);
    }
    return { verdicts: new Map(campaignIds.map((c, k) => [c.id, rows[k] ?? []])), cellOf };
  };
  const users = new Map<string, PlanUser>(ids.map((id) => [id, user(id)]));

  it('two flows over the same audience never both reach a user; do-not-disturb gets no marketing', () => {
    // A is preferred over B in a conflict (higher priority); max 3 marketing messages per slot so
    // that only the matrix keeps flows apart.
    const A = campaign('A', { priority: 90 });
    const B = campaign('B', { priority: 10 });
    const P = campaign('P', { priority: 50 });
    const T = campaign('T', { class: 'transactional', channels: ['sms'] });
    const all = [A, B, P, T];
    const result = planSlot({
      slotAt: NOW,
      campaigns: all,
      members: new Map(all.map((c) => [c.id, ids])),
      users,
      history: new Map(),
      policy: policy({ maxMarketingPerSlot: 3 }),
      strategy: strategyFor([
        { id: 'A', name: '价格关怀', marketing: true },
        { id: 'B', name: '高价值召回', marketing: true },
        { id: 'P', name: '大促', marketing: true },
        { id: 'T', name: '物流通知', marketing: false },
      ]),
    });
    const got = (c: string) =>
      result.messages
        .filter((x) => x.campaignId === c)
        .map((x) => x.userId)
        .sort();
    expect(got('A')).toEqual(['u1', 'u4']);
    expect(got('B')).toEqual(['u2', 'u3', 'u8']);
    // The promotion reaches everyone but the do-not-disturb cell (u5, u6); u7 (no cell) too.
    expect(got('P')).toEqual(['u1', 'u2', 'u3', 'u4', 'u7', 'u8']);
    // Transactional messages ignore the matrix.
    expect(got('T')).toEqual(ids);
    for (const id of ids)
      expect(
        result.messages.filter((x) => x.userId === id && (x.campaignId === 'A' || x.campaignId === 'B'))
          .length,
      ).toBeLessThanOrEqual(1);
    const skip = (c: string, u: string) => result.skipped.find((s) => s.campaignId === c && s.userId === u);
    expect(skip('B', 'u1')).toEqual({
      campaignId: 'B',
      userId: 'u1',
      reason: 'strategy_matrix',
      detail:
        "策略矩阵：高价值·高风险·价格敏感 → 流程「价格关怀」 / strategy matrix: high value · high risk · price-sensitive → flow '价格关怀'",
    });
    expect(skip('A', 'u5')?.detail).toBe(
      '策略矩阵：低价值 → 勿扰 / strategy matrix: low value → do not disturb',
    );
    expect(skip('P', 'u6')?.reason).toBe('strategy_matrix');
    expect(skip('A', 'u7')?.detail).toContain('无匹配单元');
    // Every member of every campaign ends in exactly one place.
    for (const c of all)
      expect(
        result.messages.filter((x) => x.campaignId === c.id).length +
          result.skipped.filter((x) => x.campaignId === c.id).length +
          result.holdout.filter((x) => x.campaignId === c.id).length,
      ).toBe(ids.length);
  });

  it('without a strategy the same input reaches users through both flows', () => {
    const A = campaign('A', { priority: 90 });
    const B = campaign('B', { priority: 10 });
    const result = planSlot({
      slotAt: NOW,
      campaigns: [A, B],
      members: new Map([
        ['A', ids],
        ['B', ids],
      ]),
      users,
      history: new Map(),
      policy: policy({ maxMarketingPerSlot: 2 }),
    });
    expect(result.messages.filter((x) => x.userId === 'u1')).toHaveLength(2);
  });
});
