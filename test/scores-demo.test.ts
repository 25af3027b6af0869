import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SCORE_CONFIG } from '../src/core/scores/config.ts';
import { ensureDemoWarningRules } from '../src/demo/demo-warning-rules.ts';
import { loadDemo } from '../src/demo/load-demo.ts';
import { churnStructure, type ChurnStructure } from '../src/scores/churn-structure.ts';
import { runScoring } from '../src/scores/run-scoring.ts';
import { migrate } from '../src/storage/control/migrate.ts';
import { openSqlClient, type SqlClient } from '../src/storage/control/sql-client.ts';
import { createUser } from '../src/storage/control/users.ts';
import { Warehouse } from '../src/storage/warehouse/warehouse.ts';

/**
 * The default configuration on the `small` demo data (10 k users): the patterns the generator
 * builds in (src/core/demo/model.ts) must show in the analysis — new users from distribution
 * channels churn most, and most churn happens in the new stage.
 */
const NOW = Date.UTC(2026, 5, 1);

let warehouse: Warehouse;
let control: SqlClient;
beforeAll(async () => {
  warehouse = await Warehouse.open(':memory:');
  control = await openSqlClient({ pgliteDir: 'memory://' });
  await migrate(control);
  await loadDemo(warehouse, { size: 'small', seed: 42, now: NOW });
}, 180_000);
afterAll(async () => {
  warehouse.close();
  await control.close();
});

describe('scores on the small demo data', () => {
  it('shows distribution-channel new users churning most', async () => {
    const r: ChurnStructure = await churnStructure(warehouse, DEFAULT_SCORE_CONFIG, NOW);
    expect(r.users).toBe(10_000);
    const newRate = (channel: string) =>
      r.byChannel.find((c) => c.key === channel)?.stages.find((s) => s.stage === 'new')?.churnRate ?? 0;
    const others = r.byChannel.filter((c) => c.key !== 'distribution').map((c) => newRate(c.key));
    expect(others).toHaveLength(5);
    expect(newRate('distribution')).toBeGreaterThan(Math.max(...others));
    // The distribution channel has the highest churn overall too, and the new stage holds most churn.
    const rates = r.byChannel.map((c) => [c.key, c.churnRate ?? 0] as const).sort((a, b) => b[1] - a[1]);
    expect(rates[0]?.[0]).toBe('distribution');
    const share = (stage: string) => r.byStage.find((s) => s.stage === stage)?.shareOfChurned ?? 0;
    expect(share('new')).toBeGreaterThan(Math.max(share('growing'), share('mature')));
    // Churned users ordered less than retained ones (the seed article's profile of churners).
    const orders = r.profile.find((m) => m.name === 'orders');
    expect(orders?.churned.mean ?? 0).toBeLessThan(orders?.retained.mean ?? 0);
  });

  it('gives every user a stage and a tier, raises the demo warnings once, and recomputing appends nothing', async () => {
    const ctx = { control, warehouse, clock: () => NOW };
    const admin = await createUser(control, { name: 'demo-admin', role: 'admin' });
    if (!admin.ok) throw new Error('user exists');
    const owner = {
      userId: admin.value.id,
      workspaceId: 'default',
      name: 'demo-admin',
      role: 'admin' as const,
    };
    expect(await ensureDemoWarningRules(ctx, owner)).toBe(3);
    const first = await runScoring(ctx);
    expect(first.warnings.failed).toEqual([]);
    expect(first.warnings.rules).toHaveLength(3);
    for (const r of first.warnings.rules) expect(r.raised, r.name).toBeGreaterThan(0);
    expect(Object.values(first.scores.stages).reduce((a, b) => a + b, 0)).toBe(10_000);
    expect(Object.values(first.scores.tiers).reduce((a, b) => a + b, 0)).toBe(10_000);
    expect(Object.keys(first.scores.stages).sort()).toEqual([
      'churned',
      'growing',
      'mature',
      'new',
      'silent',
    ]);
    expect(Object.keys(first.scores.tiers).sort()).toEqual(['high', 'low', 'medium', 'none']);
    const again = await runScoring(ctx);
    expect([again.scores.tierChanged, again.scores.lifecycleChanged, again.warnings.raised]).toEqual([
      0, 0, 0,
    ]);
  });
});
