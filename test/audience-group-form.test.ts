import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  groupFormToTree,
  type FormItem,
  type GroupItem,
} from '../console/src/features/audiences/group-form.ts';
import { shownTime } from '../console/src/features/audiences/time-text.ts';
import { fixedCount, treeToForm } from '../console/src/features/audiences/tree-to-form.ts';
import { validateAudience, type AudienceNode } from '../src/core/audience/index.ts';

/**
 * The audience builder opens any tree the API accepts and writes it back unchanged: tree → form
 * → tree is the identity, over hand-made trees of every node kind (nested NOT / OR, windows since
 * an event and between dates, saved-audience references, 3-step sequences, yes/no traits, random
 * buckets) and over random trees as deep as three groups. The kinds the issue names open as rows
 * that can be edited, not as conditions kept read-only.
 */

type Tree = Record<string, unknown>;
const roundTrip = (t: unknown) => groupFormToTree(treeToForm(t as AudienceNode));

const did = (event: string, window?: Tree, where?: Tree[]): Tree => ({
  kind: 'did',
  event,
  ...(where === undefined ? {} : { where }),
  ...(window === undefined ? {} : { window }),
});
const since = { type: 'since', event: 'login', where: [{ property: 'platform', op: 'eq', value: 'ios' }] };
const threeSteps = {
  kind: 'sequence',
  steps: [
    { event: 'view_item' },
    { event: 'add_to_cart', where: [{ property: 'amount', op: 'gte', value: 100 }] },
    { event: 'order' },
  ],
  within: { value: 7, unit: 'days' },
  window: { type: 'last_days', days: 30 },
};
const booleanTrait = { kind: 'attribute', attribute: 'consent_sms', op: 'eq', value: true };
const reference = { kind: 'audience', id: 'aud_123' };

/** Trees the builder must show as rows (every one of them editable). */
const EDITABLE: Record<string, Tree> = {
  'A and (B or not C)': {
    kind: 'and',
    children: [
      { kind: 'score', score: 'churn_risk_level', op: 'eq', value: 'high' },
      {
        kind: 'or',
        children: [did('order', since), { kind: 'not', child: threeSteps }],
      },
    ],
  },
  'not of a group, three levels deep': {
    kind: 'not',
    child: {
      kind: 'or',
      children: [
        {
          kind: 'and',
          children: [booleanTrait, { kind: 'not', child: { kind: 'or', children: [reference] } }],
        },
        did('login', { type: 'between', from: '2026-01-01', to: '2026-02-01' }),
      ],
    },
  },
  'since the first order, all time, count with filters': {
    kind: 'or',
    children: [
      {
        kind: 'metric',
        event: 'order',
        fn: 'sum',
        property: 'amount',
        where: [{ property: 'category', op: 'eq', value: 'shoes' }],
        window: { type: 'since', event: 'order', occurrence: 'first' },
        op: 'gte',
        value: 500,
      },
      did('login'),
      { kind: 'did_not', event: 'order', window: { type: 'last_days', days: 90 } },
    ],
  },
  'a 3-step sequence alone': threeSteps,
  'a yes/no trait alone': booleanTrait,
  'a saved audience, excluded': { kind: 'not', child: reference },
  'a bucket and a list': {
    kind: 'and',
    children: [
      { kind: 'bucket', salt: 'holdout', min: 0, max: 9 },
      { kind: 'attribute', attribute: 'city', op: 'not_in', values: ['Shanghai', 'Beijing'] },
      { kind: 'attribute', attribute: 'register_time', op: 'within_last', days: 30 },
      { kind: 'score', score: 'lifecycle_stage', op: 'in', values: ['new', 'growing'] },
      { kind: 'first_time', event: 'order', op: 'before', time: { daysAgo: 60 } },
      { kind: 'last_time', event: 'login', op: 'after', time: '2026-01-15' },
      {
        kind: 'cart_abandoned',
        within: { value: 24, unit: 'hours' },
        window: { type: 'last_days', days: 7 },
      },
      {
        kind: 'sequence',
        steps: [{ event: 'add_to_cart' }, { event: 'order' }],
        within: { value: 30, unit: 'minutes' },
        window: { type: 'since', event: 'login', occurrence: 'last' },
      },
    ],
  },
  'a group of one, and empty groups': {
    kind: 'and',
    children: [
      { kind: 'or', children: [] },
      { kind: 'and', children: [did('order', { type: 'last_days', days: 7 })] },
    ],
  },
  'not of not': { kind: 'not', child: { kind: 'not', child: did('login') } },
  'a profile value at a past time': {
    kind: 'attribute',
    attribute: 'membership',
    op: 'eq',
    value: 'gold',
    at: '2026-01-01',
  },
  'between two numbers': { kind: 'metric', event: 'order', fn: 'count', op: 'between', min: 1, max: 3 },
  'a sequence without an event in between': {
    kind: 'sequence',
    steps: [{ event: 'add_to_cart' }, { event: 'order' }],
    without: { event: 'remove_from_cart', where: [{ property: 'amount', op: 'gte', value: 10 }] },
  },
  'a cart of the same product': {
    kind: 'cart_abandoned',
    add: { event: 'add_item' },
    order: { event: 'pay' },
    within: { value: 2, unit: 'days' },
    sameProduct: true,
  },
  'a window of epoch milliseconds': did('login', {
    type: 'between',
    from: 1_700_000_000_000,
    to: 1_800_000_000_000,
  }),
  'times as dates, date-times and epoch ms, ranges of numbers and times': {
    kind: 'and',
    children: [
      { kind: 'attribute', attribute: 'balance', op: 'between', min: 10, max: 99.5 },
      {
        kind: 'attribute',
        attribute: 'register_time',
        op: 'between',
        min: '2026-01-01',
        max: 1_800_000_000_000,
      },
      {
        kind: 'attribute',
        attribute: 'register_time',
        op: 'after',
        time: '2026-01-15T08:00:00+08:00',
        at: 1,
      },
      { kind: 'score', score: 'ltv', op: 'between', min: 0, max: 1000 },
      {
        kind: 'last_time',
        event: 'order',
        op: 'between',
        min: 1_700_000_000_000,
        max: '2026-02-01T00:00:00Z',
      },
      { kind: 'first_time', event: 'login', op: 'before', time: 1_700_000_000_000 },
      {
        kind: 'cart_abandoned',
        order: { event: 'order' },
        within: { value: 30, unit: 'minutes' },
        sameProduct: false,
      },
    ],
  },
  everyone: { kind: 'and', children: [] },
  'no one': { kind: 'or', children: [] },
};

/** Trees with parts no row holds: kept as saved, read-only, never dropped. */
const KEPT: Record<string, Tree> = {
  'a time some days ago on a profile value': {
    kind: 'attribute',
    attribute: 'register_time',
    op: 'before',
    time: { daysAgo: 30 },
  },
  'a filter on a list of values': did('order', undefined, [
    { property: 'category', op: 'in', values: ['shoes', 'bags'] },
  ]),
  'a cart whose order event has filters': {
    kind: 'cart_abandoned',
    order: { event: 'pay', where: [{ property: 'amount', op: 'gt', value: 0 }] },
    within: { value: 2, unit: 'days' },
  },
};

const items = (g: GroupItem): FormItem[] =>
  g.items.flatMap((i) => (i.type === 'group' ? [i, ...items(i)] : [i]));

describe('audience builder: any tree opens and saves back unchanged', () => {
  it.each(Object.entries(EDITABLE))('%s: every condition is a row', (_, tree) => {
    expect(validateAudience(tree).ok).toBe(true);
    const form = treeToForm(tree as AudienceNode);
    expect(fixedCount(form.root)).toBe(0);
    expect(roundTrip(tree)).toEqual(tree);
  });

  it('shows nested groups as groups, since windows, 3 steps, yes/no traits and references as rows', () => {
    const form = treeToForm(EDITABLE['A and (B or not C)'] as AudienceNode);
    const [score, or] = form.root.items;
    expect(score?.type).toBe('profile');
    expect(or?.type).toBe('group');
    if (or?.type !== 'group') return;
    expect(or.combinator).toBe('or');
    const [b, notC] = or.items;
    expect(b?.type === 'behavior' && b.c.window).toEqual({
      type: 'since',
      event: 'login',
      where: [{ property: 'platform', op: 'eq', value: 'ios' }],
    });
    expect(notC?.type === 'behavior' && [notC.c.negate, notC.c.event, notC.c.then, notC.c.more]).toEqual([
      true,
      'view_item',
      'add_to_cart',
      [{ event: 'order', where: [] }],
    ]);
    const deep = items(treeToForm(EDITABLE['not of a group, three levels deep'] as AudienceNode).root);
    expect(deep.map((i) => i.type)).toEqual(['group', 'profile', 'group', 'audience', 'behavior']);
    const trait = deep[1];
    expect(trait?.type === 'profile' && [trait.c.boolean, trait.c.value]).toEqual([true, 'true']);
    const ref = deep[3];
    expect(ref?.type === 'audience' && [ref.id, ref.negate]).toEqual(['aud_123', false]);
    const excluded = deep[2];
    expect(excluded?.type === 'group' && excluded.negate).toBe(true);
  });

  it.each(Object.entries(KEPT))('%s: kept as saved, read-only', (_, tree) => {
    expect(validateAudience(tree).ok).toBe(true);
    expect(fixedCount(treeToForm(tree as AudienceNode).root)).toBeGreaterThan(0);
    expect(roundTrip(tree)).toEqual(tree);
    // Inside groups too.
    const nested = {
      kind: 'or',
      children: [did('order'), { kind: 'not', child: { kind: 'and', children: [tree] } }],
    };
    expect(roundTrip(nested)).toEqual(nested);
  });

  it('random trees of every node kind, three levels deep, come back unchanged', () => {
    fc.assert(
      fc.property(anyTree, (tree) => {
        expect(roundTrip(tree)).toEqual(tree);
      }),
      { numRuns: 1500 },
    );
  });

  it('keeps a time as it was saved (epoch ms or ISO text) until the operator picks another', () => {
    const tree = did('login', { type: 'between', from: 1_700_000_000_000, to: '2026-02-01T08:00:00+08:00' });
    const form = treeToForm(tree as AudienceNode);
    const [row] = form.root.items;
    if (row?.type !== 'behavior' || row.c.window?.type !== 'between') throw new Error('no window row');
    // Shown as UTC date-times; written back as saved.
    expect(shownTime(row.c.window.from)).toEqual({ kind: 'datetime', value: '2023-11-14T22:13:20' });
    expect(shownTime(row.c.window.to)).toEqual({ kind: 'datetime', value: '2026-02-01T00:00:00' });
    expect(groupFormToTree(form)).toEqual(tree);
    // The operator picks a new end: that one is written as picked, the start stays epoch ms.
    const edited = {
      ...form,
      root: {
        ...form.root,
        items: [{ ...row, c: { ...row.c, window: { ...row.c.window, to: '2026-03-01' } } }],
      },
    };
    expect(groupFormToTree(edited)).toEqual(
      did('login', { type: 'between', from: 1_700_000_000_000, to: '2026-03-01' }),
    );
    expect(validateAudience(groupFormToTree(edited)).ok).toBe(true);
  });

  it('random trees of the conditions a row can hold (past values, ranges, without, carts, epoch ms) open as editable rows', () => {
    fc.assert(
      fc.property(editableTree, (tree) => {
        expect(validateAudience(tree).ok).toBe(true);
        expect(fixedCount(treeToForm(tree as AudienceNode).root)).toBe(0);
        expect(roundTrip(tree)).toEqual(tree);
      }),
      { numRuns: 1500 },
    );
  });
});

// Random trees: every node kind and every comparison, window and duration of the schema.
const clean = (o: Tree): Tree => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
const time = fc.oneof(
  fc.constantFrom('2026-01-15', '2026-01-15T08:00:00Z', '2025-12-31'),
  fc.integer({ min: 0, max: 1_800_000_000_000 }),
  fc.record({ daysAgo: fc.constantFrom(0, 1, 7, 30.5) }),
);
const scalar = fc.oneof(
  fc.constantFrom('Shanghai', 'gold', '10', ''),
  fc.constantFrom(1, 2.5, 100),
  fc.boolean(),
);
const cmp = fc.oneof(
  fc.record({ op: fc.constantFrom('eq', 'neq'), value: scalar }),
  fc.record({
    op: fc.constantFrom('in', 'not_in'),
    values: fc.array(scalar, { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ op: fc.constantFrom('contains', 'not_contains'), value: fc.constantFrom('vip', 'a') }),
  fc.record({ op: fc.constantFrom('gt', 'gte', 'lt', 'lte'), value: fc.constantFrom(0, 3, 99.5) }),
  fc.record({
    op: fc.constant('between'),
    min: fc.oneof(fc.constant(1), time),
    max: fc.oneof(fc.constant(9), time),
  }),
  fc.record({ op: fc.constantFrom('before', 'after'), time }),
  fc.record({ op: fc.constant('within_last'), days: fc.constantFrom(1, 7, 2.5) }),
  fc.record({ op: fc.constantFrom('exists', 'not_exists') }),
);
const numberCmp = fc.oneof(
  fc.record({
    op: fc.constantFrom('eq', 'neq', 'gt', 'gte', 'lt', 'lte'),
    value: fc.constantFrom(0, 2, 9.5),
  }),
  fc.record({ op: fc.constant('between'), min: fc.constant(1), max: fc.constant(5) }),
);
const timeCmp = fc.oneof(
  fc.record({ op: fc.constantFrom('before', 'after'), time }),
  fc.record({ op: fc.constant('between'), min: time, max: time }),
  fc.record({ op: fc.constant('within_last'), days: fc.constantFrom(1, 30) }),
);
const filters = fc.option(
  fc.array(
    fc
      .tuple(fc.constantFrom('amount', 'category', 'platform', 'flag'), cmp)
      .map(([property, c]) => ({ property, ...c })),
    { minLength: 0, maxLength: 2 },
  ),
  { nil: undefined },
);
const event = fc.constantFrom('login', 'order', 'add_to_cart', 'view_item');
const step = fc.record({ event, where: filters }).map(clean);
const window = fc.option(
  fc.oneof(
    fc.record({ type: fc.constant('last_days'), days: fc.constantFrom(7, 30, 0.5) }),
    fc.record({ type: fc.constant('between'), from: time, to: time }),
    fc.record(
      { type: fc.constant('since'), event, where: filters, occurrence: fc.constantFrom('first', 'last') },
      { requiredKeys: ['type', 'event'] },
    ),
  ),
  { nil: undefined },
);
const duration = fc.record({
  value: fc.constantFrom(1, 3, 30),
  unit: fc.constantFrom('minutes', 'hours', 'days'),
});
const leaf: fc.Arbitrary<Tree> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('city', 'balance', 'register_time', 'consent_sms', 'tags'),
      cmp,
      fc.option(time, { nil: undefined }),
    )
    .map(([attribute, c, at]) => clean({ kind: 'attribute', attribute, ...c, at })),
  fc
    .tuple(fc.constantFrom('churn_risk_level', 'rfm_tier', 'ltv', 'computed_at'), cmp)
    .map(([score, c]) => ({ kind: 'score', score, ...c })),
  fc.record({ kind: fc.constantFrom('did', 'did_not'), event, where: filters, window }).map(clean),
  fc
    .tuple(
      fc.oneof(
        fc.record({ fn: fc.constant('count') }),
        fc.record({
          fn: fc.constantFrom('sum', 'avg', 'min', 'max', 'count_distinct'),
          property: fc.constantFrom('amount', 'qty'),
        }),
      ),
      fc.record({ event, where: filters, window }),
      numberCmp,
    )
    .map(([m, s, c]) => clean({ kind: 'metric', ...m, ...s, ...c })),
  fc
    .tuple(fc.constantFrom('first_time', 'last_time'), event, filters, timeCmp)
    .map(([kind, e, where, c]) => clean({ kind, event: e, where, ...c })),
  fc
    .record({
      kind: fc.constant('sequence'),
      steps: fc.array(step, { minLength: 2, maxLength: 4 }),
      within: fc.option(duration, { nil: undefined }),
      without: fc.option(step, { nil: undefined }),
      window,
    })
    .map(clean),
  fc
    .record({
      kind: fc.constant('cart_abandoned'),
      add: fc.option(step, { nil: undefined }),
      order: fc.option(step, { nil: undefined }),
      within: duration,
      window,
      sameProduct: fc.option(fc.boolean(), { nil: undefined }),
    })
    .map(clean),
  fc.record({ kind: fc.constant('audience'), id: fc.constantFrom('aud_1', 'aud_2') }),
  fc.record({
    kind: fc.constant('bucket'),
    salt: fc.constantFrom('', 'h'),
    min: fc.constant(0),
    max: fc.constantFrom(9, 99),
  }),
);
const { anyTree } = fc.letrec<{ anyTree: Tree; and: Tree; or: Tree; not: Tree }>((tie) => ({
  anyTree: fc.oneof({ maxDepth: 3, depthIdentifier: 'tree' }, leaf, tie('and'), tie('or'), tie('not')),
  and: fc.record({ kind: fc.constant('and'), children: fc.array(tie('anyTree'), { maxLength: 3 }) }),
  or: fc.record({ kind: fc.constant('or'), children: fc.array(tie('anyTree'), { maxLength: 3 }) }),
  not: fc.record({ kind: fc.constant('not'), child: tie('anyTree') }),
}));

// Random trees the rows hold: every time as a date, a date-time or epoch ms (never `daysAgo`, the
// "N days ago" rows' own), filters the filter rows offer, windows, ranges, `at`, `without`, carts.
const rowTime = fc.oneof(
  fc.constantFrom('2026-01-15', '2026-01-15T08:00:00Z', '2025-12-31T23:59:59.5+08:00'),
  fc.integer({ min: 0, max: 1_800_000_000_000 }),
);
const rowFilters = fc.option(
  fc.array(
    fc.oneof(
      fc.record({
        property: fc.constantFrom('category', 'platform'),
        op: fc.constantFrom('eq', 'neq', 'contains'),
        value: fc.constantFrom('shoes', 'ios'),
      }),
      fc.record({
        property: fc.constant('amount'),
        op: fc.constantFrom('eq', 'gt', 'gte', 'lt', 'lte'),
        value: fc.constantFrom(0, 99.5),
      }),
      fc.record({ property: fc.constantFrom('amount', 'coupon'), op: fc.constant('exists') }),
    ),
    { minLength: 1, maxLength: 2 },
  ),
  { nil: undefined },
);
const rowStep = fc.record({ event, where: rowFilters }).map(clean);
const rowWindow = fc.option(
  fc.oneof(
    fc.record({ type: fc.constant('last_days'), days: fc.constantFrom(7, 30) }),
    fc.record({ type: fc.constant('between'), from: rowTime, to: rowTime }),
    fc.record(
      { type: fc.constant('since'), event, where: rowFilters, occurrence: fc.constantFrom('first', 'last') },
      { requiredKeys: ['type', 'event'] },
    ),
  ),
  { nil: undefined },
);
const rowLeaf: fc.Arbitrary<Tree> = fc.oneof(
  fc
    .tuple(
      fc.oneof(
        fc.record({
          attribute: fc.constant('balance'),
          op: fc.constant('between'),
          min: fc.constantFrom(0, 10),
          max: fc.constantFrom(99, 1e6),
        }),
        fc.record({
          attribute: fc.constantFrom('register_time', 'last_login'),
          op: fc.constant('between'),
          min: rowTime,
          max: rowTime,
        }),
        fc.record({
          attribute: fc.constantFrom('register_time', 'last_login'),
          op: fc.constantFrom('before', 'after'),
          time: rowTime,
        }),
        fc.record({
          attribute: fc.constantFrom('city', 'membership'),
          op: fc.constantFrom('eq', 'neq'),
          value: fc.constantFrom('gold', 'Shanghai'),
        }),
      ),
      fc.option(rowTime, { nil: undefined }),
    )
    .map(([c, at]) => clean({ kind: 'attribute', ...c, at })),
  fc.record({
    kind: fc.constant('score'),
    score: fc.constantFrom('ltv', 'rfm_r'),
    op: fc.constant('between'),
    min: fc.constant(1),
    max: fc.constantFrom(5, 2.5),
  }),
  fc
    .record({
      kind: fc.constant('metric'),
      event,
      fn: fc.constant('count'),
      where: rowFilters,
      window: rowWindow,
      op: fc.constant('between'),
      min: fc.constantFrom(0, 1),
      max: fc.constantFrom(3, 9.5),
    })
    .map(clean),
  fc
    .tuple(
      fc.constantFrom('first_time', 'last_time'),
      event,
      fc.oneof(
        fc.record({ op: fc.constant('between'), min: rowTime, max: rowTime }),
        fc.record({ op: fc.constantFrom('before', 'after'), time: rowTime }),
      ),
    )
    .map(([kind, e, c]) => ({ kind, event: e, ...c })),
  fc
    .record({ kind: fc.constantFrom('did', 'did_not'), event, where: rowFilters, window: rowWindow })
    .map(clean),
  fc
    .record({
      kind: fc.constant('sequence'),
      steps: fc.array(rowStep, { minLength: 2, maxLength: 4 }),
      within: fc.option(duration, { nil: undefined }),
      without: fc.option(rowStep, { nil: undefined }),
      window: rowWindow,
    })
    .map(clean),
  fc
    .record({
      kind: fc.constant('cart_abandoned'),
      add: fc.option(fc.record({ event: fc.constantFrom('add_item', 'add_to_basket') }), { nil: undefined }),
      order: fc.option(fc.record({ event: fc.constantFrom('order', 'pay') }), { nil: undefined }),
      within: duration,
      window: rowWindow,
      sameProduct: fc.option(fc.boolean(), { nil: undefined }),
    })
    .map(clean),
);
const { editableTree } = fc.letrec<{ editableTree: Tree; group: Tree }>((tie) => ({
  editableTree: fc.oneof({ maxDepth: 3, depthIdentifier: 'rows' }, rowLeaf, tie('group')),
  group: fc.record({
    kind: fc.constantFrom('and', 'or'),
    children: fc.array(tie('editableTree'), { minLength: 1, maxLength: 3 }),
  }),
}));
