import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventRow } from '../src/core/events/rows.ts';
import { compileAudience } from '../src/core/audience/compiler.ts';
import { didYouMean, editDistance } from '../src/core/audience/did-you-mean.ts';
import { evaluateReference, type ReferenceData } from '../src/core/audience/reference-evaluator.ts';
import { formatAudienceError, type AudienceNode } from '../src/core/audience/schema.ts';
import { HOUR_MS } from '../src/core/audience/time.ts';
import { audienceWarnings, type KnownNames } from '../src/core/audience/warnings.ts';
import { knownNamesFor } from '../src/audience/metadata.ts';
import {
  readEventNames,
  readEventProperties,
  readProfileAttributes,
  readPropertyValues,
} from '../src/storage/warehouse/metadata.ts';
import { loadReferenceData } from '../src/storage/warehouse/reference-data.ts';
import { Warehouse } from '../src/storage/warehouse/warehouse.ts';
import { DAY_MS } from '../src/core/time/units.ts';
import { tempDir } from './support/tmp.ts';
import { formToTree } from '../console/src/features/audiences/two-group.ts';
import { recordBuilders } from './support/record-builders.ts';

/**
 * "Audiences that tell you what you typed": did-you-mean warnings, the metadata the builder's
 * pickers read, an honest `asOf` (users who did not exist yet, scores refused for the past) and
 * the cart-abandonment condition — on a real DuckDB, SQL and reference evaluator side by side.
 */

const NOW = Date.UTC(2026, 5, 1, 10); // 2026-06-01T10:00:00Z
const ago = (days: number, hours = 0) => NOW - days * DAY_MS + hours * HOUR_MS;
const iso = (ms: number) => new Date(ms).toISOString();

const { track, identify } = recordBuilders(NOW);

// ann: registered 300 days ago; ben: first seen 20 days ago; cat: registered 5 days ago but an
// identify dated 100 days ago (seen before she registered); dan: first seen 2 days ago.
const identifies = [
  identify('ann', ago(300), {
    createdAt: iso(ago(300)),
    city: 'Shanghai',
    phone: '13800000001',
    tier: 'gold',
  }),
  identify('ben', ago(20), { city: 'Beijing', tier: 'gold', nickname: 'Ben the Only' }),
  identify('cat', ago(100), { city: 'Shanghai', tier: 'silver' }),
  identify('cat', ago(1), { createdAt: iso(ago(5)) }),
  identify('dan', ago(2), { city: 'Shanghai' }),
];

const events: EventRow[] = [
  // ann: p1 added and bought 30 minutes later; p2 added 3 days ago, never bought.
  track('ann', 'add_to_cart', ago(10), { product_id: 'p1' }),
  track('ann', 'order', ago(10, 0.5), { product_id: 'p1', amount: 30, coupon: 'C1' }),
  track('ann', 'add_to_cart', ago(3), { product_id: 'p2' }),
  track('ann', 'login', ago(1)),
  // ben: added p1, ordered p3 an hour later (another product), nothing else.
  track('ben', 'add_to_cart', ago(4), { product_id: 'p1' }),
  track('ben', 'order', ago(4, 1), { product_id: 'p3', amount: 5 }),
  track('ben', 'login', ago(2), { platform: 'ios' }),
  // cat: added 30 minutes ago (deadline not passed for a 1-hour window); an old add 40 days ago,
  // ordered 2 days later.
  track('cat', 'add_to_cart', NOW - 30 * 60_000, { product_id: 'p4' }),
  track('cat', 'add_to_cart', ago(40), { product_id: 'p5' }),
  track('cat', 'order', ago(38), { product_id: 'p5', amount: 12 }),
  // dan: added without a product id, then a checkout event (custom order event) within the hour.
  track('dan', 'add_to_cart', ago(1)),
  track('dan', 'checkout', ago(1, 0.5)),
];

const tmp = tempDir('rekindle-audience-honest-');
let wh: Warehouse;
let reference: ReferenceData;

beforeAll(async () => {
  wh = await Warehouse.open(`${tmp.dir}/warehouse.duckdb`);
  await wh.commit({ events, identifies, rejections: [] });
  await wh.write(
    `INSERT INTO user_scores (user_id, lifecycle_stage, churn_risk_level, computed_at) VALUES
       ('ann', 'mature', 'low', epoch_ms(CAST($1 AS BIGINT))), ('ben', 'new', 'high', epoch_ms(CAST($1 AS BIGINT)))`,
    [NOW],
  );
  reference = await loadReferenceData(wh);
});
afterAll(() => {
  wh.close();
  tmp.cleanup();
});

/** Members through SQL on DuckDB and through the reference evaluator; both must agree. */
const members = async (node: unknown, now = NOW): Promise<string[]> => {
  const compiled = compileAudience(node, { now });
  if (!compiled.ok) throw new Error(compiled.error.map(formatAudienceError).join('\n'));
  const viaSql = (await wh.query<{ user_id: string }>(compiled.value.sql, compiled.value.params))
    .map((r) => r.user_id)
    .sort();
  expect(viaSql).toEqual([...evaluateReference(node as AudienceNode, reference, { now })].sort());
  return viaSql;
};

describe('did you mean', () => {
  it('counts edits, with a swap of neighbours as one', () => {
    expect(editDistance('logn', 'login')).toBe(1);
    expect(editDistance('lgoin', 'login')).toBe(1);
    expect(editDistance('ordr', 'order')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('加购', '加入购物车')).toBe(3);
    expect(editDistance('ca', 'abc')).toBe(3); // OSA, not unrestricted Damerau (2)
  });

  it('suggests the closest known name only when it is close', () => {
    const known = ['login', 'order', 'add_to_cart', 'logout'];
    expect(didYouMean('logn', known)).toBe('login');
    expect(didYouMean('Login', known)).toBe('login');
    expect(didYouMean('add_to_crat', known)).toBe('add_to_cart');
    expect(didYouMean('purchase', known)).toBeNull();
    expect(didYouMean('x', known)).toBeNull();
    expect(didYouMean('login', known)).toBeNull();
  });
});

describe('warnings for names never seen', () => {
  const known: KnownNames = {
    events: ['login', 'order', 'add_to_cart'],
    properties: (e) => (e === 'order' ? ['coupon', 'channel'] : []),
    traits: ['tier', 'nickname'],
  };

  it('names the path, says what is unknown and suggests the closest name', () => {
    const tree: AudienceNode = {
      kind: 'and',
      children: [
        { kind: 'did', event: 'logn' },
        { kind: 'did', event: 'order', where: [{ property: 'coupn', op: 'eq', value: 'C1' }] },
        { kind: 'did', event: 'order', where: [{ property: 'amount', op: 'gt', value: 1 }] },
        { kind: 'attribute', attribute: 'teir', op: 'eq', value: 'gold' },
        { kind: 'attribute', attribute: 'city', op: 'eq', value: 'Shanghai' },
        { kind: 'not', child: { kind: 'did', event: 'purchase' } },
        { kind: 'cart_abandoned', within: { value: 1, unit: 'hours' } },
      ],
    };
    expect(audienceWarnings(tree, known)).toEqual([
      {
        path: 'root.children[0].event',
        what: 'event',
        name: 'logn',
        suggestion: 'login',
        message: "event 'logn' has never been seen — did you mean 'login'?",
      },
      {
        path: 'root.children[1].where[0].property',
        what: 'property',
        name: 'coupn',
        event: 'order',
        suggestion: 'coupon',
        message: "property 'coupn' has not been seen on recent 'order' events — did you mean 'coupon'?",
      },
      {
        path: 'root.children[3].attribute',
        what: 'trait',
        name: 'teir',
        suggestion: 'tier',
        message: "trait 'teir' has not been seen on any profile — did you mean 'tier'?",
      },
      {
        path: 'root.children[5].child.event',
        what: 'event',
        name: 'purchase',
        suggestion: null,
        message: "event 'purchase' has never been seen",
      },
    ]);
  });

  it('reads what the warehouse has seen (events, sampled keys, traits)', async () => {
    const tree: AudienceNode = {
      kind: 'or',
      children: [
        { kind: 'did', event: 'ordr' },
        { kind: 'metric', event: 'order', fn: 'sum', property: 'cupon', op: 'gt', value: 0 },
        { kind: 'attribute', attribute: 'nicknam', op: 'exists' },
        { kind: 'cart_abandoned', within: { value: 1, unit: 'hours' }, order: { event: 'chekout' } },
      ],
    };
    const warnings = audienceWarnings(tree, await knownNamesFor(wh, tree));
    expect(warnings.map((w) => [w.path, w.suggestion])).toEqual([
      ['root.children[0].event', 'order'],
      ['root.children[1].property', 'coupon'],
      ['root.children[2].attribute', 'nickname'],
      ['root.children[3].order.event', 'checkout'],
    ]);
  });
});

describe('metadata the pickers read', () => {
  const sample = { days: 30, rows: 10_000 };

  it('lists event names with counts and last seen, most frequent first', async () => {
    expect(await readEventNames(wh, 100)).toEqual([
      { event: 'add_to_cart', count: 6, lastSeen: NOW - 30 * 60_000 },
      { event: 'order', count: 3, lastSeen: ago(4, 1) },
      { event: 'login', count: 2, lastSeen: ago(1) },
      { event: 'checkout', count: 1, lastSeen: ago(1, 0.5) },
    ]);
  });

  it('samples property keys of recent events with their types', async () => {
    // The 40-day-old order is outside 30 days before the newest order (4 days ago).
    const r = await readEventProperties(wh, 'order', sample);
    expect(r.sampled).toBe(2);
    expect(r.properties).toEqual([
      { key: 'amount', count: 2, types: { number: 2 } },
      { key: 'product_id', count: 2, types: { string: 2 } },
      { key: 'coupon', count: 1, types: { string: 1 } },
    ]);
    const all = await readEventProperties(wh, 'order', { days: 365, rows: 10_000 });
    expect(all.sampled).toBe(3);
    const login = await readEventProperties(wh, 'login', { days: 30, rows: 1 });
    expect(login).toEqual({ sampled: 1, properties: [] }); // the newest login has no platform
  });

  it('gives top values of a property, of one event or of all', async () => {
    expect(
      await readPropertyValues(
        wh,
        { kind: 'column', column: 'product_id', type: 'string' },
        undefined,
        sample,
        2,
      ),
    ).toEqual([
      { value: 'p1', count: 3 },
      { value: 'p2', count: 1 },
    ]);
    expect(
      await readPropertyValues(
        wh,
        { kind: 'json', segments: ['coupon'], path: '$."coupon"' },
        'order',
        sample,
        10,
      ),
    ).toEqual([{ value: 'C1', count: 1 }]);
  });

  it('lists profile columns and traits, never contact values nor one-off trait values', async () => {
    const r = await readProfileAttributes(wh, 1000, 5);
    expect(r.sampled).toBe(4);
    const city = r.columns.find((c) => c.name === 'city');
    expect(city).toEqual({
      name: 'city',
      count: 4,
      topValues: [
        { value: 'Shanghai', count: 3 },
        { value: 'Beijing', count: 1 },
      ],
    });
    expect(r.columns.find((c) => c.name === 'phone')).toEqual({ name: 'phone', count: 1, topValues: [] });
    expect(r.traits).toEqual([
      { key: 'tier', count: 3, types: { string: 3 }, topValues: [{ value: 'gold', count: 2 }] },
      { key: 'nickname', count: 1, types: { string: 1 }, topValues: [] },
    ]);
  });
});

describe('asOf is honest', () => {
  it('excludes users who did not exist yet at asOf, `not` included', async () => {
    const everyone = { kind: 'and', children: [] };
    expect(await members(everyone)).toEqual(['ann', 'ben', 'cat', 'dan']);
    // 10 days ago dan (first seen 2 days ago) did not exist; cat was seen 100 days ago.
    expect(await members(everyone, ago(10))).toEqual(['ann', 'ben', 'cat']);
    expect(await members({ kind: 'not', child: { kind: 'did', event: 'login' } }, ago(10))).toEqual([
      'ann',
      'ben',
      'cat',
    ]);
    expect(await members(everyone, ago(50))).toEqual(['ann', 'cat']);
    expect(await members(everyone, ago(200))).toEqual(['ann']);
    expect(await members(everyone, ago(400))).toEqual([]);
  });

  it('refuses a score condition as of a past time, saying which and why', () => {
    const tree = {
      kind: 'and',
      children: [
        { kind: 'did', event: 'login' },
        { kind: 'score', score: 'churn_risk_level', op: 'eq', value: 'high' },
      ],
    };
    const past = compileAudience(tree, { now: ago(7), present: NOW });
    expect(past.ok).toBe(false);
    expect(!past.ok && past.error).toEqual([
      {
        path: 'root.children[1].score',
        message:
          "score 'churn_risk_level' is only stored as its current value, so it cannot be evaluated as of " +
          '2026-05-25T10:00:00.000Z (before now); remove the score condition or evaluate the audience now',
      },
    ]);
    // Now, or a client clock a minute behind, is fine; so is a caller that does not say what now is.
    expect(compileAudience(tree, { now: NOW, present: NOW }).ok).toBe(true);
    expect(compileAudience(tree, { now: NOW - 60_000, present: NOW }).ok).toBe(true);
    expect(compileAudience(tree, { now: ago(7) }).ok).toBe(true);
  });
});

describe('cart abandonment', () => {
  const hour = { value: 1, unit: 'hours' } as const;

  it('compiles to an ASOF join with every value a parameter', () => {
    const r = compileAudience(
      { kind: 'cart_abandoned', within: hour, sameProduct: true, window: { type: 'last_days', days: 7 } },
      { now: NOW },
    );
    expect(r.ok && r.value).toEqual({
      sql:
        'SELECT p.user_id FROM profiles p WHERE least(p.first_seen, p.register_time) <= epoch_ms(CAST($1 AS BIGINT)) ' +
        'AND (p.user_id IN (SELECT a.user_id FROM (SELECT ca.user_id, ca.ts, ca.product_id FROM events ca ' +
        'WHERE ca.event = $2 AND ca.ts <= epoch_ms(CAST($1 AS BIGINT)) AND ca.ts >= epoch_ms(CAST($3 AS BIGINT)) ' +
        'AND ca.ts <= epoch_ms(CAST($4 AS BIGINT)) AND ca.product_id IS NOT NULL) a ' +
        'ASOF LEFT JOIN (SELECT co.user_id, co.ts, co.product_id FROM events co ' +
        'WHERE co.event = $5 AND co.ts <= epoch_ms(CAST($1 AS BIGINT))) o ' +
        'ON a.user_id = o.user_id AND a.product_id = o.product_id AND a.ts <= o.ts ' +
        'WHERE o.ts IS NULL OR epoch_ms(o.ts) - epoch_ms(a.ts) > $6))',
      params: [NOW, 'add_to_cart', NOW - 7 * DAY_MS, NOW - HOUR_MS, 'order', HOUR_MS],
    });
  });

  it('finds adds whose deadline passed with no order in time', async () => {
    // ann: p2 never bought. ben: an order 1 h after the add (any product counts). cat: the
    // fresh add is not past its deadline; the old one was bought 2 days later (> 1 h).
    // dan: no `order` event at all.
    expect(await members({ kind: 'cart_abandoned', within: hour })).toEqual(['ann', 'cat', 'dan']);
    // Within 3 days: ann's p2 deadline is exactly now (passed); dan's is still to come.
    expect(await members({ kind: 'cart_abandoned', within: { value: 3, unit: 'days' } })).toEqual(['ann']);
    // Same product: ben's order was of another product; dan's add has no product id (ignored).
    expect(await members({ kind: 'cart_abandoned', within: hour, sameProduct: true })).toEqual([
      'ann',
      'ben',
      'cat',
    ]);
    // Only adds in the last 7 days: cat's old add is out.
    expect(
      await members({ kind: 'cart_abandoned', within: hour, window: { type: 'last_days', days: 7 } }),
    ).toEqual(['ann', 'dan']);
    // A configurable order event: dan checked out within the hour.
    expect(await members({ kind: 'cart_abandoned', within: hour, order: { event: 'checkout' } })).toEqual([
      'ann',
      'ben',
      'cat',
    ]);
    // Filters on the add: only p2.
    expect(
      await members({
        kind: 'cart_abandoned',
        within: hour,
        add: { event: 'add_to_cart', where: [{ property: 'product_id', op: 'eq', value: 'p2' }] },
      }),
    ).toEqual(['ann']);
    // As of 3 days and 30 minutes ago, ann's p2 add was 30 minutes old: not yet abandoned.
    expect(await members({ kind: 'cart_abandoned', within: hour }, ago(3) + 30 * 60_000)).toEqual(['cat']);
  });

  it('validates the condition like any other', () => {
    const bad = compileAudience(
      { kind: 'cart_abandoned', within: { value: 0, unit: 'hours' }, same: true },
      { now: NOW },
    );
    expect(!bad.ok && bad.error.map(formatAudienceError)).toEqual([
      'root.within.value: expected number to be greater than 0',
      'root.same: unknown field',
    ]);
  });
});

describe("the console builder's cart condition", () => {
  it('becomes a cart_abandoned node the compiler accepts', async () => {
    const tree = formToTree({
      profile: { combinator: 'and', conditions: [] },
      behavior: {
        combinator: 'and',
        conditions: [
          { negate: false, kind: 'cart_abandoned', event: 'add_to_cart', days: 7, hours: 1 },
          { negate: false, kind: 'cart_abandoned', event: 'add_to_cart', days: 7, hours: 0 },
        ],
      },
      join: 'and',
    });
    expect(tree).toEqual({
      kind: 'cart_abandoned',
      within: { value: 1, unit: 'hours' },
      window: { type: 'last_days', days: 7 },
    });
    expect(await members(tree)).toEqual(['ann', 'dan']);
  });
});
