import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formToTree,
  isComplete,
  type BehaviorCondition,
  type ProfileCondition,
  type TwoGroupForm,
} from '../console/src/features/audiences/two-group.ts';
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

const profileCondition: fc.Arbitrary<ProfileCondition> = fc.record({
  negate: fc.boolean(),
  attribute: fc.constantFrom('city', 'acquisition_channel', 'membership', 'balance'),
  op: fc.constantFrom('eq', 'neq', 'gt', 'lt', 'contains', 'exists'),
  value: fc.oneof(fc.constantFrom('Shanghai', 'vip', '10', '2.5'), fc.string({ minLength: 1, maxLength: 8 })),
});
const behaviorCondition: fc.Arbitrary<BehaviorCondition> = fc.record({
  negate: fc.boolean(),
  kind: fc.constantFrom('did', 'did_not'),
  event: fc.constantFrom('login', 'order', 'add_to_cart'),
  days: fc.integer({ min: 1, max: 365 }),
});
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
        };
        const server = twoGroupToTree(serverForm(f));
        expect(server.ok).toBe(true);
        if (server.ok) expect(formToTree(f)).toEqual(server.value);
      }),
      { numRuns: 300 },
    );
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
