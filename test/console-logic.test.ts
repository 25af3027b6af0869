import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formToTree,
  isBehaviorComplete,
  isComplete,
  type BehaviorCondition,
  type ProfileCondition,
  type PropertyFilterRow,
  type TwoGroupForm,
} from '../console/src/features/audiences/two-group.ts';
import { groupFormToTree } from '../console/src/features/audiences/group-form.ts';
import { fixedCount, treeToForm } from '../console/src/features/audiences/tree-to-form.ts';
import { compileAudience } from '../src/core/audience/compiler.ts';
import { checkSms } from '../console/src/features/campaigns/sms-checks.ts';
import * as consoleMask from '../console/src/lib/mask.ts';
import * as serverMask from '../src/core/audience/mask.ts';
import { twoGroupToTree } from '../src/core/audience/two-group.ts';

/**
 * The console's pure pieces: the audience builder's form → tree conversion must give the same
 * tree as the server's two-group conversion (so the live count means what the saved audience
 * means), contacts are masked in the browser as the server masks them, and the SMS checks count
 * characters and billing parts as carriers do.
 */

// The operators the builder offers for each type of field (ConditionRows.tsx).
const value = fc.oneof(
  fc.constantFrom('Shanghai', 'vip', '10', '2.5'),
  fc.string({ minLength: 1, maxLength: 8 }),
);
const attributeCondition: fc.Arbitrary<ProfileCondition> = fc.oneof(
  fc.record({
    negate: fc.boolean(),
    attribute: fc.constantFrom('city', 'acquisition_channel', 'membership', 'tags', 'churn_reason'),
    op: fc.constantFrom('eq', 'neq', 'contains', 'not_contains', 'exists', 'not_exists'),
    value,
  }),
  fc.record({
    negate: fc.boolean(),
    attribute: fc.constant('balance'),
    op: fc.constantFrom('eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'exists', 'not_exists'),
    value,
  }),
);
const listCondition: fc.Arbitrary<ProfileCondition> = fc.record({
  negate: fc.boolean(),
  attribute: fc.constantFrom('city', 'acquisition_channel', 'balance'),
  op: fc.constant('in' as const),
  value: fc.constant(''),
  values: fc.array(fc.constantFrom('Shanghai', 'Beijing', '10', '3'), { minLength: 1, maxLength: 3 }),
});
const timeCondition: fc.Arbitrary<ProfileCondition> = fc.record({
  negate: fc.boolean(),
  attribute: fc.constantFrom('register_time', 'churn_reason_at'),
  op: fc.constantFrom('within_last', 'before', 'after'),
  value: fc.constantFrom('30', '7', '2026-01-15', '2025-12-31', 'x'),
});
const scoreCondition: fc.Arbitrary<ProfileCondition> = fc.oneof(
  fc.record({
    negate: fc.boolean(),
    source: fc.constant('score' as const),
    attribute: fc.constantFrom('churn_risk_level', 'rfm_tier'),
    op: fc.constantFrom('eq', 'neq', 'exists'),
    value: fc.constantFrom('high', 'medium', 'low'),
  }),
  fc.record({
    negate: fc.boolean(),
    source: fc.constant('score' as const),
    attribute: fc.constant('lifecycle_stage'),
    op: fc.constant('in' as const),
    value: fc.constant(''),
    values: fc.array(fc.constantFrom('new', 'mature', 'silent'), { minLength: 1, maxLength: 2 }),
  }),
  fc.record({
    negate: fc.boolean(),
    source: fc.constant('score' as const),
    attribute: fc.constantFrom('churn_risk_score', 'ltv', 'rfm_r', 'p_alive'),
    op: fc.constantFrom('gte', 'lte', 'gt', 'lt', 'eq', 'not_exists'),
    value: fc.constantFrom('50', '0.5', '3', 'abc'),
  }),
);
const profileCondition: fc.Arbitrary<ProfileCondition> = fc.oneof(
  attributeCondition,
  listCondition,
  timeCondition,
  scoreCondition,
);
const filterRow: fc.Arbitrary<PropertyFilterRow> = fc.oneof(
  fc.record({
    property: fc.constantFrom('category', 'product_id', 'keyword'),
    op: fc.constantFrom('eq', 'neq', 'contains', 'exists'),
    value: fc.constantFrom('shoes', 'p1', ''),
  }),
  fc.record({
    property: fc.constant('amount'),
    op: fc.constantFrom('gte', 'lte', 'eq', 'gt'),
    value: fc.constantFrom('100', '9.5', 'x'),
  }),
);
const where = fc.array(filterRow, { maxLength: 2 });
const event = fc.constantFrom('login', 'order', 'add_to_cart', 'view_item');
const behaviorCondition: fc.Arbitrary<BehaviorCondition> = fc.oneof(
  fc.record({
    negate: fc.boolean(),
    kind: fc.constantFrom('did', 'did_not'),
    event,
    days: fc.integer({ min: 1, max: 365 }),
    where,
  }),
  fc.record({
    negate: fc.boolean(),
    kind: fc.constant('metric' as const),
    event,
    days: fc.integer({ min: 1, max: 365 }),
    where,
    fn: fc.constantFrom('count', 'sum', 'avg', 'min', 'max', 'count_distinct'),
    property: fc.constantFrom('amount', 'price', ''),
    cmp: fc.constantFrom('gte', 'lte', 'eq', 'gt', 'lt'),
    amount: fc.constantFrom('2', '100', '0.5', ''),
  }),
  fc.record({
    negate: fc.boolean(),
    kind: fc.constantFrom('first_time', 'last_time'),
    event,
    days: fc.constant(30),
    where,
    timeCmp: fc.constantFrom('within_last', 'older_than', 'before', 'after'),
    when: fc.constantFrom('14', '90', '2026-01-15', ''),
  }),
  fc.record(
    {
      negate: fc.boolean(),
      kind: fc.constant('sequence' as const),
      event,
      days: fc.integer({ min: 1, max: 365 }),
      where,
      then: event,
      thenWhere: where,
      withinDays: fc.integer({ min: 1, max: 30 }),
    },
    { requiredKeys: ['negate', 'kind', 'event', 'days', 'then'] },
  ),
  fc.record({
    negate: fc.boolean(),
    kind: fc.constant('cart_abandoned' as const),
    event: fc.constantFrom('add_to_cart', 'add_item'),
    days: fc.integer({ min: 1, max: 30 }),
    hours: fc.integer({ min: 1, max: 72 }),
  }),
);
const form: fc.Arbitrary<TwoGroupForm> = fc.record({
  profile: fc.record({
    combinator: fc.constantFrom('and', 'or'),
    conditions: fc.array(profileCondition, { maxLength: 4 }),
  }),
  behavior: fc.record({
    combinator: fc.constantFrom('and', 'or'),
    conditions: fc.array(behaviorCondition, { maxLength: 4 }),
  }),
  join: fc.constantFrom('and', 'or', 'and_not'),
});

/** The node the console builds for one condition: a form holding only that condition, not negated. */
const nodeOf = (c: ProfileCondition | BehaviorCondition) => {
  const none = { combinator: 'and' as const, conditions: [] };
  return 'attribute' in c
    ? formToTree({
        profile: { combinator: 'and', conditions: [{ ...c, negate: false }] },
        behavior: none,
        join: 'and',
      })
    : formToTree({
        profile: none,
        behavior: { combinator: 'and', conditions: [{ ...c, negate: false }] },
        join: 'and',
      });
};

/** The same form in the server's shape (conditions as nodes, negation and grouping left to it). */
const serverForm = (f: TwoGroupForm) => ({
  profile: {
    combinator: f.profile.combinator,
    conditions: f.profile.conditions.map((c) => ({ negate: c.negate, condition: nodeOf(c) })),
  },
  behavior: {
    combinator: f.behavior.combinator,
    conditions: f.behavior.conditions.map((c) => ({ negate: c.negate, condition: nodeOf(c) })),
  },
  join: f.join,
});

describe('audience builder form', () => {
  it("converts to the same tree as the server's two-group conversion", () => {
    fc.assert(
      fc.property(form, (typed) => {
        // Conditions still being typed are left out by the console; compare what it sends.
        const f = {
          ...typed,
          profile: { ...typed.profile, conditions: typed.profile.conditions.filter(isComplete) },
          behavior: { ...typed.behavior, conditions: typed.behavior.conditions.filter(isBehaviorComplete) },
        };
        const server = twoGroupToTree(serverForm(f));
        expect(server.ok).toBe(true);
        if (!server.ok) return;
        expect(formToTree(f)).toEqual(server.value);
        // And what the console sends compiles (the live count is never a 400 for a complete form).
        const compiled = compileAudience(server.value, { now: Date.UTC(2026, 10, 20) });
        expect(compiled.ok ? [] : compiled.error).toEqual([]);
      }),
      { numRuns: 400 },
    );
  });

  it('opens a saved tree it wrote as the same form (the saved audience is edited as it was built)', () => {
    fc.assert(
      fc.property(form, (f) => {
        const tree = formToTree(f);
        const opened = treeToForm(tree);
        // Every condition it wrote is a row again (none kept read-only), and the tree comes back.
        expect(fixedCount(opened.root)).toBe(0);
        expect(groupFormToTree(opened)).toEqual(tree);
      }),
      { numRuns: 400 },
    );
    // A flat list of both families (as the demo's audiences are written) opens too, and nested groups.
    const flat = {
      kind: 'and' as const,
      children: [
        {
          kind: 'metric' as const,
          event: 'order',
          fn: 'count' as const,
          window: { type: 'last_days' as const, days: 180 },
          op: 'gte' as const,
          value: 2,
        },
        {
          kind: 'attribute' as const,
          attribute: 'acquisition_channel',
          op: 'eq' as const,
          value: 'distribution',
        },
        {
          kind: 'not' as const,
          child: { kind: 'did' as const, event: 'login', window: { type: 'last_days' as const, days: 7 } },
        },
      ],
    };
    const opened = treeToForm(flat);
    expect(opened.root.items.map((i) => [i.type, i.type === 'behavior' ? i.c.negate : null])).toEqual([
      ['behavior', false],
      ['profile', null],
      ['behavior', true],
    ]);
    const nested = treeToForm({ kind: 'or', children: [flat, flat] });
    expect(nested.root.items.map((i) => i.type)).toEqual(['group', 'group']);
    expect(groupFormToTree(nested)).toEqual({ kind: 'or', children: [flat, flat] });
  });

  it('builds AND NOT, typed numbers and an everyone tree', () => {
    expect(
      formToTree({
        profile: {
          combinator: 'and',
          conditions: [{ negate: false, attribute: 'balance', op: 'gt', value: '100' }],
        },
        behavior: {
          combinator: 'or',
          conditions: [{ negate: false, kind: 'did', event: 'order', days: 30 }],
        },
        join: 'and_not',
      }),
    ).toEqual({
      kind: 'and',
      children: [
        { kind: 'attribute', attribute: 'balance', op: 'gt', value: 100 },
        { kind: 'not', child: { kind: 'did', event: 'order', window: { type: 'last_days', days: 30 } } },
      ],
    });
    // A condition still being typed is left out rather than sent half-made.
    expect(
      formToTree({
        profile: { combinator: 'and', conditions: [{ negate: false, attribute: '', op: 'eq', value: '' }] },
        behavior: { combinator: 'and', conditions: [{ negate: true, kind: 'did', event: ' ', days: 7 }] },
        join: 'or',
      }),
    ).toEqual({ kind: 'and', children: [] });
  });
});

describe('contact masking', () => {
  const phone = fc.oneof(
    fc.stringMatching(/^1[3-9]\d{9}$/),
    fc.stringMatching(/^\+861[3-9]\d{9}$/),
    fc.stringMatching(/^\+?\d{0,16}$/),
    fc.string({ maxLength: 20 }),
  );
  const email = fc.oneof(fc.emailAddress(), fc.string({ maxLength: 30 }));

  it('masks as the server does, and leaves what the server masked as it is', () => {
    fc.assert(
      fc.property(phone, email, (p, m) => {
        expect(consoleMask.maskPhone(p)).toBe(serverMask.maskPhone(p));
        expect(consoleMask.maskEmail(m)).toBe(serverMask.maskEmail(m));
        // The console masks again what reaches the page: the server's answer must come out unchanged.
        const shownPhone = serverMask.maskPhone(p);
        if (shownPhone !== null) expect(consoleMask.maskPhone(shownPhone)).toBe(shownPhone);
        const shownEmail = serverMask.maskEmail(m);
        if (shownEmail !== null) expect(consoleMask.maskEmail(shownEmail)).toBe(shownEmail);
      }),
      { numRuns: 500 },
    );
  });

  it('masks numbers that are not 11 digits as the server does (the console once kept 4 stars)', () => {
    expect(consoleMask.maskPhone('13812348000')).toBe('138****8000');
    expect(consoleMask.maskPhone('+8613812348000')).toBe('138****8000');
    expect(consoleMask.maskPhone('0211234567')).toBe('021***4567');
    expect(consoleMask.maskPhone('+4915112345678')).toBe('+49*******5678');
    expect(consoleMask.maskPhone('12345678')).toBe('******78');
    expect(consoleMask.maskEmail('lisa@example.com')).toBe('l***@example.com');
  });
});

describe('SMS checks', () => {
  it('counts Chinese text in 70-character parts, 67 once split, and GSM text in 160/153', () => {
    expect(checkSms('好'.repeat(66), '【品牌】')).toMatchObject({ length: 70, parts: 1 });
    expect(checkSms('好'.repeat(67), '【品牌】')).toMatchObject({ length: 71, parts: 2 });
    expect(checkSms('好'.repeat(131), '【品牌】')).toMatchObject({ length: 135, parts: 3 });
    expect(checkSms('a'.repeat(160), '')).toMatchObject({ parts: 1 });
    expect(checkSms('a'.repeat(161), '')).toMatchObject({ parts: 2 });
    expect(checkSms('a'.repeat(307), '')).toMatchObject({ parts: 3 });
    expect(checkSms('', '')).toMatchObject({ length: 0, parts: 0 });
  });

  it('flags a missing 【signature】 and a missing opt-out hint', () => {
    expect(checkSms('券已到账 回T退订', '【Rekindle】')).toMatchObject({
      signatureMissing: false,
      optOutMissing: false,
    });
    expect(checkSms('券已到账', 'Rekindle')).toMatchObject({ signatureMissing: true, optOutMissing: true });
    expect(checkSms('Reply STOP to opt out', '【R】')).toMatchObject({ optOutMissing: false });
  });
});
