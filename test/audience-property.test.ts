import { afterAll, beforeAll, describe, it } from 'vitest';
import type { ReferenceData } from '../src/core/audience/reference-evaluator.ts';
import { loadReferenceData } from '../src/storage/warehouse/reference-data.ts';
import { Warehouse } from '../src/storage/warehouse/warehouse.ts';
import {
  agreeOnRandomTrees,
  checkDataSet,
  loadPropertyData,
  universeShrinks,
  type RunQuery,
} from './support/audience-property-data.ts';
import { tempDir } from './support/tmp.ts';

/**
 * Random audience trees (every node kind, depth ≤ 4) are evaluated by the SQL compiler on a real
 * DuckDB and by the in-memory reference evaluator on the same random data; the members must be
 * identical. Seeded, so a failure reproduces; fast-check shrinks it to a small tree. The data,
 * trees and property are shared with the ClickHouse run (test/support/audience-property-data.ts).
 */

const RUNS = 1000;

const tmp = tempDir('rekindle-audience-prop-');
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

describe('SQL compiler vs reference evaluator', () => {
  it('the data set exercises the language', () => {
    checkDataSet(data);
  });

  it(`agree on ${RUNS} random trees (all node kinds, depth ≤ 4)`, async () => {
    await agreeOnRandomTrees({ runs: RUNS, data, run });
  });

  it('as of a past instant, the universe is the users who existed then', async () => {
    await universeShrinks({ data, run });
  });
});
