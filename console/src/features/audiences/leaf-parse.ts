import {
  CART_EVENT,
  CART_HOURS,
  NUMERIC_ATTRIBUTES,
  NUMERIC_SCORES,
  type BehaviorCondition,
  type FilterOp,
  type ProfileCondition,
  type ProfileOp,
  type PropertyFilterRow,
  type StepRow,
  type WindowForm,
} from './two-group.ts';
import { numOrTimeText, timeText } from './time-text.ts';

/**
 * One condition of a saved tree back into a row of the builder (tree-to-form.ts checks that the
 * row writes the very same node, and keeps the node as it is when it does not). Null: no row
 * holds this condition.
 */

export type Node = Record<string, unknown>;
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
  'not_in',
  'exists',
  'not_exists',
  'within_last',
  'before',
  'after',
  'between',
]);
const FILTER_OPS = new Set<FilterOp>(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'contains', 'exists']);

const scalarText = (v: unknown): string | null =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null;

export const profileOf = (n: Node): ProfileCondition | null => {
  const score = n['kind'] === 'score';
  const field = score ? n['score'] : n['attribute'];
  if (typeof field !== 'string') return null;
  const op = n['op'] as ProfileOp;
  if (!PROFILE_OPS.has(op)) return null;
  const at = n['at'] === undefined ? undefined : timeText(n['at']);
  if (at === null) return null;
  const base = {
    negate: false,
    ...(score ? { source: 'score' as const } : {}),
    attribute: field,
    op,
    ...(at === undefined ? {} : { at }),
  };
  const numericKnown = score ? NUMERIC_SCORES.has(field) : NUMERIC_ATTRIBUTES.has(field);
  if (op === 'exists' || op === 'not_exists') return { ...base, value: '' };
  if (op === 'within_last')
    return typeof n['days'] === 'number' ? { ...base, value: String(n['days']) } : null;
  if (op === 'before' || op === 'after') {
    const t = timeText(n['time']);
    return t === null ? null : { ...base, value: t };
  }
  if (op === 'between') {
    const min = numOrTimeText(n['min']);
    const max = numOrTimeText(n['max']);
    return min === null || max === null ? null : { ...base, value: min, max };
  }
  if (op === 'in' || op === 'not_in') {
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
  if (typeof v === 'boolean') return { ...base, value: String(v), boolean: true };
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

/** The row's window: `days` for the last N days, or `window` for the others. */
const windowOf = (w: unknown): { days: number; window?: WindowForm } | null => {
  if (w === undefined) return { days: 30, window: { type: 'all' } };
  if (typeof w !== 'object' || w === null) return null;
  const o = w as Node;
  if (o['type'] === 'last_days') return typeof o['days'] === 'number' ? { days: o['days'] } : null;
  if (o['type'] === 'between') {
    const from = timeText(o['from']);
    const to = timeText(o['to']);
    if (from === null || to === null) return null;
    return { days: 30, window: { type: 'between', from, to } };
  }
  if (o['type'] === 'since' && typeof o['event'] === 'string') {
    const where = filtersOf(o['where']);
    if (where === null) return null;
    const occurrence = o['occurrence'];
    return {
      days: 30,
      window: {
        type: 'since',
        event: o['event'],
        where,
        ...(occurrence === 'first' || occurrence === 'last' ? { occurrence } : {}),
      },
    };
  }
  return null;
};

export const behaviorOf = (n: Node): BehaviorCondition | null => {
  const kind = n['kind'];
  if (kind === 'sequence') {
    const steps = n['steps'] as Node[];
    const within = n['within'] as Node | undefined;
    const w = windowOf(n['window']);
    if (steps.length < 2 || w === null) return null;
    const without = n['without'] as Node | undefined;
    const withoutWhere = without === undefined ? [] : filtersOf(without['where']);
    if (withoutWhere === null) return null;
    const unit = within?.['unit'];
    const [a, b, ...rest] = steps as [Node, Node, ...Node[]];
    const where = filtersOf(a['where']);
    const thenWhere = filtersOf(b['where']);
    const more = rest.map((s): StepRow | null => {
      const f = filtersOf(s['where']);
      return f === null ? null : { event: String(s['event']), where: f };
    });
    if (where === null || thenWhere === null || more.some((m) => m === null)) return null;
    return {
      negate: false,
      kind,
      event: String(a['event']),
      where,
      then: String(b['event']),
      thenWhere,
      ...(more.length === 0 ? {} : { more: more as StepRow[] }),
      ...w,
      ...(within === undefined ? {} : { withinDays: Number(within['value']) }),
      ...(unit === 'minutes' || unit === 'hours' ? { withinUnit: unit } : {}),
      ...(without === undefined ? {} : { without: { event: String(without['event']), where: withoutWhere } }),
    };
  }
  if (kind === 'cart_abandoned') {
    const within = n['within'] as Node;
    const w = windowOf(n['window']);
    const order = n['order'] as Node | undefined;
    if (w === null || (order !== undefined && order['where'] !== undefined)) return null;
    const add = n['add'] as Node | undefined;
    if (add !== undefined && add['where'] !== undefined) return null;
    const event = add === undefined ? CART_EVENT : String(add['event']);
    const unit = within['unit'];
    const same = n['sameProduct'];
    return {
      negate: false,
      kind,
      event,
      ...w,
      hours: Number(within['value'] ?? CART_HOURS),
      ...(unit === 'minutes' || unit === 'days' ? { cartUnit: unit } : {}),
      ...(order === undefined ? {} : { orderEvent: String(order['event']) }),
      ...(typeof same === 'boolean' ? { sameProduct: same } : {}),
    };
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
    if (op === 'before' || op === 'after') {
      const when = timeText(time);
      return when === null ? null : { ...base, timeCmp: op, when };
    }
    if (op === 'between') {
      const when = timeText(n['min']);
      const whenMax = timeText(n['max']);
      return when === null || whenMax === null ? null : { ...base, timeCmp: 'between', when, whenMax };
    }
    return null;
  }
  const w = windowOf(n['window']);
  if (w === null) return null;
  if (kind === 'did' || kind === 'did_not') return { negate: false, kind, event, where, ...w };
  if (kind === 'metric') {
    const op = n['op'];
    if (op !== 'gte' && op !== 'lte' && op !== 'eq' && op !== 'gt' && op !== 'lt' && op !== 'between')
      return null;
    return {
      negate: false,
      kind,
      event,
      where,
      ...w,
      fn: n['fn'] as BehaviorCondition['fn'] & string,
      ...(typeof n['property'] === 'string' ? { property: n['property'] } : {}),
      cmp: op,
      ...(op === 'between'
        ? { amount: String(n['min']), amountMax: String(n['max']) }
        : { amount: String(n['value']) }),
    };
  }
  return null;
};
