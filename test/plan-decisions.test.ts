import { afterEach, describe, expect, it } from 'vitest';
import type { SkipReason } from '../src/core/planner/types.ts';
import { groupDecisions, writeDecisions } from '../src/planner/plan-decisions.ts';
import { openScenario, type ScenarioStore } from './support/score-scenario.ts';

/** A slot's decisions are stored a row per group with its users as a list; read per member. */

const NOW = Date.UTC(2026, 10, 20, 12);
let store: ScenarioStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

describe('plan decisions', () => {
  it('every held-out and skipped member comes back from decided_members with its reason and detail', async () => {
    const s = await openScenario();
    store = s;
    const odd = ['new\nline', 'comma,and "quote"', '中文', 'back\\slash'];
    const skipped = [
      ...Array.from({ length: 500 }, (_, i) => ({
        campaignId: 'c1',
        userId: `u${i}`,
        reason: (i % 2 ? 'cap_total' : 'unreachable') as SkipReason,
        detail: i % 2 ? 'one a day' : null,
      })),
      ...odd.map((userId) => ({
        campaignId: 'c2',
        userId,
        reason: 'conflict' as SkipReason,
        detail: 'c1 won',
      })),
    ];
    const holdout = [
      { campaignId: 'c1', userId: 'h1' },
      { campaignId: 'c1', userId: 'h2', reason: 'global_control' as const },
    ];
    const groups = groupDecisions({ holdout, skipped }, [
      { campaignId: 'c2', userId: 'x', reason: 'waiting' },
    ]);
    // c1: holdout, global control, unreachable, cap_total; c2: conflict, waiting.
    expect(groups).toHaveLength(6);
    await writeDecisions(
      s.warehouse,
      groups,
      new Map([
        ['c1', 'c1@1'],
        ['c2', 'c2@1'],
      ]),
      NOW,
    );
    const rows = await s.warehouse.query<{
      run_id: string;
      user_id: string;
      decision: string;
      reason: string | null;
      detail: string | null;
      ms: bigint;
    }>('SELECT run_id, user_id, decision, reason, detail, epoch_ms(slot_at) AS ms FROM decided_members');
    const key = (r: { user_id: string; decision: string; reason: string | null; detail: string | null }) =>
      `${r.user_id}|${r.decision}|${r.reason}|${r.detail}`;
    const want = [
      ...skipped.map((x) =>
        key({ user_id: x.userId, decision: 'skipped', reason: x.reason, detail: x.detail }),
      ),
      key({ user_id: 'h1', decision: 'holdout', reason: null, detail: null }),
      key({ user_id: 'h2', decision: 'holdout', reason: 'global_control', detail: null }),
      key({ user_id: 'x', decision: 'skipped', reason: 'waiting', detail: null }),
    ];
    expect(rows.map(key).sort()).toEqual(want.sort());
    expect(new Set(rows.map((r) => Number(r.ms)))).toEqual(new Set([NOW]));
    expect(rows.find((r) => r.user_id === 'new\nline')?.run_id).toBe('c2@1');
  });
});
