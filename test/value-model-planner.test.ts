import { afterEach, describe, expect, it } from 'vitest';
import { firstStepGate } from '../src/core/planner/ladder-gate.ts';
import { rosterOf } from '../src/core/planner/roster.ts';
import type { Ladder } from '../src/core/strategies/ladder.ts';
import { runScoring } from '../src/scores/run-scoring.ts';
import { putScoreConfig } from '../src/scores/score-config.ts';
import { idsWho, userValuesCents } from '../src/storage/warehouse/planner-inputs.ts';
import { NOW, TEST_CONFIG, openScenario, seed, type ScenarioStore } from './support/score-scenario.ts';
import { syntheticBuyers } from './support/value-buyers.ts';

/**
 * The planner's "worth the next channel" check (features.md D6) reads `user_scores.ltv`, else
 * the last year's spend. Once the value model has computed LTV, the same ladder step goes to a
 * user the past year's spend undervalues and not to one it overvalues (a big spender who lapsed).
 */

let store: ScenarioStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

describe('value model → recall ladder', () => {
  it('a computed LTV changes who is worth the SMS step', async () => {
    const s = await openScenario();
    store = s;
    expect((await putScoreConfig(s, null, { version: 0, config: TEST_CONFIG })).ok).toBe(true);
    await seed(s.warehouse, [], syntheticBuyers(NOW));
    const ids = Array.from({ length: 300 }, (_, u) => `b${u}`);
    const values = () => {
      const { who, params } = idsWho(ids);
      return userValuesCents(s.warehouse, who, params, NOW);
    };

    const bySpend = await values();
    await runScoring(s, 'default', { now: NOW });
    const byLtv = await values();
    const ltv = new Map(
      (await s.warehouse.query<{ user_id: string; ltv: number }>('SELECT user_id, ltv FROM user_scores')).map(
        (r) => [r.user_id, Math.round(100 * r.ltv)],
      ),
    );
    // The planner now reads the model's LTV for every buyer.
    for (const id of ids) expect(byLtv.get(id)).toBe(ltv.get(id));

    // Undervalued by the past year: a steady buyer whose expected future spend exceeds it.
    const up = ids.find((id) => byLtv.get(id)! > 1.5 * bySpend.get(id)!)!;
    // Overvalued by the past year: spent a lot, then stopped.
    const down = ids.find((id) => bySpend.get(id)! > 3 * byLtv.get(id)!)!;
    expect(up).toBeDefined();
    expect(down).toBeDefined();

    const gate = (id: string, values: Map<string, number>) => {
      const bar = Math.round((bySpend.get(id)! + byLtv.get(id)!) / 2);
      const ladder: Ladder = {
        steps: [{ channel: 'sms', waitHours: 48, minValueCents: bar }],
        responseEvents: ['order'],
        doNotDisturbBelowCents: 0,
      };
      const roster = rosterOf(new Map([['ladder', [id]]]), new Map());
      return firstStepGate(roster, 0, 'ladder', ladder, values, NOW).skips.map((x) => x.reason);
    };
    expect(gate(up, bySpend)).toEqual(['not_worth']);
    expect(gate(up, byLtv)).toEqual([]);
    expect(gate(down, bySpend)).toEqual([]);
    expect(gate(down, byLtv)).toEqual(['not_worth']);
  }, 60_000);
});
