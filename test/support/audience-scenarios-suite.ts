import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { compileAudience } from '../../src/core/audience/compiler.ts';
import { bucketOf } from '../../src/core/audience/bucket.ts';
import { maskEmail, maskPhone } from '../../src/core/audience/mask.ts';
import { evaluateReference, type ReferenceData } from '../../src/core/audience/reference-evaluator.ts';
import { AudienceNode, formatAudienceError, type AudienceResolver } from '../../src/core/audience/schema.ts';
import { countQuery, sampleQuery } from '../../src/core/audience/sql.ts';
import { HOUR_MS } from '../../src/core/audience/time.ts';
import { twoGroupToTree } from '../../src/core/audience/two-group.ts';
import { validateAudience } from '../../src/core/audience/validate.ts';
import { audienceMembers, countAudience, sampleAudience } from '../../src/audience/run-audience.ts';
import { loadReferenceData } from '../../src/storage/warehouse/reference-data.ts';
import { Warehouse } from '../../src/storage/warehouse/warehouse.ts';
import { testClickHouseTarget } from './clickhouse-target.ts';
import { tempDir } from './tmp.ts';
import { DAY_MS } from '../../src/core/time/units.ts';
import { clickhouseDialect, duckdbDialect, namedParams } from '../../src/core/sql/dialect.ts';
import { ClickHouseDb } from '../../src/storage/clickhouse/client.ts';
import { applyClickHouseDdl } from '../../src/storage/clickhouse/ddl.ts';
import { copyWarehouseToClickHouse } from './clickhouse-copy.ts';
import { recordBuilders } from './record-builders.ts';

/**
 * The audience scenarios (hand-written data, each node kind and its edge cases), run on one
 * engine: test/audience-scenarios.test.ts on DuckDB, test/clickhouse/audience-scenarios.test.ts on
 * ClickHouse (chDB). The data is committed into DuckDB and, for ClickHouse, copied over; every
 * scenario's members come from the engine's SQL and must equal the reference evaluator's and the
 * stated list. The SQL text, the run-audience helpers (which take a DuckDB Warehouse) and the
 * masking run on DuckDB only (test/clickhouse/audience-sql.test.ts has the ClickHouse text).
 */

export type ScenarioEngine = 'duckdb' | 'clickhouse';

const NOW = Date.UTC(2024, 5, 1); // 2024-06-01T00:00:00Z
const ago = (days: number, hours = 0) => NOW - days * DAY_MS + hours * HOUR_MS;
const iso = (ms: number) => new Date(ms).toISOString();
const ALL = ['alice', 'bob', 'carol', 'dave', 'erin'];

const { track, identify } = recordBuilders(NOW);

const identifies = [
  identify('alice', ago(400), {
    city: 'Beijing',
    email: 'Alice@Example.com',
    phone: '138-1234-8000',
    createdAt: iso(ago(400)),
    tags: ['vip', 'new'],
    level: 3,
  }),
  identify('alice', ago(100), {
    city: 'Shanghai',
    balance: 50,
    plan: 'gold',
    consentSms: true,
    nickname: "O'Brien",
  }),
  identify('bob', ago(10), {
    city: 'Beijing',
    balance: 500,
    createdAt: iso(ago(10)),
    level: '7',
    tags: ['new'],
    email: 'bob@example.com',
  }),
  identify('carol', ago(200), {
    city: 'Shenzhen',
    createdAt: iso(ago(200)),
    vip: true,
    address: { city: 'Shenzhen' },
  }),
  identify('dave', ago(3), { city: 'Hangzhou' }),
  identify('erin', ago(60), { balance: 0 }),
];

const events = [
  track('alice', 'login', ago(40)),
  track('alice', 'order', ago(20), { amount: 30, category: 'books', coupon: 'C1' }),
  track('alice', 'login', ago(1)),
  track('alice', 'view', ago(1, 1), { product_id: 'p1' }),
  track('alice', 'add_to_cart', ago(1, 2), { product_id: 'p1' }),
  track('alice', 'order', ago(1, 3), { amount: 100, category: 'shoes', coupon: 'C2' }),
  track('bob', 'login', ago(40)),
  track('bob', 'order', ago(39), { amount: 5, category: 'books' }),
  track('bob', 'login', ago(2)),
  track('bob', 'view', ago(2, 1)),
  track('carol', 'login', ago(5)),
  track('carol', 'add_to_cart', ago(5, 1)),
  track('carol', 'view', ago(5, 2)),
  track('carol', 'order', ago(5, 3), { amount: 20, category: 'shoes' }),
  track('carol', 'order', NOW + HOUR_MS, { amount: 1000 }), // after now: never seen
  track('erin', 'pay', ago(3), { amount: 10 }),
  track('erin', 'pay', ago(2), { amount: 20 }),
  track('erin', 'pay', ago(1)),
];

const saved: Record<string, AudienceNode> = {
  buyers: { kind: 'did', event: 'order' },
  'shanghai-buyers': {
    kind: 'and',
    children: [
      { kind: 'audience', id: 'buyers' },
      { kind: 'attribute', attribute: 'city', op: 'eq', value: 'Shanghai' },
    ],
  },
  a: { kind: 'or', children: [{ kind: 'audience', id: 'b' }] },
  b: { kind: 'and', children: [{ kind: 'audience', id: 'a' }] },
  broken: { kind: 'attribute', attribute: 'balance', op: 'eq', value: 'lots' },
};
const resolve: AudienceResolver = (id) => saved[id];

export const audienceScenarios = (engine: ScenarioEngine): void => {
  const dialect = engine === 'clickhouse' ? clickhouseDialect : duckdbDialect;
  const duckOnly = engine !== 'duckdb';
  const tmp = tempDir('rekindle-audience-');
  let wh: Warehouse;
  let ch: ClickHouseDb | undefined;
  let reference: ReferenceData;
  beforeAll(async () => {
    wh = await Warehouse.open(`${tmp.dir}/warehouse.duckdb`);
    await wh.commit({ events, identifies, rejections: [] });
    const conn = await wh.connect();
    const scores: (string | number | null)[][] = [
      ['alice', 'mature', 'high', 5, 4, 5, 0.1, 'low', 900, NOW - DAY_MS],
      ['bob', 'new', 'medium', 3, 1, 1, 0.8, 'high', 20, NOW - DAY_MS],
      ['carol', 'silent', 'medium', 2, 1, 2, 0.5, 'medium', null, NOW - 40 * DAY_MS],
    ];
    for (const s of scores) {
      await conn.run(
        `INSERT INTO user_scores (user_id, lifecycle_stage, rfm_tier, rfm_r, rfm_f, rfm_m, churn_risk_score, churn_risk_level, ltv, computed_at) ` +
          `VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, epoch_ms(CAST($10 AS BIGINT)))`,
        s,
      );
    }
    conn.closeSync();
    reference = await loadReferenceData(wh);
    if (engine === 'clickhouse') {
      ch = await ClickHouseDb.open(testClickHouseTarget(`${tmp.dir}/chdb`, 'audience_scenarios'));
      await applyClickHouseDdl(ch);
      await copyWarehouseToClickHouse(wh, ch);
    }
  });
  afterAll(async () => {
    await ch?.close();
    wh.close();
    tmp.cleanup();
  });

  /** Rows of a query on the engine under test (`$1` / `{p1:…}` from `params`). */
  const rowsOf = async <T>(sql: string, params: (string | number | boolean | null)[]): Promise<T[]> =>
    ch === undefined ? wh.query<T>(sql, params) : ch.query<T>(sql, namedParams({ params }));
  const countOf = async (table: 'events' | 'profiles'): Promise<number> =>
    Number((await rowsOf<{ n: number | bigint }>(`SELECT count(*) AS n FROM ${table}`, []))[0]?.n);

  /** Runs the audience through SQL on the engine and through the reference evaluator; both must agree. */
  const members = async (node: unknown, now = NOW): Promise<string[]> => {
    const compiled = compileAudience(node, { now, resolve, dialect });
    if (!compiled.ok) throw new Error(compiled.error.map(formatAudienceError).join('\n'));
    const rows = await rowsOf<{ user_id: string }>(compiled.value.sql, compiled.value.params);
    const viaSql = rows.map((r) => r.user_id).sort();
    const viaReference = [...evaluateReference(node as AudienceNode, reference, { now, resolve })].sort();
    expect(viaSql, compiled.value.sql).toEqual(viaReference);
    return viaSql;
  };
  const errors = (node: unknown): string[] => {
    const compiled = compileAudience(node, { now: NOW, resolve, dialect });
    if (compiled.ok) throw new Error(`expected errors, got SQL ${compiled.value.sql}`);
    return compiled.error.map(formatAudienceError);
  };

  const attr = (attribute: string, cmp: Record<string, unknown>) => ({
    kind: 'attribute',
    attribute,
    ...cmp,
  });
  const not = (child: unknown) => ({ kind: 'not', child });

  describe('profile conditions', () => {
    it('compares typed columns (missing values never match, except not_exists)', async () => {
      expect(await members(attr('city', { op: 'eq', value: 'Shanghai' }))).toEqual(['alice']);
      expect(await members(attr('city', { op: 'neq', value: 'Shanghai' }))).toEqual(['bob', 'carol', 'dave']);
      expect(await members(not(attr('city', { op: 'eq', value: 'Shanghai' })))).toEqual([
        'bob',
        'carol',
        'dave',
        'erin',
      ]);
      expect(await members(attr('city', { op: 'in', values: ['Beijing', 'Shenzhen'] }))).toEqual([
        'bob',
        'carol',
      ]);
      expect(await members(attr('city', { op: 'not_in', values: ['Beijing'] }))).toEqual([
        'alice',
        'carol',
        'dave',
      ]);
      expect(await members(attr('email', { op: 'contains', value: '@example.com' }))).toEqual([
        'alice',
        'bob',
      ]);
      expect(await members(attr('email', { op: 'not_contains', value: 'bob' }))).toEqual(['alice']);
      expect(await members(attr('balance', { op: 'gt', value: 40 }))).toEqual(['alice', 'bob']);
      expect(await members(attr('balance', { op: 'between', min: 0, max: 50 }))).toEqual(['alice', 'erin']);
      expect(await members(attr('balance', { op: 'lte', value: 0 }))).toEqual(['erin']);
      expect(await members(attr('balance', { op: 'exists' }))).toEqual(['alice', 'bob', 'erin']);
      expect(await members(attr('balance', { op: 'not_exists' }))).toEqual(['carol', 'dave']);
      expect(await members(attr('consent_sms', { op: 'eq', value: true }))).toEqual(['alice']);
      expect(await members(attr('user_id', { op: 'in', values: ['alice', 'dave', 'nobody'] }))).toEqual([
        'alice',
        'dave',
      ]);
    });

    it('accepts trait aliases of typed columns', async () => {
      expect(await members(attr('plan', { op: 'eq', value: 'gold' }))).toEqual(['alice']);
      expect(await members(attr('membership', { op: 'eq', value: 'gold' }))).toEqual(['alice']);
    });

    it('compares dates: before / after / between / within the last N days', async () => {
      expect(await members(attr('register_time', { op: 'within_last', days: 30 }))).toEqual(['bob']);
      expect(await members(attr('register_time', { op: 'before', time: { daysAgo: 300 } }))).toEqual([
        'alice',
      ]);
      expect(await members(attr('register_time', { op: 'after', time: '2024-01-01' }))).toEqual(['bob']);
      expect(
        await members(attr('register_time', { op: 'between', min: { daysAgo: 250 }, max: { daysAgo: 100 } })),
      ).toEqual(['carol']);
      expect(
        await members(attr('register_time', { op: 'between', min: ago(10), max: iso(ago(10)) })),
      ).toEqual(['bob']);
    });

    it('reads JSON traits: arrays contain elements, numbers compare numerically, nested paths', async () => {
      expect(await members(attr('tags', { op: 'contains', value: 'new' }))).toEqual(['alice', 'bob']);
      expect(await members(attr('tags', { op: 'contains', value: 'vip' }))).toEqual(['alice']);
      // An array contains whole elements, not substrings; a text contains substrings.
      expect(await members(attr('tags', { op: 'contains', value: 'ne' }))).toEqual([]);
      expect(await members(attr('tags', { op: 'not_contains', value: 'vip' }))).toEqual(['bob']);
      expect(await members(attr('nickname', { op: 'contains', value: "'Br" }))).toEqual(['alice']);
      expect(await members(attr('level', { op: 'gte', value: 3 }))).toEqual(['alice', 'bob']);
      expect(await members(attr('level', { op: 'eq', value: 7 }))).toEqual(['bob']);
      expect(await members(attr('level', { op: 'eq', value: '3' }))).toEqual(['alice']);
      expect(await members(attr('vip', { op: 'eq', value: true }))).toEqual(['carol']);
      expect(await members(attr('address.city', { op: 'eq', value: 'Shenzhen' }))).toEqual(['carol']);
      expect(await members(attr('nickname', { op: 'eq', value: "O'Brien" }))).toEqual(['alice']);
      expect(await members(attr('level', { op: 'not_exists' }))).toEqual(['carol', 'dave', 'erin']);
    });

    it('finds a phone however the operator writes it (stored in E.164)', async () => {
      expect(await members(attr('phone', { op: 'eq', value: '13812348000' }))).toEqual(['alice']);
      expect(
        await members(attr('phone', { op: 'in', values: ['+86 138 1234 8000', '008613800000000'] })),
      ).toEqual(['alice']);
      expect(await members(attr('phone', { op: 'neq', value: '8613812348000' }))).toEqual([]);
      // Not a whole number: compared as typed.
      expect(await members(attr('phone', { op: 'contains', value: '1234' }))).toEqual(['alice']);
      expect(await members(attr('phone', { op: 'eq', value: '1234' }))).toEqual([]);
    });

    it('evaluates a value at time T from the profile history', async () => {
      const beijing = { op: 'eq', value: 'Beijing' };
      expect(await members(attr('city', beijing))).toEqual(['bob']);
      expect(await members({ ...attr('city', beijing), at: { daysAgo: 150 } })).toEqual(['alice']);
      expect(await members({ ...attr('city', beijing), at: iso(ago(5)) })).toEqual(['bob']);
      expect(await members({ ...attr('city', { op: 'not_exists' }), at: { daysAgo: 150 } })).toEqual([
        'bob',
        'dave',
        'erin',
      ]);
      expect(await members({ ...attr('balance', { op: 'gte', value: 10 }), at: { daysAgo: 50 } })).toEqual([
        'alice',
      ]);
      expect(await members({ ...attr('phone', { op: 'eq', value: '138-1234-8000' }), at: NOW })).toEqual([
        'alice',
      ]);
      expect(await members({ ...attr('tags', { op: 'exists' }), at: { daysAgo: 500 } })).toEqual([]);
    });
  });

  describe('computed scores', () => {
    const score = (name: string, cmp: Record<string, unknown>) => ({ kind: 'score', score: name, ...cmp });
    it('reads user_scores; users without a row have no score', async () => {
      expect(await members(score('lifecycle_stage', { op: 'eq', value: 'mature' }))).toEqual(['alice']);
      expect(await members(score('churn_risk_level', { op: 'in', values: ['high', 'medium'] }))).toEqual([
        'bob',
        'carol',
      ]);
      expect(await members(score('churn_risk_score', { op: 'gte', value: 0.5 }))).toEqual(['bob', 'carol']);
      expect(await members(score('rfm_r', { op: 'eq', value: 5 }))).toEqual(['alice']);
      expect(await members(not(score('lifecycle_stage', { op: 'eq', value: 'new' })))).toEqual([
        'alice',
        'carol',
        'dave',
        'erin',
      ]);
      expect(await members(score('rfm_tier', { op: 'not_exists' }))).toEqual(['dave', 'erin']);
      expect(await members(score('ltv', { op: 'exists' }))).toEqual(['alice', 'bob']);
      expect(await members(score('computed_at', { op: 'within_last', days: 7 }))).toEqual(['alice', 'bob']);
    });

    it('refuses values outside the fixed enums', () => {
      expect(errors(score('lifecycle_stage', { op: 'eq', value: 'dormant' }))).toEqual([
        'root.value: expected one of new, growing, mature, silent, churned for lifecycle_stage',
      ]);
    });
  });

  describe('behaviour conditions', () => {
    const did = (event: string, extra: Record<string, unknown> = {}) => ({ kind: 'did', event, ...extra });
    const metric = (event: string, fn: string, extra: Record<string, unknown>) => ({
      kind: 'metric',
      event,
      fn,
      ...extra,
    });

    it('did / did not, with windows (events after now never count)', async () => {
      expect(await members(did('order'))).toEqual(['alice', 'bob', 'carol']);
      expect(await members(did('order', { window: { type: 'last_days', days: 7 } }))).toEqual([
        'alice',
        'carol',
      ]);
      expect(
        await members({ kind: 'did_not', event: 'order', window: { type: 'last_days', days: 30 } }),
      ).toEqual(['bob', 'dave', 'erin']);
      expect(
        await members(
          did('order', { window: { type: 'between', from: { daysAgo: 25 }, to: { daysAgo: 10 } } }),
        ),
      ).toEqual(['alice']);
      // The window is inclusive at both ends: an event exactly N days before now counts.
      expect(await members(did('login', { window: { type: 'last_days', days: 40 } }))).toEqual([
        'alice',
        'bob',
        'carol',
      ]);
      const twoLogins = (days: number) =>
        members({
          kind: 'metric',
          event: 'login',
          fn: 'count',
          op: 'gte',
          value: 2,
          window: { type: 'last_days', days },
        });
      expect(await twoLogins(40)).toEqual(['alice', 'bob']);
      expect(await twoLogins(39.99)).toEqual([]);
      expect(await members(did('order', { window: { type: 'last_days', days: 39 } }))).toEqual([
        'alice',
        'bob',
        'carol',
      ]);
      expect(await members(did('order', { window: { type: 'last_days', days: 38 } }))).toEqual([
        'alice',
        'carol',
      ]);
      // An earlier `now` sees the audience as it was then.
      expect(await members(did('order'), ago(30))).toEqual(['bob']);
    });

    it('since another event (last or first occurrence)', async () => {
      expect(await members(did('order', { window: { type: 'since', event: 'login' } }))).toEqual([
        'alice',
        'carol',
      ]);
      expect(
        await members(did('order', { window: { type: 'since', event: 'login', occurrence: 'first' } })),
      ).toEqual(['alice', 'bob', 'carol']);
      expect(
        await members(
          metric('order', 'count', { op: 'eq', value: 0, window: { type: 'since', event: 'login' } }),
        ),
      ).toEqual(['bob', 'dave', 'erin']);
    });

    it('filters on typed columns and JSON properties', async () => {
      expect(
        await members(did('order', { where: [{ property: 'category', op: 'eq', value: 'shoes' }] })),
      ).toEqual(['alice', 'carol']);
      expect(await members(did('order', { where: [{ property: 'coupon', op: 'eq', value: 'C1' }] }))).toEqual(
        ['alice'],
      );
      expect(await members(did('order', { where: [{ property: 'amount', op: 'gte', value: 50 }] }))).toEqual([
        'alice',
      ]);
      expect(
        await members(
          did('order', {
            where: [
              { property: 'category', op: 'eq', value: 'books' },
              { property: 'amount', op: 'lt', value: 10 },
            ],
          }),
        ),
      ).toEqual(['bob']);
    });

    it('count / sum / avg / min / max / count_distinct with comparisons (0 for users without events)', async () => {
      const last30 = { type: 'last_days', days: 30 };
      expect(await members(metric('order', 'count', { op: 'gte', value: 2, window: last30 }))).toEqual([
        'alice',
      ]);
      expect(await members(metric('order', 'count', { op: 'eq', value: 0 }))).toEqual(['dave', 'erin']);
      expect(await members(metric('order', 'count', { op: 'lt', value: 2 }))).toEqual([
        'bob',
        'carol',
        'dave',
        'erin',
      ]);
      expect(await members(metric('order', 'count', { op: 'neq', value: 1 }))).toEqual([
        'alice',
        'dave',
        'erin',
      ]);
      expect(await members(metric('order', 'sum', { property: 'amount', op: 'gte', value: 100 }))).toEqual([
        'alice',
      ]);
      expect(await members(metric('order', 'sum', { property: 'amount', op: 'lt', value: 25 }))).toEqual([
        'bob',
        'carol',
        'dave',
        'erin',
      ]);
      expect(await members(metric('pay', 'avg', { property: 'amount', op: 'eq', value: 15 }))).toEqual([
        'erin',
      ]);
      expect(
        await members(metric('pay', 'sum', { property: 'amount', op: 'between', min: 30, max: 30 })),
      ).toEqual(['erin']);
      expect(await members(metric('order', 'max', { property: 'amount', op: 'gt', value: 50 }))).toEqual([
        'alice',
      ]);
      expect(await members(metric('order', 'min', { property: 'amount', op: 'lt', value: 10 }))).toEqual([
        'bob',
      ]);
      expect(await members(metric('order', 'avg', { property: 'amount', op: 'lt', value: 1000 }))).toEqual([
        'alice',
        'bob',
        'carol',
      ]);
      expect(
        await members(metric('order', 'count_distinct', { property: 'category', op: 'gte', value: 2 })),
      ).toEqual(['alice']);
      expect(
        await members(metric('order', 'count_distinct', { property: 'coupon', op: 'eq', value: 1 })),
      ).toEqual([]);
    });

    it('first time / last time did X', async () => {
      expect(
        await members({ kind: 'last_time', event: 'order', op: 'before', time: { daysAgo: 30 } }),
      ).toEqual(['bob']);
      expect(await members({ kind: 'first_time', event: 'login', op: 'within_last', days: 10 })).toEqual([
        'carol',
      ]);
      expect(
        await members({ kind: 'first_time', event: 'order', op: 'after', time: { daysAgo: 30 } }),
      ).toEqual(['alice', 'carol']);
      expect(await members(not({ kind: 'last_time', event: 'order', op: 'within_last', days: 30 }))).toEqual([
        'bob',
        'dave',
        'erin',
      ]);
      expect(
        await members({
          kind: 'last_time',
          event: 'order',
          where: [{ property: 'category', op: 'eq', value: 'books' }],
          op: 'between',
          min: { daysAgo: 21 },
          max: { daysAgo: 19 },
        }),
      ).toEqual(['alice']);
    });

    it('sequences: A then B within T, without C in between, inside a window', async () => {
      const seq = (steps: string[], extra: Record<string, unknown> = {}) => ({
        kind: 'sequence',
        steps: steps.map((event) => ({ event })),
        ...extra,
      });
      expect(await members(seq(['view', 'order'], { within: { value: 1, unit: 'days' } }))).toEqual([
        'alice',
        'carol',
      ]);
      expect(await members(seq(['add_to_cart', 'order'], { without: { event: 'view' } }))).toEqual(['alice']);
      expect(await members(seq(['login', 'view', 'order'], { within: { value: 3, unit: 'hours' } }))).toEqual(
        ['alice', 'carol'],
      );
      expect(
        await members(seq(['login', 'view', 'order'], { within: { value: 179, unit: 'minutes' } })),
      ).toEqual([]);
      expect(await members(seq(['login', 'order']))).toEqual(['alice', 'bob', 'carol']);
      expect(await members(seq(['login', 'order'], { window: { type: 'last_days', days: 30 } }))).toEqual([
        'alice',
        'carol',
      ]);
      expect(await members(seq(['order', 'order']))).toEqual(['alice']);
      expect(
        await members({
          kind: 'sequence',
          steps: [
            { event: 'login' },
            { event: 'order', where: [{ property: 'category', op: 'eq', value: 'books' }] },
          ],
          within: { value: 2, unit: 'days' },
        }),
      ).toEqual(['bob']);
    });
  });

  describe('saved audiences and random buckets', () => {
    it('inlines saved audiences through the resolver', async () => {
      expect(await members({ kind: 'audience', id: 'shanghai-buyers' })).toEqual(['alice']);
      expect(await members(not({ kind: 'audience', id: 'buyers' }))).toEqual(['dave', 'erin']);
    });

    it('reports cycles, unknown ids and invalid saved trees as errors', () => {
      expect(errors({ kind: 'and', children: [{ kind: 'audience', id: 'a' }] })).toEqual([
        'root.children[0](audience a).children[0](audience b).children[0]: audience cycle: a → b → a',
      ]);
      expect(errors({ kind: 'or', children: [{ kind: 'audience', id: 'nope' }] })).toEqual([
        "root.children[0].id: unknown audience 'nope'",
      ]);
      expect(errors({ kind: 'audience', id: 'broken' })).toEqual([
        'root(audience broken).value: expected a number for balance',
      ]);
    });

    it('buckets users by md5(salt:user_id) mod 100, identically in DuckDB and in TypeScript', async () => {
      const low = await members({ kind: 'bucket', salt: 'holdout-1', min: 0, max: 49 });
      const high = await members({ kind: 'bucket', salt: 'holdout-1', min: 50, max: 99 });
      expect([...low, ...high].sort()).toEqual(ALL);
      expect(low).toEqual(ALL.filter((u) => bucketOf(u, 'holdout-1') <= 49));
      const id = engine === 'clickhouse' ? "concat('user-', toString(number))" : "('user-' || i)";
      const salt = dialect.placeholder(1, "sa'lt:");
      const rows = await rowsOf<{ id: string; b: bigint }>(
        `SELECT ${id} AS id, ${dialect.md5Bucket(salt, id)} AS b ` +
          (engine === 'clickhouse' ? 'FROM numbers(2000)' : 'FROM range(2000) t(i)'),
        ["sa'lt:"],
      );
      for (const r of rows) expect(Number(r.b)).toBe(bucketOf(r.id, "sa'lt"));
      const share = rows.filter((r) => Number(r.b) < 10).length / rows.length;
      expect(share).toBeGreaterThan(0.07);
      expect(share).toBeLessThan(0.13);
    });
  });

  describe('groups', () => {
    const shanghai = attr('city', { op: 'eq', value: 'Shanghai' });
    const recentOrder = { kind: 'did', event: 'order', window: { type: 'last_days', days: 7 } };
    const hasBalance = attr('balance', { op: 'exists' });
    it('and / or / not nest; empty and is everyone, empty or is no one', async () => {
      expect(await members({ kind: 'and', children: [] })).toEqual(ALL);
      expect(await members({ kind: 'or', children: [] })).toEqual([]);
      const tree = {
        kind: 'or',
        children: [
          { kind: 'and', children: [shanghai, recentOrder] },
          { kind: 'and', children: [not({ kind: 'did', event: 'order' }), hasBalance] },
        ],
      };
      expect(await members(tree)).toEqual(['alice', 'erin']);
      expect(await members(not(tree))).toEqual(['bob', 'carol', 'dave']);
    });

    it('gives the same members whatever the order of children', async () => {
      const children = [shanghai, recentOrder, hasBalance, not({ kind: 'did', event: 'login' })];
      for (const kind of ['and', 'or']) {
        const forward = await members({ kind, children });
        const backward = await members({ kind, children: [...children].reverse() });
        expect(backward).toEqual(forward);
      }
    });

    it('converts the console two-group form to the tree', async () => {
      const form = (join: string) => ({
        profile: {
          combinator: 'and',
          conditions: [{ condition: attr('city', { op: 'in', values: ['Shanghai', 'Beijing'] }) }],
        },
        behavior: {
          combinator: 'or',
          conditions: [
            { condition: recentOrder },
            { negate: true, condition: { kind: 'did', event: 'login' } },
          ],
        },
        join,
      });
      const tree = (join: string) => {
        const r = twoGroupToTree(form(join));
        if (!r.ok) throw new Error(JSON.stringify(r.error));
        return r.value;
      };
      expect(await members(tree('and'))).toEqual(['alice']);
      expect(await members(tree('and_not'))).toEqual(['bob']);
      expect(await members(tree('or'))).toEqual(ALL);
      expect(tree('and_not')).toEqual({
        kind: 'and',
        children: [
          attr('city', { op: 'in', values: ['Shanghai', 'Beijing'] }),
          {
            kind: 'not',
            child: {
              kind: 'or',
              children: [recentOrder, { kind: 'not', child: { kind: 'did', event: 'login' } }],
            },
          },
        ],
      });
      const empty = twoGroupToTree({ ...form('and'), behavior: { combinator: 'and', conditions: [] } });
      expect(empty.ok && (await members(empty.value))).toEqual(['alice', 'bob']);

      const misplaced = twoGroupToTree({
        profile: { combinator: 'and', conditions: [{ condition: recentOrder }] },
        behavior: { combinator: 'and', conditions: [{ condition: { kind: 'and', children: [shanghai] } }] },
        join: 'xor',
      });
      expect(misplaced.ok ? [] : misplaced.error.map(formatAudienceError)).toEqual([
        "form.join: expected 'and' or 'or' or 'and_not'",
      ]);
      const wrongGroup = twoGroupToTree({
        ...form('and'),
        profile: { combinator: 'and', conditions: [{ condition: recentOrder }] },
      });
      expect(wrongGroup.ok ? [] : wrongGroup.error.map(formatAudienceError)).toEqual([
        'form.profile.conditions[0].condition.kind: belongs in the behavior group',
      ]);
    });
  });

  describe.skipIf(duckOnly)('SQL text', () => {
    it('binds every value as a parameter (sum in a window)', () => {
      const r = compileAudience(
        {
          kind: 'metric',
          event: 'order',
          fn: 'sum',
          property: 'amount',
          where: [{ property: 'coupon', op: 'eq', value: 'C1' }],
          window: { type: 'last_days', days: 30 },
          op: 'gte',
          value: 100,
        },
        { now: NOW },
      );
      expect(r).toEqual({
        ok: true,
        value: {
          sql:
            'SELECT p.user_id FROM profiles p WHERE least(p.first_seen, p.register_time) <= epoch_ms(CAST($1 AS BIGINT)) ' +
            'AND (p.user_id IN (SELECT e.user_id FROM events e ' +
            'WHERE e.event = $2 AND e.ts <= epoch_ms(CAST($1 AS BIGINT)) ' +
            'AND (CASE WHEN e.event IS NOT NULL THEN (TRY(json_extract_string(e.properties, $3)) = $4) END) ' +
            'AND e.ts >= epoch_ms(CAST($5 AS BIGINT)) ' +
            'GROUP BY e.user_id HAVING coalesce(sum(e.amount), 0) >= $6))',
          params: [NOW, 'order', '$."coupon"', 'C1', NOW - 30 * DAY_MS, 100],
        },
      });
    });

    it('uses an anti-join for did_not and a two-valued predicate under not', () => {
      const r = compileAudience(
        {
          kind: 'and',
          children: [
            { kind: 'did_not', event: 'login' },
            not(attr('nickname', { op: 'eq', value: "x' OR 1=1 --" })),
          ],
        },
        { now: NOW },
      );
      expect(r.ok && r.value).toEqual({
        sql:
          'SELECT p.user_id FROM profiles p WHERE least(p.first_seen, p.register_time) <= epoch_ms(CAST($1 AS BIGINT)) ' +
          'AND ((p.user_id NOT IN (SELECT e.user_id FROM events e ' +
          'WHERE e.event = $2 AND e.ts <= epoch_ms(CAST($1 AS BIGINT)))) AND ' +
          '(NOT ((TRY(json_extract_string(p.traits, $3)) = $4) IS TRUE)))',
        params: [NOW, 'login', '$."nickname"', "x' OR 1=1 --"],
      });
    });

    it('wraps a query for count and for a sample, appending the limit as a parameter', () => {
      const q = { sql: 'SELECT p.user_id FROM profiles p WHERE (p.city = $1)', params: ['x'] };
      expect(countQuery(q).sql).toBe(`SELECT count(*) AS n FROM (${q.sql}) AS members`);
      const s = sampleQuery(q, 5);
      expect(s.params).toEqual(['x', 5]);
      expect(s.sql).toMatch(/ORDER BY hash\(sp\.user_id\), sp\.user_id LIMIT \$2$/);
    });
  });

  describe('injection attempts', () => {
    const hostile = [
      "x' OR 1=1 --",
      "'); DROP TABLE events; --",
      'a\u0000b',
      '$."a"',
      '%',
      "Robert'); DELETE FROM profiles; --",
    ];
    it('treats hostile values as plain data', async () => {
      for (const value of hostile) {
        expect(await members(attr('city', { op: 'eq', value }))).toEqual([]);
        expect(await members(attr('nickname', { op: 'contains', value }))).toEqual([]);
        expect(await members({ kind: 'did', event: value })).toEqual([]);
        expect(
          await members({
            kind: 'did',
            event: 'order',
            where: [{ property: 'coupon', op: 'in', values: [value] }],
          }),
        ).toEqual([]);
        expect(await members({ kind: 'bucket', salt: value, min: 0, max: 99 })).toEqual(ALL);
      }
      expect(await countOf('events')).toBe(events.length);
      expect(await countOf('profiles')).toBe(5);
    });

    it('rejects hostile property and attribute names before any SQL exists', async () => {
      const names = [
        "a'); DROP TABLE events; --",
        'city; DROP TABLE profiles',
        'a"b',
        'a..b',
        '$.a',
        'a[0]',
        'a b',
        '',
        'x'.repeat(65),
        'a.b.c.d.e.f',
      ];
      for (const name of names) {
        const byAttribute = errors(attr(name, { op: 'exists' }));
        expect(byAttribute).toHaveLength(1);
        expect(byAttribute[0]).toMatch(/^root\.attribute: /);
        const byFilter = errors({ kind: 'did', event: 'order', where: [{ property: name, op: 'exists' }] });
        expect(byFilter[0]).toMatch(/^root\.where\[0\]\.property: /);
      }
      expect(await countOf('events')).toBe(events.length);
    });

    it('does not reach Object.prototype through names', async () => {
      expect(
        await members({
          kind: 'metric',
          event: 'order',
          fn: 'sum',
          property: 'constructor',
          op: 'gt',
          value: 1,
        }),
      ).toEqual([]);
      expect(await members(attr('toString', { op: 'exists' }))).toEqual([]);
    });
  });

  describe('validation errors name the exact node', () => {
    it('reports type errors with their path', () => {
      expect(
        errors({
          kind: 'and',
          children: [
            attr('city', { op: 'eq', value: 'x' }),
            {
              kind: 'or',
              children: [
                { kind: 'did', event: 'order', where: [{ property: 'amount', op: 'eq', value: 'ten' }] },
              ],
            },
          ],
        }),
      ).toEqual(['root.children[1].children[0].where[0].value: expected a number for amount']);
      expect(
        errors({ kind: 'metric', event: 'order', fn: 'sum', property: 'amount', op: 'gt', value: '10' }),
      ).toEqual(['root.value: expected a number']);
      expect(errors(attr('city', { op: 'gt', value: 3 }))).toEqual([
        "root.op: 'gt' applies to numbers, and city is a string",
      ]);
      expect(errors(attr('register_time', { op: 'eq', value: 3 }))).toEqual([
        "root.op: 'eq' does not apply to the time register_time; use before, after or between",
      ]);
      expect(errors(attr('city', { op: 'in', values: ['a', 2] }))).toEqual([
        'root.values[1]: expected a string for city',
      ]);
      expect(errors(attr('balance', { op: 'between', min: 10, max: 1 }))).toEqual([
        'root.max: must not be less than min',
      ]);
      expect(errors({ kind: 'bucket', salt: 's', min: 60, max: 40 })).toEqual([
        'root.max: must not be less than min',
      ]);
      expect(
        errors({ kind: 'metric', event: 'order', fn: 'sum', property: 'currency', op: 'gt', value: 1 }),
      ).toEqual(['root.property: expected a numeric property for sum, and currency is text']);
      expect(errors({ kind: 'metric', event: 'order', fn: 'avg', op: 'gt', value: 1 })).toEqual([
        'root.property: is required for avg',
      ]);
      expect(errors({ ...attr('first_seen', { op: 'exists' }), at: NOW })).toEqual([
        'root.at: first_seen has no history',
      ]);
      expect(
        errors({
          kind: 'did',
          event: 'x',
          window: { type: 'between', from: '2024-02-01', to: '2024-01-01' },
        }),
      ).toEqual(['root.window.to: must not be earlier than from']);
    });

    it('reports shape errors: unknown kinds, operators and fields, missing fields, bad times', () => {
      expect(errors({ kind: 'or', children: [{ kind: 'like' }] })).toEqual([
        "root.children[0].kind: unknown kind 'like' (expected one of and, or, not, attribute, score, did, did_not, metric, first_time, last_time, sequence, cart_abandoned, audience, bucket)",
      ]);
      expect(errors(attr('city', { op: 'like', value: 'x' }))[0]).toMatch(
        /^root\.op: unknown op 'like' \(expected one of eq, neq/,
      );
      expect(errors({ kind: 'first_time', event: 'x', op: 'gt', value: 3 })[0]).toMatch(
        /^root\.op: unknown op 'gt' \(expected one of before, after, between, within_last\)/,
      );
      expect(errors({ kind: 'did' })).toEqual(['root.event: is required']);
      expect(errors(attr('city', { op: 'eq', vaule: 'x' }))).toEqual([
        'root.value: is required',
        'root.vaule: unknown field',
      ]);
      expect(errors(attr('city', { op: 'before', time: '2024-13-45' }))).toEqual([
        'root.time: expected an ISO-8601 date-time or epoch milliseconds or { daysAgo }',
      ]);
      expect(errors({ kind: 'did', event: 'x', window: { type: 'last_days', days: 0 } })).toEqual([
        'root.window.days: expected number to be greater than 0',
      ]);
      expect(errors({ kind: 'sequence', steps: [{ event: 'a' }] })).toEqual([
        'root.steps: expected at least 2 items',
      ]);
      expect(errors('everyone')).toEqual(['root: expected an object']);
      expect(errors(attr('balance', { op: 'eq', value: Number.NaN }))).toEqual([
        'root.value: expected a finite number',
      ]);
      let deep: unknown = attr('city', { op: 'exists' });
      for (let i = 0; i < 40; i++) deep = not(deep);
      expect(errors(deep)[0]).toMatch(/is nested deeper than 32 levels$/);
    });

    it('accepts exactly what the TypeBox schema describes for valid trees', () => {
      const tree = {
        kind: 'and',
        children: [
          attr('city', { op: 'eq', value: 'x' }),
          {
            kind: 'metric',
            event: 'order',
            fn: 'count',
            op: 'gte',
            value: 2,
            window: { type: 'last_days', days: 7 },
          },
        ],
      };
      expect(validateAudience(tree).ok).toBe(true);
      expect(Value.Check(AudienceNode, tree)).toBe(true);
    });
  });

  describe.skipIf(duckOnly)('running audiences (count, sample with masked contacts, members)', () => {
    const buyers = { kind: 'did', event: 'order' };
    it('counts, samples and lists members', async () => {
      expect(await countAudience(wh, buyers, { now: NOW })).toEqual({ ok: true, value: 3 });
      expect(await audienceMembers(wh, buyers, { now: NOW })).toEqual({
        ok: true,
        value: ['alice', 'bob', 'carol'],
      });
      const sample = await sampleAudience(wh, buyers, { now: NOW, limit: 2 });
      expect(sample.ok && sample.value).toHaveLength(2);
      const alice = await sampleAudience(wh, attr('city', { op: 'eq', value: 'Shanghai' }), {
        now: NOW,
        limit: 10,
      });
      expect(alice.ok && alice.value).toEqual([
        {
          userId: 'alice',
          registerTime: ago(400),
          acquisitionChannel: null,
          city: 'Shanghai',
          membership: 'gold',
          balance: 50,
          phone: '138****8000',
          email: 'a***@example.com',
          firstSeen: ago(400),
          updatedAt: ago(100),
        },
      ]);
      const again = await sampleAudience(wh, buyers, { now: NOW, limit: 2 });
      expect(again).toEqual(sample);
    });

    it('returns validation errors as values', async () => {
      const r = await countAudience(wh, { kind: 'audience', id: 'nope' }, { now: NOW, resolve });
      expect(r).toEqual({ ok: false, error: [{ path: 'root.id', message: "unknown audience 'nope'" }] });
    });
  });

  describe.skipIf(duckOnly)('masking', () => {
    it('masks phones and emails', () => {
      expect(maskPhone('13812348000')).toBe('138****8000');
      expect(maskPhone('+8613812348000')).toBe('138****8000');
      expect(maskPhone('+85212345678')).toBe('+85*****5678');
      expect(maskPhone('1234567')).toBe('*****67');
      expect(maskPhone(null)).toBeNull();
      expect(maskEmail('lisa@example.com')).toBe('l***@example.com');
      expect(maskEmail('x@y.cn')).toBe('x***@y.cn');
      expect(maskEmail('not-an-email')).toBe('n***');
      expect(maskEmail('')).toBeNull();
    });
  });
};
