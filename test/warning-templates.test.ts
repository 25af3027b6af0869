import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileAudience } from '../src/core/audience/compiler.ts';
import { loadDemo } from '../src/demo/load-demo.ts';
import { runScoring } from '../src/scores/run-scoring.ts';
import { excludingChurned, NOT_CHURNED, WARNING_RULE_TEMPLATES } from '../src/scores/warning-rules.ts';
import { migrate } from '../src/storage/control/migrate.ts';
import { openSqlClient, type SqlClient } from '../src/storage/control/sql-client.ts';
import { compiledAudienceMemberIds } from '../src/storage/warehouse/audience-members.ts';
import { Warehouse } from '../src/storage/warehouse/warehouse.ts';

/**
 * Early-warning templates exclude users already churned (features.md B5). Measured on the `small`
 * demo data (10 k users, seed 42) after one scoring run: the seed rule "no login for 15 days and a
 * balance under 100" with and without the exclusion (the numbers are in docs/scores.md).
 */
const NOW = Date.UTC(2026, 5, 1, 10);

let warehouse: Warehouse;
let control: SqlClient;
beforeAll(async () => {
  warehouse = await Warehouse.open(':memory:');
  control = await openSqlClient({ pgliteDir: 'memory://' });
  await migrate(control);
  await loadDemo(warehouse, { size: 'small', seed: 42, now: NOW });
  await runScoring({ control, warehouse, clock: () => NOW });
}, 240_000);
afterAll(async () => {
  warehouse.close();
  await control.close();
});

const members = async (definition: unknown): Promise<string[]> => {
  const c = compileAudience(definition, { now: NOW, resolve: () => undefined });
  if (!c.ok) throw new Error(JSON.stringify(c.error));
  return compiledAudienceMemberIds(warehouse, c.value);
};

const SEED = {
  kind: 'and',
  children: [
    { kind: 'did_not', event: 'login', window: { type: 'last_days', days: 15 } },
    { kind: 'attribute', attribute: 'balance', op: 'lt', value: 100 },
  ],
};

describe('warning rule templates on the small demo data', () => {
  it('every template compiles and excludes churned users', async () => {
    for (const t of WARNING_RULE_TEMPLATES) {
      const d = t.definition as { kind: string; children: unknown[] };
      expect(d.kind, t.name).toBe('and');
      expect(d.children, t.name).toContainEqual(NOT_CHURNED);
      await members(t.definition);
    }
    expect(WARNING_RULE_TEMPLATES[0]?.definition).toEqual(excludingChurned(SEED));
  });

  it('the seed rule flags far fewer users once churned ones are left out, and no churned one', async () => {
    const all = (await members({ kind: 'score', score: 'lifecycle_stage', op: 'exists' })).length;
    expect(all).toBe(10_000);
    const churned = new Set(
      await members({ kind: 'score', score: 'lifecycle_stage', op: 'eq', value: 'churned' }),
    );
    const before = await members(SEED);
    const after = await members(excludingChurned(SEED));
    const share = (n: number) => Math.round((n / all) * 1000) / 10;
    console.log(
      `seed rule on the small demo: ${before.length} users (${share(before.length)} %) before, ` +
        `${after.length} (${share(after.length)} %) after; churned users: ${churned.size} (${share(churned.size)} %)`,
    );
    expect(after.some((u) => churned.has(u))).toBe(false);
    expect(before.filter((u) => churned.has(u)).length).toBe(before.length - after.length);
    expect(after.length).toBeLessThan(before.length / 2);
    expect(after.length).toBeGreaterThan(0);
  });
});
