import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileAudience } from '../../src/core/audience/compiler.ts';
import { evaluateReference, type ReferenceData } from '../../src/core/audience/reference-evaluator.ts';
import type { AudienceNode } from '../../src/core/audience/schema.ts';
import { clickhouseDialect, namedParams } from '../../src/core/sql/dialect.ts';
import { ClickHouseDb } from '../../src/storage/clickhouse/client.ts';
import { applyClickHouseDdl } from '../../src/storage/clickhouse/ddl.ts';
import { loadReferenceData } from '../../src/storage/warehouse/reference-data.ts';
import { Warehouse } from '../../src/storage/warehouse/warehouse.ts';
import {
  JSON_TEXTS,
  NOW,
  jsonTextData,
  jsonTextTrees,
  type Tree,
} from '../support/audience-property-data.ts';
import { copyWarehouseToClickHouse } from '../support/clickhouse-copy.ts';
import { testClickHouseTarget } from '../support/clickhouse-target.ts';
import { tempDir } from '../support/tmp.ts';

/**
 * test/audience-json-text.test.ts on the ClickHouse engine: JSON trait and event property texts
 * that casts read differently ('12.5', offsets, 'inf', 'nan', epochs beyond a timestamp's range)
 * compared as times and numbers; the members equal the reference evaluator's.
 */

const tmp = tempDir('rekindle-ch-audience-json-text-');
let wh: Warehouse;
let ch: ClickHouseDb;
let data: ReferenceData;

const members = async (t: Tree): Promise<string[]> => {
  const compiled = compileAudience(t, { now: NOW, dialect: clickhouseDialect });
  if (!compiled.ok) throw new Error(`does not compile: ${JSON.stringify(t)}`);
  const rows = await ch.query<{ user_id: string }>(compiled.value.sql, namedParams(compiled.value));
  return rows.map((r) => r.user_id).sort();
};
const reference = (t: Tree): string[] => [...evaluateReference(t as AudienceNode, data, { now: NOW })].sort();

beforeAll(async () => {
  wh = await Warehouse.open(`${tmp.dir}/warehouse.duckdb`);
  await wh.commit({ ...jsonTextData(), rejections: [] });
  data = await loadReferenceData(wh);
  ch = await ClickHouseDb.open(testClickHouseTarget(`${tmp.dir}/chdb`, 'audience_json_text'));
  await applyClickHouseDdl(ch);
  const copied = await copyWarehouseToClickHouse(wh, ch);
  expect(copied['events']).toBe(JSON_TEXTS.length);
});
afterAll(async () => {
  await ch.close();
  wh.close();
  tmp.cleanup();
});

describe('JSON text as a time or a number (ClickHouse vs reference evaluator)', () => {
  it('every tree has the reference members', async () => {
    const trees = jsonTextTrees();
    let split = 0;
    for (const t of trees) {
      const viaSql = await members(t);
      expect(viaSql, JSON.stringify(t)).toEqual(reference(t));
      if (viaSql.length > 0 && viaSql.length < JSON_TEXTS.length) split += 1;
    }
    expect(split).toBeGreaterThan(trees.length / 2);
  }, 600_000);
});
