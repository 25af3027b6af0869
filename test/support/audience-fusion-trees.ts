import fc from 'fast-check';
import { expect } from 'vitest';
import { compileAudience } from '../../src/core/audience/compiler.ts';
import { numberHolds } from '../../src/core/audience/comparison.ts';
import { evaluateReference, type ReferenceData } from '../../src/core/audience/reference-evaluator.ts';
import type { AudienceNode, Comparison } from '../../src/core/audience/schema.ts';
import { formatAudienceError } from '../../src/core/audience/schema.ts';
import type { SqlDialect } from '../../src/core/sql/dialect.ts';
import { DAY_MS } from '../../src/core/time/units.ts';
import { NOW, resolve, type RunQuery, type Tree } from './audience-property-data.ts';

/**
 * Trees built to hit the compiler's one-pass grouping (`fuseSiblings`): an `and` of 2–4 event
 * conditions on the same event and filters (did, did_not, every metric, first/last time, a two-step sequence; windows
 * last_days, between, none), beside an unrelated sibling, sometimes under a `not`. The random
 * trees of the main property test seldom put two such siblings together, so these make sure the
 * grouped SQL is held to the reference evaluator on both engines.
 */

const EVENTS = ['login', 'view', 'add_to_cart', 'order', 'pay'] as const;
const FILTERS: readonly (Tree[] | undefined)[] = [
  undefined,
  [{ property: 'amount', op: 'gte', value: 20 }],
  [{ property: 'coupon', op: 'exists' }],
  [{ property: 'category', op: 'neq', value: 'shoes' }],
];
const days = fc.constantFrom(1, 3, 7, 30, 45, 90, 365);
const dayMs = (d: number) => NOW - d * DAY_MS;
const window = fc.option(
  fc.oneof(
    fc.record({ type: fc.constant('last_days'), days }),
    fc.tuple(days, days).map(([a, b]) => ({
      type: 'between',
      from: new Date(dayMs(Math.max(a, b))).toISOString(),
      to: { daysAgo: Math.min(a, b) - 1 },
    })),
  ),
  { nil: undefined, freq: 3 },
);
const numberCmp = fc.oneof(
  fc.record({
    op: fc.constantFrom('eq', 'neq', 'gt', 'gte', 'lt', 'lte'),
    value: fc.constantFrom(0, 1, 2, 3, 20, 100, -1),
  }),
  fc.constant({ op: 'between', min: 0, max: 2 }),
);
const timeCmp = fc.oneof(
  fc.record({ op: fc.constantFrom('before', 'after'), time: days.map((d) => ({ daysAgo: d })) }),
  fc.record({ op: fc.constant('within_last'), days }),
);
const clean = (o: Tree): Tree => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** One fusable condition on `event` with `where`. */
const member = (event: string, where: Tree[] | undefined): fc.Arbitrary<Tree> =>
  fc.oneof(
    fc.record({ kind: fc.constantFrom('did', 'did_not'), window }).map((n) => clean({ ...n, event, where })),
    fc
      .tuple(
        fc.oneof(
          fc.record({ fn: fc.constant('count') }),
          fc.record({
            fn: fc.constantFrom('sum', 'avg', 'min', 'max', 'count_distinct'),
            property: fc.constantFrom('amount', 'qty', 'category'),
          }),
        ),
        window,
        numberCmp,
      )
      .filter(([m]) => m.fn === 'count_distinct' || !('property' in m) || m.property !== 'category')
      .map(([m, w, cmp]) => clean({ kind: 'metric', event, where, ...m, window: w, ...cmp })),
    fc
      .tuple(fc.constantFrom('first_time', 'last_time'), timeCmp)
      .map(([kind, cmp]) => clean({ kind, event, where, ...cmp })),
    // A two-step sequence starting with the group's events, maybe under a `not`.
    fc
      .tuple(
        fc.constantFrom(...EVENTS),
        fc.constantFrom(...FILTERS),
        fc.option(
          fc.record({ value: fc.constantFrom(1, 2, 24, 72), unit: fc.constantFrom('hours', 'days') }),
          { nil: undefined },
        ),
        window,
        fc.boolean(),
      )
      .map(([next, nextWhere, within, w, negate]) => {
        const seq = clean({
          kind: 'sequence',
          steps: [clean({ event, where }), clean({ event: next, where: nextWhere })],
          within,
          window: w,
        });
        return negate ? { kind: 'not', child: seq } : seq;
      }),
  );

const other = fc.constantFrom<Tree>(
  { kind: 'attribute', attribute: 'city', op: 'eq', value: 'Shanghai' },
  // Filtered on a property no member filters on: never grouped with them.
  {
    kind: 'did',
    event: 'login',
    where: [{ property: 'platform', op: 'eq', value: 'ios' }],
    window: { type: 'last_days', days: 30 },
  },
  { kind: 'bucket', salt: 'a', min: 0, max: 59 },
);

export const fusableTree: fc.Arbitrary<Tree> = fc
  .tuple(fc.constantFrom(...EVENTS), fc.constantFrom(...FILTERS))
  .chain(([event, where]) =>
    fc.tuple(
      fc.array(member(event, where), { minLength: 2, maxLength: 4 }),
      fc.option(other, { nil: undefined }),
      fc.boolean(),
    ),
  )
  .map(([members, extra, negate]) => {
    const and: Tree = { kind: 'and', children: extra === undefined ? members : [extra, ...members] };
    return negate ? { kind: 'not', child: and } : and;
  });

/** Whether any member (not the `platform` sibling) requires an event: only then is the group one pass. */
const fuses = (t: Tree): boolean => {
  const and = (t['kind'] === 'not' ? t['child'] : t) as { children: Tree[] };
  return and.children.some(
    (c) =>
      !JSON.stringify(c).includes('platform') &&
      (c['kind'] === 'did' ||
        c['kind'] === 'sequence' ||
        c['kind'] === 'first_time' ||
        c['kind'] === 'last_time' ||
        (c['kind'] === 'metric' &&
          (!['count', 'count_distinct', 'sum'].includes(String(c['fn'])) ||
            !numberHolds(c as unknown as Comparison, 0)))),
  );
};

export const fusedTreesAgree = async (options: {
  runs: number;
  data: ReferenceData;
  run: RunQuery;
  dialect?: SqlDialect;
}): Promise<void> => {
  const { runs, data, run, dialect } = options;
  let grouped = 0;
  let nonTrivial = 0;
  await fc.assert(
    fc.asyncProperty(fusableTree, async (t) => {
      const compiled = compileAudience(t, { now: NOW, resolve, ...(dialect ? { dialect } : {}) });
      if (!compiled.ok) throw new Error(compiled.error.map(formatAudienceError).join('\n'));
      // Grouped: one pass over the events for the members (plus one for a `did login` sibling).
      const and = (t['kind'] === 'not' ? t['child'] : t) as { children: Tree[] };
      const passes = compiled.value.sql.match(/FROM events (e|q0) /g)?.length ?? 0;
      const others = and.children.filter((c) => JSON.stringify(c).includes('platform')).length;
      if (passes === 1 + others) grouped += 1;
      else if (fuses(t)) throw new Error(`not grouped: ${JSON.stringify(t)}\n${compiled.value.sql}`);
      const viaSql = (await run(compiled.value)).sort();
      const viaReference = [...evaluateReference(t as AudienceNode, data, { now: NOW, resolve })].sort();
      expect(
        viaSql,
        `tree: ${JSON.stringify(t)}\nsql: ${compiled.value.sql}\nparams: ${JSON.stringify(compiled.value.params)}`,
      ).toEqual(viaReference);
      if (viaSql.length > 0 && viaSql.length < data.profiles.length) nonTrivial += 1;
    }),
    { numRuns: runs, seed: 20261208 },
  );
  // Most trees were answered in one pass, and many split the users.
  expect(grouped).toBeGreaterThan(runs / 2);
  expect(nonTrivial).toBeGreaterThan(runs / 5);
};
