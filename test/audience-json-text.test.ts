import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileAudience } from '../src/core/audience/compiler.ts';
import { evaluateReference, type ReferenceData } from '../src/core/audience/reference-evaluator.ts';
import type { AudienceNode } from '../src/core/audience/schema.ts';
import { loadReferenceData } from '../src/storage/warehouse/reference-data.ts';
import { Warehouse } from '../src/storage/warehouse/warehouse.ts';
import { JSON_TEXTS, NOW, jsonTextData, jsonTextTrees, type Tree } from './support/audience-property-data.ts';
import { tempDir } from './support/tmp.ts';

/**
 * A JSON trait or event property TEXT compared as a time or a number: DuckDB's members equal the
 * reference evaluator's for texts its casts once read differently ('12.5' as 13 ms, an offset
 * dropped, 'inf' and 'nan' as numbers, an epoch beyond its timestamps throwing). The same cases
 * run on ClickHouse in test/clickhouse/audience-json-text.test.ts.
 */

const tmp = tempDir('rekindle-audience-json-text-');
let wh: Warehouse;
let data: ReferenceData;

const members = async (t: Tree): Promise<string[]> => {
  const compiled = compileAudience(t, { now: NOW });
  if (!compiled.ok) throw new Error(`does not compile: ${JSON.stringify(t)}`);
  const rows = await wh.query<{ user_id: string }>(compiled.value.sql, compiled.value.params);
  return rows.map((r) => r.user_id).sort();
};
const reference = (t: Tree): string[] => [...evaluateReference(t as AudienceNode, data, { now: NOW })].sort();
const user = (text: unknown): string => `j${String(JSON_TEXTS.indexOf(text)).padStart(2, '0')}`;

beforeAll(async () => {
  wh = await Warehouse.open(`${tmp.dir}/warehouse.duckdb`);
  await wh.commit({ ...jsonTextData(), rejections: [] });
  data = await loadReferenceData(wh);
});
afterAll(() => {
  wh.close();
  tmp.cleanup();
});

describe('JSON text as a time or a number (DuckDB vs reference evaluator)', () => {
  it('every tree has the reference members', async () => {
    expect(data.profiles).toHaveLength(JSON_TEXTS.length);
    const trees = jsonTextTrees();
    expect(trees.length).toBeGreaterThan(300);
    let split = 0;
    for (const t of trees) {
      const viaSql = await members(t);
      expect(viaSql, JSON.stringify(t)).toEqual(reference(t));
      if (viaSql.length > 0 && viaSql.length < JSON_TEXTS.length) split += 1;
    }
    expect(split).toBeGreaterThan(trees.length / 2);
  });

  it('reads offsets, refuses decimals and non-finite words, and survives epochs beyond its range', async () => {
    const after = async (time: unknown) => members({ kind: 'attribute', attribute: 'jt', op: 'after', time });
    // 10:00+08:00 is 02:00Z; 10:00-05:30 is 15:30Z.
    expect(await after('2024-05-01T01:59:59Z')).toContain(user('2024-05-01T10:00:00+08:00'));
    expect(await after('2024-05-01T02:00:00Z')).not.toContain(user('2024-05-01T10:00:00+08:00'));
    expect(await after('2024-05-01T15:00:00Z')).toContain(user('2024-05-01T10:00:00-0530'));
    // '12.5' is no time; a huge epoch is after every time, and the query does not fail.
    const afterZero = await after(0);
    expect(afterZero).not.toContain(user('12.5'));
    expect(afterZero).toContain(user('99999999999999999'));
    expect(afterZero).not.toContain(user('-99999999999999999'));
    const gt = await members({ kind: 'attribute', attribute: 'jt', op: 'gt', value: -1 });
    for (const word of ['inf', 'nan', 'Infinity', '1_000']) expect(gt).not.toContain(user(word));
    expect(gt).toContain(user('1e400'));
  });
});
