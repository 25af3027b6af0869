import type { AudienceNode } from '../../lib/audience-tree.ts';
import {
  CART_EVENT,
  CART_HOURS,
  NUMERIC_ATTRIBUTES,
  NUMERIC_SCORES,
  type BehaviorCondition,
  type Combinator,
  type FilterOp,
  type ProfileCondition,
  type ProfileOp,
  type PropertyFilterRow,
  type TwoGroupForm,
} from './two-group.ts';

/**
 * A saved tree back into the builder's form, so a saved audience can be opened and edited. Any
 * tree the builder wrote comes back (formToTree(treeToForm(t)) = t), and so do flat AND / OR
 * lists of conditions such as the demo's; a tree the form cannot show (nested groups, windows
 * since an event, saved-audience references…) gives null and is edited through the API.
 */

type Node = Record<string, unknown>;
const PROFILE_OPS = new Set<ProfileOp>([
  'eq',
  'neq',
  'gt',
  'gte',
  'lt',
  'lte',
  'contains',
  'not_contains',
  'in',
  'exists',
  'not_exists',
  'within_last',
  'before',
  'after',
]);
const FILTER_OPS = new Set<FilterOp>(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'contains', 'exists']);

const scalarText = (v: unknown): string | null =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null;

const profileOf = (n: Node): ProfileCondition | null => {
  const score = n['kind'] === 'score';
  const field = score ? n['score'] : n['attribute'];
  if (typeof field !== 'string' || n['at'] !== undefined) return null;
  const op = n['op'] as ProfileOp;
  if (!PROFILE_OPS.has(op)) return null;
  const base = {
    negate: false,
    ...(score ? { source: 'score' as const } : {}),
    attribute: field,
    op,
  };
  const numericKnown = score ? NUMERIC_SCORES.has(field) : NUMERIC_ATTRIBUTES.has(field);
  if (op === 'exists' || op === 'not_exists') return { ...base, value: '' };
  if (op === 'within_last')
    return typeof n['days'] === 'number' ? { ...base, value: String(n['days']) } : null;
  if (op === 'before' || op === 'after') {
    const t = n['time'];
    return typeof t === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(t) ? { ...base, value: t } : null;
  }
  if (op === 'in') {
    const values = n['values'];
    if (!Array.isArray(values)) return null;
    const texts = values.map(scalarText);
    if (texts.some((t) => t === null)) return null;
    const numeric = values.every((v) => typeof v === 'number');
    return {
      ...base,
      value: '',
      values: texts as string[],
      ...(numeric && !numericKnown ? { numeric: true } : {}),
    };
  }
  const v = n['value'];
  const text = scalarText(v);
  if (text === null) return null;
  const numeric = typeof v === 'number' && op !== 'gt' && op !== 'gte' && op !== 'lt' && op !== 'lte';
  // A number compared for (in)equality on a field the form does not know as numeric is a numeric trait.
  if (typeof v === 'string' && numericKnown && op !== 'contains' && op !== 'not_contains') return null;
  return { ...base, value: text, ...(numeric && !numericKnown ? { numeric: true } : {}) };
};

const filtersOf = (where: unknown): PropertyFilterRow[] | null => {
  if (where === undefined) return [];
  if (!Array.isArray(where)) return null;
  const rows: PropertyFilterRow[] = [];
  for (const f of where as Node[]) {
    const op = f['op'] as FilterOp;
    if (typeof f['property'] !== 'string' || !FILTER_OPS.has(op)) return null;
    if (op === 'exists') {
      rows.push({ property: f['property'], op, value: '' });
      continue;
    }
    const text = scalarText(f['value']);
    if (text === null) return null;
    const numeric = typeof f['value'] === 'number' && ['eq', 'neq'].includes(op);
    rows.push({ property: f['property'], op, value: text, ...(numeric ? { numeric: true } : {}) });
  }
  return rows;
};

const lastDays = (w: unknown): number | null => {
  if (typeof w !== 'object' || w === null) return null;
  const o = w as Node;
  return o['type'] === 'last_days' && typeof o['days'] === 'number' ? o['days'] : null;
};

const behaviorOf = (n: Node): BehaviorCondition | null => {
  const kind = n['kind'];
  if (kind === 'sequence') {
    const steps = n['steps'] as Node[];
    const within = n['within'] as Node | undefined;
    const days = lastDays(n['window']);
    if (steps.length !== 2 || n['without'] !== undefined || days === null) return null;
    if (within !== undefined && within['unit'] !== 'days') return null;
    const [a, b] = steps as [Node, Node];
    const where = filtersOf(a['where']);
    const thenWhere = filtersOf(b['where']);
    if (where === null || thenWhere === null) return null;
    return {
      negate: false,
      kind,
      event: String(a['event']),
      where,
      then: String(b['event']),
      thenWhere,
      days,
      ...(within === undefined ? {} : { withinDays: Number(within['value']) }),
    };
  }
  if (kind === 'cart_abandoned') {
    const within = n['within'] as Node;
    const days = lastDays(n['window']);
    if (
      days === null ||
      within['unit'] !== 'hours' ||
      n['order'] !== undefined ||
      n['sameProduct'] !== undefined
    )
      return null;
    const add = n['add'] as Node | undefined;
    if (add !== undefined && add['where'] !== undefined) return null;
    const event = add === undefined ? CART_EVENT : String(add['event']);
    return { negate: false, kind, event, days, hours: Number(within['value'] ?? CART_HOURS) };
  }
  const where = filtersOf(n['where']);
  if (where === null || typeof n['event'] !== 'string') return null;
  const event = n['event'];
  if (kind === 'first_time' || kind === 'last_time') {
    const op = n['op'];
    const time = n['time'];
    const base = { negate: false, kind, event, where, days: 30 } as const;
    if (op === 'within_last') return { ...base, timeCmp: 'within_last', when: String(n['days']) };
    if (op === 'before' && typeof time === 'object' && time !== null && 'daysAgo' in time)
      return { ...base, timeCmp: 'older_than', when: String((time as Node)['daysAgo']) };
    if ((op === 'before' || op === 'after') && typeof time === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(time))
      return { ...base, timeCmp: op, when: time };
    return null;
  }
  const days = lastDays(n['window']);
  if (days === null) return null;
  if (kind === 'did' || kind === 'did_not') return { negate: false, kind, event, where, days };
  if (kind === 'metric') {
    const op = n['op'];
    if (op !== 'gte' && op !== 'lte' && op !== 'eq' && op !== 'gt' && op !== 'lt') return null;
    return {
      negate: false,
      kind,
      event,
      where,
      days,
      fn: n['fn'] as BehaviorCondition['fn'] & string,
      ...(typeof n['property'] === 'string' ? { property: n['property'] } : {}),
      cmp: op,
      amount: String(n['value']),
    };
  }
  return null;
};

type Leaf = { family: 'profile'; c: ProfileCondition } | { family: 'behavior'; c: BehaviorCondition };

/** One condition, possibly negated. */
const leafOf = (node: Node): Leaf | null => {
  if (node['kind'] === 'not') {
    const inner = leafOf(node['child'] as Node);
    return inner === null ? null : ({ ...inner, c: { ...inner.c, negate: !inner.c.negate } } as Leaf);
  }
  if (node['kind'] === 'attribute' || node['kind'] === 'score') {
    const c = profileOf(node);
    return c === null ? null : { family: 'profile', c };
  }
  const c = behaviorOf(node);
  return c === null ? null : { family: 'behavior', c };
};

/** A group of one family: a condition, or an AND / OR of conditions. */
const groupOf = (node: Node): { combinator: Combinator; leaves: Leaf[] } | null => {
  if (node['kind'] === 'and' || node['kind'] === 'or') {
    const leaves = (node['children'] as Node[]).map(leafOf);
    if (leaves.some((l) => l === null)) return null;
    return { combinator: node['kind'], leaves: leaves as Leaf[] };
  }
  const leaf = leafOf(node);
  return leaf === null ? null : { combinator: 'and', leaves: [leaf] };
};

const formOf = (
  profile: { combinator: Combinator; leaves: Leaf[] },
  behavior: { combinator: Combinator; leaves: Leaf[] },
  join: TwoGroupForm['join'],
): TwoGroupForm | null => {
  if (
    profile.leaves.some((l) => l.family !== 'profile') ||
    behavior.leaves.some((l) => l.family !== 'behavior')
  )
    return null;
  return {
    profile: {
      combinator: profile.combinator,
      conditions: profile.leaves.map((l) => l.c as ProfileCondition),
    },
    behavior: {
      combinator: behavior.combinator,
      conditions: behavior.leaves.map((l) => l.c as BehaviorCondition),
    },
    join,
  };
};

const none = { combinator: 'and' as const, leaves: [] };

export const treeToForm = (tree: AudienceNode): TwoGroupForm | null => {
  const root = tree as unknown as Node;
  const kind = root['kind'];
  if (kind === 'and' || kind === 'or') {
    const children = root['children'] as Node[];
    // The builder's own shape: [profile group, behaviour group (negated for AND NOT)].
    if (children.length === 2) {
      const [p, b] = children as [Node, Node];
      const pg = groupOf(p);
      // `and [p, not b]` is AND NOT (the same tree as a negated row, and exact for a group or a double negation).
      const negatedGroup = kind === 'and' && b['kind'] === 'not';
      const bg = groupOf(negatedGroup ? (b['child'] as Node) : b);
      if (pg !== null && bg !== null && pg.leaves.length > 0) {
        const join = negatedGroup ? 'and_not' : kind;
        const form = formOf(pg, bg, join);
        if (form !== null) return form;
      }
    }
    // A flat list: conditions of each family together, both groups and the join the root's.
    const leaves = children.map(leafOf);
    if (leaves.some((l) => l === null)) return null;
    const all = leaves as Leaf[];
    return formOf(
      { combinator: kind, leaves: all.filter((l) => l.family === 'profile') },
      { combinator: kind, leaves: all.filter((l) => l.family === 'behavior') },
      kind,
    );
  }
  if (kind === 'not') {
    // AND NOT with an empty profile group: the behaviour group negated.
    const bg = groupOf(root['child'] as Node);
    const form = bg === null ? null : formOf(none, bg, 'and_not');
    if (form !== null) return form;
  }
  const leaf = leafOf(root);
  if (leaf === null) return null;
  return leaf.family === 'profile'
    ? formOf({ combinator: 'and', leaves: [leaf] }, none, 'and')
    : formOf(none, { combinator: 'and', leaves: [leaf] }, 'and');
};
