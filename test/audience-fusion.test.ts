import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileAudience } from '../src/core/audience/compiler.ts';
import type { ReferenceData } from '../src/core/audience/reference-evaluator.ts';
import { DAY_MS } from '../src/core/time/units.ts';
import { loadReferenceData } from '../src/storage/warehouse/reference-data.ts';
import { Warehouse } from '../src/storage/warehouse/warehouse.ts';
import { fusedTreesAgree } from './support/audience-fusion-trees.ts';
import { loadPropertyData, NOW, type RunQuery } from './support/audience-property-data.ts';
import { tempDir } from './support/tmp.ts';

/**
 * Sibling event conditions on the same events are answered in one pass (compiler.ts
 * `fuseSiblings`): the SQL shape, and the members against the reference evaluator on DuckDB.
 */

const tmp = tempDir('rekindle-audience-fusion-');
let wh: Warehouse;
let data: ReferenceData;
const run: RunQuery = async (q) =>
  (await wh.query<{ user_id: string }>(q.sql, q.params)).map((r) => r.user_id);

beforeAll(async () => {
  wh = await Warehouse.open(`${tmp.dir}/warehouse.duckdb`);
  await loadPropertyData(wh);
  data = await loadReferenceData(wh);
});
afterAll(() => {
  wh.close();
  tmp.cleanup();
});

const last = (days: number) => ({ type: 'last_days', days }) as const;

describe('sibling event conditions in one pass', () => {
  it('a metric and a did_not on the same event: one GROUP BY, FILTERed aggregates over the union window', () => {
    const r = compileAudience(
      {
        kind: 'and',
        children: [
          { kind: 'metric', event: 'pay', fn: 'count', op: 'gte', value: 3, window: last(90) },
          { kind: 'did_not', event: 'pay', window: last(14) },
        ],
      },
      { now: NOW },
    );
    expect(r.ok && r.value).toEqual({
      sql:
        'SELECT p.user_id FROM profiles p WHERE least(p.first_seen, p.register_time) <= epoch_ms(CAST($1 AS BIGINT)) ' +
        'AND (p.user_id IN (SELECT e.user_id FROM events e WHERE e.event = $2 AND e.ts <= epoch_ms(CAST($1 AS BIGINT)) ' +
        'AND e.ts >= epoch_ms(CAST($3 AS BIGINT)) GROUP BY e.user_id ' +
        'HAVING ((count(*) FILTER (WHERE e.ts >= epoch_ms(CAST($3 AS BIGINT))) >= $4) AND ' +
        'count(*) FILTER (WHERE e.ts >= epoch_ms(CAST($5 AS BIGINT))) = 0)))',
      params: [NOW, 'pay', NOW - 90 * DAY_MS, 3, NOW - 14 * DAY_MS],
    });
  });

  it('leaves alone a group without a condition that needs an event, and different filters', () => {
    const r = compileAudience(
      {
        kind: 'and',
        children: [
          { kind: 'did_not', event: 'pay', window: last(14) },
          { kind: 'did_not', event: 'pay', window: last(30) },
          { kind: 'did', event: 'order', where: [{ property: 'amount', op: 'gt', value: 1 }] },
          { kind: 'did', event: 'order' },
        ],
      },
      { now: NOW },
    );
    expect(r.ok && r.value.sql).not.toContain('FILTER');
  });

  it('reports a member’s problem as the member would, once', () => {
    const r = compileAudience(
      {
        kind: 'and',
        children: [
          { kind: 'did', event: 'order' },
          { kind: 'metric', event: 'order', fn: 'sum', op: 'gt', value: 1 },
        ],
      },
      { now: NOW },
    );
    expect(r.ok ? [] : r.error).toEqual([
      { path: 'root.children[1].property', message: 'is required for sum' },
    ]);
  });

  it('agrees with the reference evaluator on 300 grouped trees', async () => {
    await fusedTreesAgree({ runs: 300, data, run });
  });
});
