import { joinTwoGroups, type AudienceNode, type TwoGroupItem } from '../../lib/audience-tree.ts';

/**
 * The builder's form (a profile group and a behaviour group, each condition a row of inputs)
 * and its conversion to the audience tree the API evaluates: each row becomes a node here, and
 * the server's own join (src/core/audience/two-group-tree.ts) combines the groups.
 */
export type Combinator = 'and' | 'or';
export type Join = 'and' | 'or' | 'and_not';

export interface ProfileCondition {
  negate: boolean;
  attribute: string;
  op: 'eq' | 'neq' | 'gt' | 'lt' | 'contains' | 'exists';
  value: string;
  /** A trait the metadata API says holds numbers (typed columns are in NUMERIC_ATTRIBUTES). */
  numeric?: boolean;
}
export interface BehaviorCondition {
  negate: boolean;
  kind: 'did' | 'did_not' | 'cart_abandoned';
  /** For `cart_abandoned`: the add-to-cart event. */
  event: string;
  days: number;
  /** For `cart_abandoned`: no order within this many hours after the add. */
  hours?: number;
}

export const CART_EVENT = 'add_to_cart';
export const CART_HOURS = 24;
export interface TwoGroupForm {
  profile: { combinator: Combinator; conditions: ProfileCondition[] };
  behavior: { combinator: Combinator; conditions: BehaviorCondition[] };
  join: Join;
}

export const NUMERIC_ATTRIBUTES = new Set(['balance']);

const isNumber = (v: string) => v.trim() !== '' && Number.isFinite(Number(v));
// `contains` compares text; `gt`/`lt` compare numbers; (in)equality follows the column's type.
const isNumeric = (c: ProfileCondition) => c.numeric === true || NUMERIC_ATTRIBUTES.has(c.attribute);
const needsNumber = (c: ProfileCondition) =>
  c.op === 'gt' || c.op === 'lt' || (c.op !== 'contains' && isNumeric(c));

/** A condition the API would accept: an attribute, and a value that fits the operator. */
export const isComplete = (c: ProfileCondition): boolean =>
  c.attribute !== '' && (c.op === 'exists' || (needsNumber(c) ? isNumber(c.value) : c.value !== ''));

// One return per operator family, so each node is the tree's own type (a number for gt/lt).
const profileNode = (c: ProfileCondition): AudienceNode => {
  const { attribute, op, value } = c;
  if (op === 'exists') return { kind: 'attribute', attribute, op };
  if (op === 'gt' || op === 'lt') return { kind: 'attribute', attribute, op, value: Number(value) };
  if (op === 'contains') return { kind: 'attribute', attribute, op, value };
  // eq / neq follow the column's type (needsNumber).
  return {
    kind: 'attribute',
    attribute,
    op,
    value: isNumeric(c) ? Number(value) : value,
  };
};

const behaviorNode = (c: BehaviorCondition): AudienceNode =>
  c.kind === 'cart_abandoned'
    ? {
        kind: 'cart_abandoned',
        ...(c.event.trim() === CART_EVENT ? {} : { add: { event: c.event.trim() } }),
        within: { value: c.hours ?? CART_HOURS, unit: 'hours' },
        window: { type: 'last_days', days: c.days },
      }
    : { kind: c.kind, event: c.event, window: { type: 'last_days', days: c.days } };

/** Conditions still being typed (no attribute or event yet) are left out rather than sent half-made. */
export const formToTree = (form: TwoGroupForm): AudienceNode =>
  joinTwoGroups({
    profile: {
      combinator: form.profile.combinator,
      conditions: form.profile.conditions
        .filter((c) => c.attribute !== '')
        .map((c): TwoGroupItem => ({ negate: c.negate, condition: profileNode(c) })),
    },
    behavior: {
      combinator: form.behavior.combinator,
      conditions: form.behavior.conditions
        .filter((c) => c.event.trim() !== '' && c.days > 0 && (c.hours === undefined || c.hours > 0))
        .map((c): TwoGroupItem => ({ negate: c.negate, condition: behaviorNode(c) })),
    },
    join: form.join,
  });

export const emptyForm = (): TwoGroupForm => ({
  profile: { combinator: 'and', conditions: [] },
  behavior: { combinator: 'and', conditions: [] },
  join: 'and',
});
