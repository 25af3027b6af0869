/**
 * The builder's form (a profile group and a behaviour group) and its conversion to the
 * audience tree the API evaluates; the same rules as src/core/audience/two-group.ts:
 * an empty group places no condition, two empty groups are everyone.
 */
export type Combinator = 'and' | 'or';
export type Join = 'and' | 'or' | 'and_not';

export interface ProfileCondition {
  negate: boolean;
  attribute: string;
  op: 'eq' | 'neq' | 'gt' | 'lt' | 'contains' | 'exists';
  value: string;
}
export interface BehaviorCondition {
  negate: boolean;
  kind: 'did' | 'did_not';
  event: string;
  days: number;
}
export interface TwoGroupForm {
  profile: { combinator: Combinator; conditions: ProfileCondition[] };
  behavior: { combinator: Combinator; conditions: BehaviorCondition[] };
  join: Join;
}

export type Node = { kind: string; [k: string]: unknown };

export const NUMERIC_ATTRIBUTES = new Set(['balance']);

const isNumber = (v: string) => v.trim() !== '' && Number.isFinite(Number(v));
// `contains` compares text; `gt`/`lt` compare numbers; (in)equality follows the column's type.
const needsNumber = (c: ProfileCondition) =>
  c.op === 'gt' || c.op === 'lt' || (c.op !== 'contains' && NUMERIC_ATTRIBUTES.has(c.attribute));

/** A condition the API would accept: an attribute, and a value that fits the operator. */
export const isComplete = (c: ProfileCondition): boolean =>
  c.attribute !== '' && (c.op === 'exists' || (needsNumber(c) ? isNumber(c.value) : c.value !== ''));

const profileNode = (c: ProfileCondition): Node =>
  c.op === 'exists'
    ? { kind: 'attribute', attribute: c.attribute, op: 'exists' }
    : {
        kind: 'attribute',
        attribute: c.attribute,
        op: c.op,
        value: needsNumber(c) ? Number(c.value) : c.value,
      };

const behaviorNode = (c: BehaviorCondition): Node => ({
  kind: c.kind,
  event: c.event,
  window: { type: 'last_days', days: c.days },
});

const group = (combinator: Combinator, items: { negate: boolean; node: Node }[]): Node | undefined => {
  const nodes = items.map((i) => (i.negate ? { kind: 'not', child: i.node } : i.node));
  if (nodes.length === 0) return undefined;
  if (nodes.length === 1) return nodes[0];
  return { kind: combinator, children: nodes };
};

/** Conditions still being typed (no attribute or event yet) are left out rather than sent half-made. */
export const formToTree = (form: TwoGroupForm): Node => {
  const p = group(
    form.profile.combinator,
    form.profile.conditions
      .filter((c) => c.attribute !== '')
      .map((c) => ({ negate: c.negate, node: profileNode(c) })),
  );
  const b = group(
    form.behavior.combinator,
    form.behavior.conditions
      .filter((c) => c.event.trim() !== '' && c.days > 0)
      .map((c) => ({ negate: c.negate, node: behaviorNode(c) })),
  );
  if (p === undefined && b === undefined) return { kind: 'and', children: [] };
  if (b === undefined) return p as Node;
  if (p === undefined) return form.join === 'and_not' ? { kind: 'not', child: b } : b;
  if (form.join === 'and_not') return { kind: 'and', children: [p, { kind: 'not', child: b }] };
  return { kind: form.join, children: [p, b] };
};

export const emptyForm = (): TwoGroupForm => ({
  profile: { combinator: 'and', conditions: [] },
  behavior: { combinator: 'and', conditions: [] },
  join: 'and',
});
