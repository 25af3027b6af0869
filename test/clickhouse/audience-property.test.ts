import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReferenceData } from '../../src/core/audience/reference-evaluator.ts';
import { clickhouseDialect, namedParams } from '../../src/core/sql/dialect.ts';
import { ClickHouseDb } from '../../src/storage/clickhouse/client.ts';
import { applyClickHouseDdl } from '../../src/storage/clickhouse/ddl.ts';
import { loadReferenceData } from '../../src/storage/warehouse/reference-data.ts';
import { Warehouse } from '../../src/storage/warehouse/warehouse.ts';
import {
  agreeOnRandomTrees,
  checkDataSet,
  loadPropertyData,
  universeShrinks,
  type RunQuery,
} from '../support/audience-property-data.ts';
import { copyWarehouseToClickHouse } from '../support/clickhouse-copy.ts';
import { testClickHouseTarget } from '../support/clickhouse-target.ts';
import { tempDir } from '../support/tmp.ts';

/**
 * The audience property test (test/audience-property.test.ts) on the ClickHouse engine: the same
 * seeded data, committed into DuckDB and copied into ClickHouse, the same random trees compiled in
 * the ClickHouse dialect, the same reference evaluator. 2 000 trees, seeded as on DuckDB (so the
 * first 200 per instant are the trees DuckDB runs), take about 2 minutes on chDB.
 */

const RUNS = 2000;

const tmp = tempDir('rekindle-ch-audience-prop-');
let wh: Warehouse;
let ch: ClickHouseDb;
let data: ReferenceData;
const run: RunQuery = async (q) =>
  (await ch.query<{ user_id: string }>(q.sql, namedParams(q))).map((r) => r.user_id);

beforeAll(async () => {
  wh = await Warehouse.open(`${tmp.dir}/warehouse.duckdb`);
  await loadPropertyData(wh);
  data = await loadReferenceData(wh);
  ch = await ClickHouseDb.open(testClickHouseTarget(`${tmp.dir}/chdb`, 'audience_property'));
  await applyClickHouseDdl(ch);
  const copied = await copyWarehouseToClickHouse(wh, ch);
  expect(copied['events']).toBe(300);
});
afterAll(async () => {
  await ch.close();
  wh.close();
  tmp.cleanup();
});

describe('SQL compiler (ClickHouse dialect) vs reference evaluator', () => {
  it('the data set exercises the language, and ClickHouse holds the same rows', async () => {
    checkDataSet(data);
    const [counts] = await ch.query<{ p: number; e: number; h: number; s: number }>(
      'SELECT (SELECT count() FROM profiles) AS p, (SELECT count() FROM events) AS e, ' +
        '(SELECT count() FROM profile_history) AS h, (SELECT count() FROM user_scores) AS s',
    );
    expect(counts).toEqual({
      p: data.profiles.length,
      e: data.events.length,
      h: data.history.length,
      s: data.scores.length,
    });
  });

  it(`agree on ${RUNS} random trees (all node kinds, depth ≤ 4)`, async () => {
    await agreeOnRandomTrees({ runs: RUNS, data, run, dialect: clickhouseDialect });
  }, 600_000);

  it('as of a past instant, the universe is the users who existed then', async () => {
    await universeShrinks({ data, run, dialect: clickhouseDialect });
  });
});
