import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import fc from 'fast-check';
import { Value } from '@sinclair/typebox/value';
import { normaliseIdentify, normaliseTrack } from '../../src/core/events/normalize.ts';
import type { EventRow, IdentifyRow } from '../../src/core/events/rows.ts';
import { compileAudience } from '../../src/core/audience/compiler.ts';
import { evaluateReference, type ReferenceData } from '../../src/core/audience/reference-evaluator.ts';
import { AudienceNode, formatAudienceError, type AudienceResolver } from '../../src/core/audience/schema.ts';
import { HOUR_MS, resolveTime, type TimeSpec } from '../../src/core/audience/time.ts';
import { validateAudience } from '../../src/core/audience/validate.ts';
import type { CompiledQuery } from '../../src/core/sql/params.ts';
import type { SqlDialect } from '../../src/core/sql/dialect.ts';
import type { Warehouse } from '../../src/storage/warehouse/warehouse.ts';
import { DAY_MS } from '../../src/core/time/units.ts';
import { seededRandom } from '../../src/core/stats/rng.ts';

/**
 * The audience property test's parts, shared by the engines (test/audience-property.test.ts on
 * DuckDB, test/clickhouse/audience-property.test.ts on ClickHouse): the seeded random data set,
 * the random audience trees (every node kind, depth ≤ 4) and the property itself — the SQL
 * compiler's members on a real engine equal the in-memory reference evaluator's on the same data.
 */

export const NOW = Date.UTC(2024, 5, 1);
export const SEED = 20240601;

// ---- data ---------------------------------------------------------------------------------------

const EVENTS = ['login', 'view', 'add_to_cart', 'order', 'pay'] as const;
const CITIES = ['Shanghai', 'Beijing', 'Shenzhen'];
const TAGS = ['vip', 'new', 'old'];

export const generateData = (seed: number) => {
  // The same data set on every run.
  const rnd = seededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const maybe = (p: number) => rnd() < p;
  let seq = 0;
  const users = Array.from({ length: 33 }, (_, i) => `u${String(i).padStart(2, '0')}`);
  const identifies: IdentifyRow[] = [];
  // u30..u32 have events but no profile: outside the universe.
  for (const userId of users.slice(0, 30)) {
    for (let k = int(1, 3); k > 0; k--) {
      // Coarse times make ties in the history (resolved by received_at, then message id).
      const ts = NOW - int(0, 8) * 50 * DAY_MS;
      const traits: Record<string, unknown> = {};
      if (maybe(0.6)) traits['city'] = pick(CITIES);
      if (maybe(0.5)) traits['balance'] = pick([0, 10, 50, 100, 500, 1000, 12.5]);
      if (maybe(0.3)) traits[pick(['plan', 'membership'])] = pick(['gold', 'silver']);
      if (maybe(0.5))
        traits['createdAt'] = maybe(0.5)
          ? new Date(NOW - int(0, 400) * DAY_MS).toISOString()
          : NOW - int(0, 400) * DAY_MS;
      if (maybe(0.4)) traits['consentSms'] = maybe(0.5);
      if (maybe(0.4)) traits['email'] = `${userId}@${pick(['example.com', 'mail.cn'])}`;
      if (maybe(0.3)) traits['phone'] = `1380000${String(int(0, 9999)).padStart(4, '0')}`;
      // Texts that casts read differently (JSON_TEXTS below): a decimal, an offset, words, a huge epoch.
      if (maybe(0.5))
        traits['level'] = pick<unknown>([
          1,
          3,
          7,
          10,
          '7',
          'high',
          null,
          '12.5',
          'Infinity',
          '2024-05-01T10:00:00+08:00',
          '99999999999999999',
        ]);
      if (maybe(0.5)) traits['tags'] = TAGS.filter(() => maybe(0.5));
      if (maybe(0.3)) traits['vip'] = pick<unknown>([true, false, 'yes']);
      if (maybe(0.3)) traits['nickname'] = pick(['Ann', "O'Brien", '李雷', 'ann']);
      if (maybe(0.4)) {
        const t = NOW - int(0, 100) * DAY_MS;
        traits['signup'] = maybe(0.5) ? new Date(t).toISOString() : t;
      }
      if (maybe(0.3)) traits['address'] = { city: pick(CITIES), zip: pick(['200000', '100000']) };
      const r = normaliseIdentify(
        { type: 'identify', userId, timestamp: new Date(ts).toISOString(), traits, messageId: `i${++seq}` },
        0,
        { receivedAt: NOW, source: 'http', newMessageId: randomUUID },
      );
      if (!r.ok) throw new Error(JSON.stringify(r.error));
      identifies.push(r.value);
    }
  }
  const events: EventRow[] = [];
  for (let i = 0; i < 300; i++) {
    const event = pick(EVENTS);
    // Half the events continue a session of an earlier one: 0-3 hours later (ties included),
    // so sequences, `within` bounds and strict ordering meet their edge cases.
    const earlier = events.length > 0 && maybe(0.5) ? pick(events) : undefined;
    let userId = pick(users);
    // Some events sit exactly on whole days before now, where window bounds fall.
    let ts = maybe(0.03)
      ? NOW + int(1, 20) * HOUR_MS
      : maybe(0.3)
        ? NOW - int(0, 60) * DAY_MS
        : NOW - int(0, 60 * 24) * HOUR_MS;
    if (earlier !== undefined) {
      userId = earlier.userId;
      ts = earlier.ts + int(0, 3) * HOUR_MS;
    }
    const props: Record<string, unknown> = {};
    if ((event === 'order' || event === 'pay') && maybe(0.8))
      props['amount'] = pick([0, 5, 10, 20, 30, 100, 200, 12.5]);
    if (maybe(0.5)) props['category'] = pick(['shoes', 'books', 'food']);
    if (maybe(0.3)) props['currency'] = pick(['CNY', 'USD']);
    if (maybe(0.4)) props['platform'] = pick(['ios', 'android']);
    if (maybe(0.3)) props['product_id'] = pick(['p1', 'p2', 'p3']);
    if (maybe(0.3)) props['coupon'] = pick(['C1', 'C2']);
    if (maybe(0.4)) props['qty'] = pick<unknown>([1, 2, 3, '2', 'many']);
    if (maybe(0.2)) props['flag'] = maybe(0.5);
    if (maybe(0.2))
      props['price'] = pick([
        '12.5',
        '3',
        'free',
        'inf',
        'nan',
        '2024-05-10T08:00:00-05:00',
        '-99999999999999999',
      ]);
    const r = normaliseTrack(
      {
        type: 'track',
        userId,
        event,
        timestamp: new Date(ts).toISOString(),
        properties: props,
        messageId: `e${++seq}`,
      },
      0,
      { receivedAt: NOW, source: 'http', newMessageId: randomUUID },
    );
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    events.push(r.value);
  }
  const scores: (string | number | null)[][] = users
    .slice(0, 30)
    .filter(() => maybe(0.7))
    .map((userId) => [
      userId,
      maybe(0.9) ? pick(['new', 'growing', 'mature', 'silent', 'churned']) : null,
      pick(['high', 'medium', 'low']),
      int(1, 5),
      int(1, 5),
      int(1, 5),
      pick([0, 0.25, 0.5, 0.75, 1]),
      pick(['high', 'medium', 'low']),
      pick([null, 0, 100, 250.5]),
      maybe(0.8) ? NOW - int(0, 20) * DAY_MS : null,
    ]);
  return { identifies, events, scores };
};

// ---- trees --------------------------------------------------------------------------------------

type Type = 'string' | 'number' | 'boolean' | 'time' | 'json';
export type Tree = Record<string, unknown>;

const STRINGS = [
  'Shanghai',
  'Beijing',
  'x',
  "O'Brien",
  'gold',
  'u03',
  'u03@example.com',
  'vip',
  'C1',
  'shoes',
  'ios',
  '7',
];
const SUBSTRINGS = ['Sh', 'ing', 'example', '@', 'vip', 'new', 'ol', "'", 'o', 'C'];
const NUMBERS = [0, 1, 2, 3, 7, 10, 12.5, 20, 50, 100, 200, 500, 1000, -1];

/** The `now` the trees being generated are compiled with: time specs are built around it. */
let genNow = NOW;
const setGenNow = (now: number) => {
  genNow = now;
};
const daysAgoMs = fc.integer({ min: -1, max: 420 }).map((d) => genNow - d * DAY_MS);
/** A time spec in one of its three forms (ISO text, epoch ms, days ago), for an instant. */
const timeSpec = (ms: number) =>
  fc
    .constantFrom<unknown>(ms, new Date(ms).toISOString(), { daysAgo: (genNow - ms) / DAY_MS })
    .filter(
      (t) =>
        typeof t !== 'object' ||
        ((t as { daysAgo: number }).daysAgo >= 0 && Number.isInteger((t as { daysAgo: number }).daysAgo)),
    );
const someTime = daysAgoMs.chain(timeSpec);
const orderedTimes = fc
  .tuple(daysAgoMs, daysAgoMs)
  .chain(([a, b]) => fc.tuple(timeSpec(Math.min(a, b)), timeSpec(Math.max(a, b))));
const orderedNumbers = fc
  .tuple(fc.constantFrom(...NUMBERS), fc.constantFrom(...NUMBERS))
  .map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const);
const days = fc.constantFrom(1, 2.5, 3, 7, 30, 45, 90, 365);

const stringCmp = (values: readonly string[]) =>
  fc.oneof(
    fc.record({ op: fc.constantFrom('eq', 'neq'), value: fc.constantFrom(...values) }),
    fc.record({
      op: fc.constantFrom('in', 'not_in'),
      values: fc.uniqueArray(fc.constantFrom(...values), { minLength: 1, maxLength: 3 }),
    }),
    fc.record({ op: fc.constantFrom('contains', 'not_contains'), value: fc.constantFrom(...SUBSTRINGS) }),
    fc.record({ op: fc.constantFrom('exists', 'not_exists') }),
  );
const numberCmp = (withExists: boolean) =>
  fc.oneof(
    fc.record({
      op: fc.constantFrom('eq', 'neq', 'gt', 'gte', 'lt', 'lte'),
      value: fc.constantFrom(...NUMBERS),
    }),
    orderedNumbers.map(([min, max]) => ({ op: 'between', min, max })),
    ...(withExists
      ? [
          fc.record({
            op: fc.constantFrom('in', 'not_in'),
            values: fc.uniqueArray(fc.constantFrom(...NUMBERS), { minLength: 1, maxLength: 3 }),
          }),
          fc.record({ op: fc.constantFrom('exists', 'not_exists') }),
        ]
      : []),
  );
const booleanCmp = fc.oneof(
  fc.record({ op: fc.constantFrom('eq', 'neq'), value: fc.boolean() }),
  fc.record({ op: fc.constantFrom('exists', 'not_exists') }),
);
const timeCmp = (withExists: boolean) =>
  fc.oneof(
    fc.record({ op: fc.constantFrom('before', 'after'), time: someTime }),
    orderedTimes.map(([min, max]) => ({ op: 'between', min, max })),
    fc.record({ op: fc.constant('within_last'), days }),
    ...(withExists ? [fc.record({ op: fc.constantFrom('exists', 'not_exists') })] : []),
  );
const jsonCmp = fc.oneof(
  stringCmp(STRINGS),
  numberCmp(true),
  booleanCmp,
  timeCmp(false),
  fc.record({
    op: fc.constantFrom('in', 'not_in'),
    values: fc.uniqueArray(fc.boolean(), { minLength: 1, maxLength: 2 }),
  }),
);
const comparison = (type: Type, values: readonly string[] = STRINGS) =>
  type === 'string'
    ? stringCmp(values)
    : type === 'number'
      ? numberCmp(true)
      : type === 'boolean'
        ? booleanCmp
        : type === 'time'
          ? timeCmp(true)
          : jsonCmp;

const PROFILE: readonly [string, Type, boolean][] = [
  // name, type, has history
  ['city', 'string', true],
  ['balance', 'number', true],
  ['membership', 'string', true],
  ['plan', 'string', true],
  ['register_time', 'time', true],
  ['consent_sms', 'boolean', true],
  ['email', 'string', true],
  ['phone', 'string', true],
  ['user_id', 'string', false],
  ['first_seen', 'time', false],
  ['level', 'json', true],
  ['tags', 'json', true],
  ['vip', 'json', true],
  ['nickname', 'json', true],
  ['signup', 'json', true],
  ['address.city', 'json', true],
  ['address.zip', 'json', true],
  ['missing', 'json', true],
];
const attribute = fc
  .constantFrom(...PROFILE)
  .chain(([name, type, history]) =>
    fc.tuple(
      fc.constant(name),
      comparison(type),
      history
        ? fc.option(
            fc.oneof(
              someTime,
              fc.constant(0).map(() => genNow),
            ),
            { nil: undefined, freq: 3 },
          )
        : fc.constant(undefined),
    ),
  )
  .map(([name, cmp, at]): Tree => ({
    kind: 'attribute',
    attribute: name,
    ...cmp,
    ...(at === undefined ? {} : { at }),
  }));

const SCORES: readonly [string, Type, readonly string[]][] = [
  ['lifecycle_stage', 'string', ['new', 'growing', 'mature', 'silent', 'churned']],
  ['churn_risk_level', 'string', ['high', 'medium', 'low']],
  ['rfm_tier', 'string', ['high', 'medium', 'low', 'x']],
  ['rfm_r', 'number', []],
  ['rfm_m', 'number', []],
  ['churn_risk_score', 'number', []],
  ['ltv', 'number', []],
  ['computed_at', 'time', []],
];
const score = fc
  .constantFrom(...SCORES)
  .chain(([name, type, values]) => {
    const enumOnly = name === 'lifecycle_stage' || name === 'churn_risk_level';
    const cmp = enumOnly
      ? fc.oneof(
          fc.record({ op: fc.constantFrom('eq', 'neq'), value: fc.constantFrom(...values) }),
          fc.record({
            op: fc.constantFrom('in', 'not_in'),
            values: fc.uniqueArray(fc.constantFrom(...values), { minLength: 1, maxLength: 3 }),
          }),
          fc
            .record({
              op: fc.constantFrom('exists', 'not_exists', 'contains'),
              value: fc.constantFrom('e', 'i'),
            })
            .map((c) => (c.op === 'contains' ? c : { op: c.op })),
        )
      : comparison(type, values.length > 0 ? values : STRINGS);
    return fc.tuple(fc.constant(name), cmp);
  })
  .map(([name, cmp]): Tree => ({ kind: 'score', score: name, ...cmp }));

const EVENT_PROPS: readonly [string, Type][] = [
  ['amount', 'number'],
  ['category', 'string'],
  ['currency', 'string'],
  ['platform', 'string'],
  ['product_id', 'string'],
  ['coupon', 'json'],
  ['qty', 'json'],
  ['flag', 'json'],
  ['price', 'json'],
  ['nothing', 'json'],
];
const filter = fc
  .constantFrom(...EVENT_PROPS)
  .chain(([property, type]) => fc.tuple(fc.constant(property), comparison(type)))
  .map(([property, cmp]) => ({ property, ...cmp }));
const filters = fc.option(fc.array(filter, { minLength: 1, maxLength: 2 }), { nil: undefined, freq: 2 });
const eventName = fc.constantFrom(...EVENTS);
const window = fc.option(
  fc.oneof(
    fc.record({ type: fc.constant('last_days'), days }),
    orderedTimes.map(([from, to]) => ({ type: 'between', from, to })),
    fc.record(
      {
        type: fc.constant('since'),
        event: eventName,
        where: filters,
        occurrence: fc.constantFrom('first', 'last'),
      },
      { requiredKeys: ['type', 'event'] },
    ),
  ),
  { nil: undefined, freq: 2 },
);
const clean = (o: Tree): Tree => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

const did = fc
  .record({ kind: fc.constantFrom('did', 'did_not'), event: eventName, where: filters, window })
  .map(clean);
const metric = fc
  .oneof(
    fc.record({ fn: fc.constant('count') }),
    fc.record({
      fn: fc.constantFrom('sum', 'avg', 'min', 'max'),
      property: fc.constantFrom('amount', 'qty', 'price', 'coupon'),
    }),
    fc.record({
      fn: fc.constant('count_distinct'),
      property: fc.constantFrom('amount', 'category', 'qty', 'coupon', 'flag'),
    }),
  )
  .chain((m) =>
    fc.tuple(fc.constant(m), fc.record({ event: eventName, where: filters, window }), numberCmp(false)),
  )
  .map(([m, spec, cmp]) => clean({ kind: 'metric', ...m, ...spec, ...cmp }));
const firstLast = fc
  .tuple(fc.constantFrom('first_time', 'last_time'), eventName, filters, timeCmp(false))
  .map(([kind, event, where, cmp]) => clean({ kind, event, where, ...cmp }));
const step = fc.record({ event: eventName, where: filters }).map(clean);
const duration = fc.oneof(
  fc.record({ value: fc.constantFrom(1, 2, 3, 5, 24, 48, 72), unit: fc.constant('hours') }),
  fc.record({ value: fc.constantFrom(1, 2, 7, 30), unit: fc.constant('days') }),
  fc.record({ value: fc.constantFrom(30, 90, 600), unit: fc.constant('minutes') }),
);
const sequence = fc
  .record({
    kind: fc.constant('sequence'),
    steps: fc.array(step, { minLength: 2, maxLength: 3 }),
    within: fc.option(duration, { nil: undefined }),
    without: fc.option(step, { nil: undefined }),
    window,
  })
  .map(clean);
const cartAbandoned = fc
  .record({
    kind: fc.constant('cart_abandoned'),
    add: fc.option(step, { nil: undefined }),
    order: fc.option(step, { nil: undefined }),
    within: duration,
    window,
    sameProduct: fc.option(fc.boolean(), { nil: undefined }),
  })
  .map(clean);
const audienceRef = fc.record({
  kind: fc.constant('audience'),
  id: fc.constantFrom('buyers', 'sh', 'nested'),
});
const bucket = fc
  .tuple(fc.constantFrom('a', 'b', "q'"), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 }))
  .map(([salt, x, y]) => ({ kind: 'bucket', salt, min: Math.min(x, y), max: Math.max(x, y) }));

const leaf: fc.Arbitrary<Tree> = fc.oneof(
  attribute,
  score,
  did,
  metric,
  firstLast,
  sequence,
  cartAbandoned,
  audienceRef,
  bucket,
);

export const { tree } = fc.letrec<{ tree: Tree; and: Tree; or: Tree; not: Tree }>((tie) => ({
  tree: fc.oneof({ maxDepth: 3, depthIdentifier: 'audience' }, leaf, tie('and'), tie('or'), tie('not')),
  and: fc.record({ kind: fc.constant('and'), children: fc.array(tie('tree'), { maxLength: 3 }) }),
  or: fc.record({ kind: fc.constant('or'), children: fc.array(tie('tree'), { maxLength: 3 }) }),
  not: fc.record({ kind: fc.constant('not'), child: tie('tree') }),
}));

const saved: Record<string, AudienceNode> = {
  buyers: { kind: 'did', event: 'order', window: { type: 'last_days', days: 30 } },
  sh: { kind: 'attribute', attribute: 'city', op: 'eq', value: 'Shanghai' },
  nested: {
    kind: 'or',
    children: [
      { kind: 'audience', id: 'buyers' },
      { kind: 'not', child: { kind: 'audience', id: 'sh' } },
    ],
  },
};
export const resolve: AudienceResolver = (id) => saved[id];

export const depthOf = (n: Tree): number => {
  const children = Array.isArray(n['children'])
    ? (n['children'] as Tree[])
    : n['child']
      ? [n['child'] as Tree]
      : [];
  return 1 + Math.max(0, ...children.map(depthOf));
};

// ---- loading ------------------------------------------------------------------------------------

/** Commits the data set (seed 7) into a DuckDB warehouse, scores included. */
export const loadPropertyData = async (wh: Warehouse): Promise<void> => {
  const { identifies, events, scores } = generateData(7);
  await wh.commit({ events, identifies, rejections: [] });
  const conn = await wh.connect();
  for (const s of scores) {
    await conn.run(
      `INSERT INTO user_scores (user_id, lifecycle_stage, rfm_tier, rfm_r, rfm_f, rfm_m, churn_risk_score, churn_risk_level, ltv, computed_at) ` +
        `VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, epoch_ms(CAST($10 AS BIGINT)))`,
      s,
    );
  }
  conn.closeSync();
};

/** The member ids of a compiled audience on one engine. */
export type RunQuery = (q: CompiledQuery) => Promise<string[]>;

// ---- the property -------------------------------------------------------------------------------

/** Evaluated now and as of past instants (the present stays NOW). */
export const NOWS = [NOW, NOW - 10 * DAY_MS, NOW - 12 * HOUR_MS, NOW - 150 * DAY_MS, NOW - 300 * DAY_MS];

/**
 * `runs` random trees (split over NOWS, seeded per instant) compiled in `dialect` and run by
 * `run`, each compared with the reference evaluator. Far enough back, users who did not exist
 * yet drop out, and score conditions are refused instead of read from the future. A failure
 * names the tree, the SQL and its parameters (fast-check shrinks the tree first).
 */
export const agreeOnRandomTrees = async (options: {
  runs: number;
  data: ReferenceData;
  run: RunQuery;
  dialect?: SqlDialect;
}): Promise<void> => {
  const { runs, data, run, dialect } = options;
  const seenKinds = new Set<string>();
  let nonTrivial = 0;
  let refused = 0;
  for (const now of NOWS) {
    setGenNow(now);
    await fc.assert(
      fc.asyncProperty(tree, async (t) => {
        expect(depthOf(t)).toBeLessThanOrEqual(4);
        expect(validateAudience(t).ok).toBe(true);
        expect(Value.Check(AudienceNode, t)).toBe(true);
        const compiled = compileAudience(t, { now, resolve, present: NOW, ...(dialect ? { dialect } : {}) });
        if (now < NOW - 5 * 60_000 && JSON.stringify(t).includes('"kind":"score"')) {
          expect(compiled.ok).toBe(false);
          if (!compiled.ok) {
            for (const e of compiled.error)
              expect(e.message).toMatch(/^score '\w+' is only stored as its current value/);
          }
          refused += 1;
          return;
        }
        if (!compiled.ok) throw new Error(compiled.error.map(formatAudienceError).join('\n'));
        const viaSql = (await run(compiled.value)).sort();
        const viaReference = [...evaluateReference(t as AudienceNode, data, { now, resolve })].sort();
        expect(
          viaSql,
          `tree: ${JSON.stringify(t)}\nnow: ${new Date(now).toISOString()}\nsql: ${compiled.value.sql}\n` +
            `params: ${JSON.stringify(compiled.value.params)}`,
        ).toEqual(viaReference);
        JSON.stringify(t).replace(/"kind":"(\w+)"/g, (_m, k: string) => (seenKinds.add(k), ''));
        if (viaSql.length > 0 && viaSql.length < data.profiles.length) nonTrivial += 1;
      }),
      { numRuns: Math.ceil(runs / NOWS.length), seed: SEED + now },
    );
  }
  expect(refused).toBeGreaterThan(Math.min(10, runs / 100));
  expect([...seenKinds].sort()).toEqual([
    'and',
    'attribute',
    'audience',
    'bucket',
    'cart_abandoned',
    'did',
    'did_not',
    'first_time',
    'last_time',
    'metric',
    'not',
    'or',
    'score',
    'sequence',
  ]);
  // Most trees split the users: the agreement is not only on empty or full sets.
  expect(nonTrivial).toBeGreaterThan(runs / 3);
};

/** As of a past instant, the universe is the users who existed then: fewer the further back. */
export const universeShrinks = async (options: {
  data: ReferenceData;
  run: RunQuery;
  dialect?: SqlDialect;
}): Promise<void> => {
  const { data, run, dialect } = options;
  const everyone = { kind: 'and', children: [] };
  const sizes: number[] = [];
  for (const now of [NOW, NOW - 150 * DAY_MS, NOW - 300 * DAY_MS, NOW - 500 * DAY_MS]) {
    const compiled = compileAudience(everyone, { now, ...(dialect ? { dialect } : {}) });
    if (!compiled.ok) throw new Error('does not compile');
    const viaSql = await run(compiled.value);
    expect(viaSql.sort()).toEqual([...evaluateReference(everyone as AudienceNode, data, { now })].sort());
    sizes.push(viaSql.length);
  }
  // Fewer and fewer users the further back; none before the earliest identify or createdAt.
  expect(sizes[0]).toBeGreaterThanOrEqual(30);
  expect(sizes[1]).toBeLessThan(sizes[0] ?? 0);
  expect(sizes[2]).toBeLessThan(sizes[1] ?? 0);
  expect(sizes[3]).toBe(0);
};

/** The data set is rich enough to exercise the language. */
export const checkDataSet = (data: ReferenceData): void => {
  // 30 identified users; users known only from events may have a profile too.
  expect(data.profiles.length).toBeGreaterThanOrEqual(30);
  expect(data.events).toHaveLength(300);
  expect(data.history.length).toBeGreaterThan(100);
  expect(data.scores.length).toBeGreaterThan(10);
};

// ---- JSON text read as a time or a number -------------------------------------------------------

/**
 * Texts a JSON trait or event property may hold that DuckDB's casts and the reference evaluator
 * once read differently (a decimal read as epoch ms, an offset dropped, 'inf' / 'nan' read as
 * numbers, an epoch beyond DuckDB's timestamps throwing), beside ordinary ones. JSON numbers too.
 */
export const JSON_TEXTS: readonly unknown[] = [
  '12.5',
  '2024-05-01T10:00:00+08:00',
  '2024-05-01T10:00:00-0530',
  '2024-05-01T02:00:00Z',
  '2024-05-01T02:00:00.0005Z',
  '2024-05-01 10:00:00',
  '2024-05-01',
  ' 2024-05-01T10:00:00Z ',
  '2024-05-01T24:00:00',
  '2024-02-31',
  'inf',
  '-inf',
  'nan',
  'Infinity',
  '1e400',
  '-1e400',
  '1_000',
  '0x10',
  '1e3',
  '.5',
  '99999999999999999',
  '-99999999999999999',
  '9999999999999999999999',
  String(NOW - DAY_MS),
  ` ${NOW - 2 * DAY_MS} `,
  '0',
  'free',
  12.5,
  NOW - 3 * DAY_MS,
];

/** One user per text: trait `jt` and a `view` event whose property `jt` is that text. */
export const jsonTextData = (): { identifies: IdentifyRow[]; events: EventRow[] } => {
  const identifies: IdentifyRow[] = [];
  const events: EventRow[] = [];
  const opts = { receivedAt: NOW, source: 'http' as const, newMessageId: randomUUID };
  JSON_TEXTS.forEach((value, i) => {
    const userId = `j${String(i).padStart(2, '0')}`;
    const timestamp = new Date(NOW - 5 * DAY_MS).toISOString();
    const idf = normaliseIdentify(
      { type: 'identify', userId, timestamp, traits: { jt: value }, messageId: `ji${i}` },
      0,
      opts,
    );
    const ev = normaliseTrack(
      { type: 'track', userId, event: 'view', timestamp, properties: { jt: value }, messageId: `je${i}` },
      0,
      opts,
    );
    if (!idf.ok || !ev.ok) throw new Error(`${userId}: does not normalise`);
    identifies.push(idf.value);
    events.push(ev.value);
  });
  return { identifies, events };
};

const JSON_TIMES: readonly unknown[] = [
  '2024-05-01T02:00:00Z',
  '2024-05-01T01:59:59Z',
  '2024-05-01T02:00:01Z',
  '2024-05-01T15:30:00Z',
  '2024-05-01T10:00:00Z',
  0,
  1000,
  NOW,
  NOW - DAY_MS,
  { daysAgo: 2 },
];
const JSON_NUMBERS = [-1, 0, 0.5, 12.5, 1000, 1e9, 1e15];

/** Comparisons of a JSON value as a time (before/after/between, eq on its text) and as a number. */
const jsonTextComparisons = (): Tree[] => {
  const out: Tree[] = [];
  for (const time of JSON_TIMES) out.push({ op: 'before', time }, { op: 'after', time });
  for (const [i, min] of JSON_TIMES.entries())
    for (const max of JSON_TIMES.slice(i + 1)) {
      const [lo, hi] = [resolveTime(min as TimeSpec, NOW), resolveTime(max as TimeSpec, NOW)];
      if (lo !== null && hi !== null && lo <= hi) out.push({ op: 'between', min, max });
    }
  out.push({ op: 'within_last', days: 3 });
  for (const value of ['2024-05-01T02:00:00Z', '12.5', 'inf']) out.push({ op: 'eq', value });
  for (const value of JSON_NUMBERS)
    out.push({ op: 'gt', value }, { op: 'lt', value }, { op: 'eq', value }, { op: 'gte', value });
  for (const [i, min] of JSON_NUMBERS.entries())
    for (const max of JSON_NUMBERS.slice(i + 1)) out.push({ op: 'between', min, max });
  return out;
};

/** Each comparison on trait `jt` and as a `view` filter on property `jt`, and `not` of each. */
export const jsonTextTrees = (): Tree[] => {
  const leaves = jsonTextComparisons().flatMap((c): Tree[] => [
    { kind: 'attribute', attribute: 'jt', ...c },
    { kind: 'did', event: 'view', where: [{ property: 'jt', ...c }] },
  ]);
  return [...leaves, ...leaves.map((child) => ({ kind: 'not', child }))];
};
