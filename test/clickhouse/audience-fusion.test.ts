import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReferenceData } from '../../src/core/audience/reference-evaluator.ts';
import { clickhouseDialect, namedParams } from '../../src/core/sql/dialect.ts';
import { ClickHouseDb } from '../../src/storage/clickhouse/client.ts';
import { applyClickHouseDdl } from '../../src/storage/clickhouse/ddl.ts';
import { loadReferenceData } from '../../src/storage/warehouse/reference-data.ts';
import { Warehouse } from '../../src/storage/warehouse/warehouse.ts';
import { fusedTreesAgree } from '../support/audience-fusion-trees.ts';
import { loadPropertyData, type RunQuery } from '../support/audience-property-data.ts';
import { copyWarehouseToClickHouse } from '../support/clickhouse-copy.ts';
import { testClickHouseTarget } from '../support/clickhouse-target.ts';
import { tempDir } from '../support/tmp.ts';

/**
 * Sibling event conditions answered in one pass (compiler.ts `fuseSiblings`) on ClickHouse: its
 * `FILTER (WHERE …)` aggregates give a default value, not NULL, over no row (min, max, avg, the
 * times), which the grouped SQL guards; the members must equal the reference evaluator's.
 */

const tmp = tempDir('rekindle-ch-audience-fusion-');
let wh: Warehouse;
let ch: ClickHouseDb;
let data: ReferenceData;
const run: RunQuery = async (q) =>
  (await ch.query<{ user_id: string }>(q.sql, namedParams(q))).map((r) => r.user_id);

beforeAll(async () => {
  wh = await Warehouse.open(`${tmp.dir}/warehouse.duckdb`);
  await loadPropertyData(wh);
  data = await loadReferenceData(wh);
  ch = await ClickHouseDb.open(testClickHouseTarget(`${tmp.dir}/chdb`, 'audience_fusion'));
  await applyClickHouseDdl(ch);
  const copied = await copyWarehouseToClickHouse(wh, ch);
  expect(copied['events']).toBe(300);
});
afterAll(async () => {
  await ch.close();
  wh.close();
  tmp.cleanup();
});

describe('sibling event conditions in one pass, ClickHouse dialect', () => {
  it('agree with the reference evaluator on 300 grouped trees', async () => {
    await fusedTreesAgree({ runs: 300, data, run, dialect: clickhouseDialect });
  });
});
