import { joinTwoGroups, type AudienceNode, type TwoGroupItem } from '../../lib/audience-tree.ts';
import { isNumOrTime, isTimeText, numOrTimeSpec, timeSpec } from './time-text.ts';

/**
 * The builder's form (a profile group and a behaviour group, each condition a row of inputs)
 * and its conversion to the audience tree the API evaluates: each row becomes a node here, and
 * the server's own join (src/core/audience/two-group-tree.ts) combines the groups.
 *
 * Every condition kind of the API has a row: attributes (with times such as the register time,
 * tags as `contains` on a list trait, the churn reason), scores (RFM tier, lifecycle stage, churn
 * risk and its level, value), event counts, sums and averages with property filters, first and
 * last times, sequences (A then B within N days) and abandoned carts.
 */
export type Combinator = 'and' | 'or';
export type Join = 'and' | 'or' | 'and_not';

export type ProfileOp =
  | 'eq'
  | 'neq'
  | 'gt'
  | 'gte'
  | 'lt'
  | 'lte'
  | 'contains'
  | 'not_contains'
  | 'in'
  | 'not_in'
  | 'exists'
  | 'not_exists'
  | 'within_last'
  | 'before'
  | 'after'
  | 'between';

export interface ProfileCondition {
  negate: boolean;
  /** A profile column or trait (the default), or a computed score (`attribute` names it). */
  source?: 'attribute' | 'score';
  attribute: string;
  op: ProfileOp;
  /**
   * The value; for `within_last` a number of days, for `before`/`after` a time (time-text.ts),
   * for `between` the lower end (a number or a time).
   */
  value: string;
  /** For `between`: the upper end. */
  max?: string;
  /** The value the attribute had at this time (time-text.ts) instead of its current one. */
  at?: string;
  /** For `in`: the values picked. */
  values?: string[];
  /** A trait the metadata API says holds numbers (typed columns are in NUMERIC_ATTRIBUTES). */
  numeric?: boolean;
  /** A trait that holds yes/no (`value` is 'true' or 'false'). */
  boolean?: boolean;
}

export type FilterOp = 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'contains' | 'exists';

/** A condition on one property of an event (`where`). */
export interface PropertyFilterRow {
  property: string;
  op: FilterOp;
  value: string;
  numeric?: boolean;
}

export type BehaviorKind =
  'did' | 'did_not' | 'metric' | 'first_time' | 'last_time' | 'sequence' | 'cart_abandoned';
export type MetricFn = 'count' | 'count_distinct' | 'sum' | 'avg' | 'min' | 'max';
export type MetricCmp = 'gte' | 'lte' | 'eq' | 'gt' | 'lt' | 'between';
/** First/last time: within the last N days, more than N days ago, before or after a time, between two. */
export type TimeCmp = 'within_last' | 'older_than' | 'before' | 'after' | 'between';

export interface BehaviorCondition {
  negate: boolean;
  kind: BehaviorKind;
  /** The event (for `cart_abandoned`: the add-to-cart event; for `sequence`: the first step). */
  event: string;
  /** The window: the last N days (not used by first/last time). */
  days: number;
  /** For `cart_abandoned`: no order within this many hours after the add. */
  hours?: number;
  where?: PropertyFilterRow[];
  /** For `metric`: the aggregate, its property (not for `count`), the comparison and the number. */
  fn?: MetricFn;
  property?: string;
  cmp?: MetricCmp;
  amount?: string;
  /** For `metric` between: the upper end (`amount` is the lower). */
  amountMax?: string;
  /** For first/last time: the comparison and its days or date. */
  timeCmp?: TimeCmp;
  when?: string;
  /** For first/last time between: the later time (`when` is the earlier). */
  whenMax?: string;
  /** For `sequence`: the second step, its filters, and at most this many days after the first. */
  then?: string;
  thenWhere?: PropertyFilterRow[];
  withinDays?: number;
  /** The unit of `withinDays` when not days (the API also takes minutes and hours). */
  withinUnit?: 'minutes' | 'hours';
  /** For `sequence`: the steps after the second, in order. */
  more?: StepRow[];
  /** For `sequence`: an event that must not happen between the first and the last step. */
  without?: StepRow;
  /** For `cart_abandoned`: the order event when not `order` (written as saved, even `order`). */
  orderEvent?: string;
  /** For `cart_abandoned`: only an order of the same product counts (absent: any order). */
  sameProduct?: boolean;
  /** For `cart_abandoned`: the unit of `hours` when not hours. */
  cartUnit?: 'minutes' | 'days';
  /** The window when it is not the last `days` days. */
  window?: WindowForm;
}

export const CART_EVENT = 'add_to_cart';
export const CART_HOURS = 24;
export interface TwoGroupForm {
  profile: { combinator: Combinator; conditions: ProfileCondition[] };
  behavior: { combinator: Combinator; conditions: BehaviorCondition[] };
  join: Join;
}

export const NUMERIC_ATTRIBUTES = new Set(['balance']);
/** Profile columns that hold times (compared by days or dates). */
export const TIME_ATTRIBUTES = new Set(['register_time', 'first_seen', 'updated_at', 'churn_reason_at']);
/** Scores that are numbers; the others (tier, stage, level) are names. */
export const NUMERIC_SCORES = new Set([
  'rfm_r',
  'rfm_f',
  'rfm_m',
  'churn_risk_score',
  'ltv',
  'p_alive',
  'expected_purchases',
  'expected_spend',
]);
/** Typed event columns that hold numbers; other properties take their type from the metadata. */
export const NUMERIC_PROPERTIES = new Set(['amount']);

const isNumber = (v: string) => v.trim() !== '' && Number.isFinite(Number(v));
const isPositive = (v: string) => isNumber(v) && Number(v) > 0;

const NUMBER_OPS = new Set<ProfileOp>(['gt', 'gte', 'lt', 'lte']);
const isNumeric = (c: ProfileCondition) =>
  c.numeric === true ||
  (c.source === 'score' ? NUMERIC_SCORES.has(c.attribute) : NUMERIC_ATTRIBUTES.has(c.attribute));
// `contains` compares text; `gt`/`lt` compare numbers; (in)equality follows the field's type.
const needsNumber = (c: ProfileCondition) =>
  NUMBER_OPS.has(c.op) || (c.op !== 'contains' && c.op !== 'not_contains' && isNumeric(c));

/** A condition the API would accept: a field, and a value that fits the operator. */
export const isComplete = (c: ProfileCondition): boolean => {
  if (c.attribute === '') return false;
  if (c.at !== undefined && (c.source === 'score' || !isTimeText(c.at))) return false;
  switch (c.op) {
    case 'exists':
    case 'not_exists':
      return true;
    case 'within_last':
      return isPositive(c.value);
    case 'before':
    case 'after':
      return isTimeText(c.value);
    case 'between':
      return isNumOrTime(c.value) && isNumOrTime(c.max ?? '');
    case 'in':
    case 'not_in':
      return (c.values ?? []).length > 0 && (!isNumeric(c) || (c.values ?? []).every(isNumber));
    default:
      if (c.boolean === true) return c.value === 'true' || c.value === 'false';
      return needsNumber(c) ? isNumber(c.value) : c.value !== '';
  }
};

/** A sequence step after the second: its event and filters. */
export interface StepRow {
  event: string;
  where?: PropertyFilterRow[];
}

/**
 * Which events count, when not the last N days (`days`): since the user's first or last event
 * of a kind (with filters), between two dates, or all time (no window on the node).
 */
export type WindowForm =
  | { type: 'since'; event: string; where?: PropertyFilterRow[]; occurrence?: 'first' | 'last' }
  /** `from`, `to`: times (time-text.ts). */
  | { type: 'between'; from: string; to: string }
  | { type: 'all' };

/** The comparison fields of a profile row (flat on the node), each of the tree's own type. */
const comparison = (c: ProfileCondition) => {
  const { op, value } = c;
  switch (op) {
    case 'exists':
    case 'not_exists':
      return { op };
    case 'within_last':
      return { op, days: Number(value) };
    case 'before':
    case 'after':
      return { op, time: timeSpec(value) };
    case 'between':
      return { op, min: numOrTimeSpec(value), max: numOrTimeSpec(c.max ?? '') };
    case 'in':
    case 'not_in':
      return { op, values: (c.values ?? []).map((v) => (isNumeric(c) ? Number(v) : v)) };
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return { op, value: Number(value) };
    case 'contains':
    case 'not_contains':
      return { op, value };
    default:
      // eq / neq follow the field's type (needsNumber); a yes/no trait compares with true or false.
      if (c.boolean === true) return { op, value: c.value === 'true' };
      return { op, value: isNumeric(c) ? Number(value) : value };
  }
};

export const profileNode = (c: ProfileCondition): AudienceNode =>
  (c.source === 'score'
    ? { kind: 'score', score: c.attribute, ...comparison(c) }
    : {
        kind: 'attribute',
        attribute: c.attribute,
        ...comparison(c),
        ...(c.at === undefined ? {} : { at: timeSpec(c.at) }),
      }) as AudienceNode;

const filterNumeric = (f: PropertyFilterRow) => f.numeric === true || NUMERIC_PROPERTIES.has(f.property);

/** A property filter the API would accept. */
export const isFilterComplete = (f: PropertyFilterRow): boolean =>
  f.property.trim() !== '' &&
  (f.op === 'exists' ||
    (f.op === 'contains'
      ? f.value !== ''
      : ['gt', 'gte', 'lt', 'lte'].includes(f.op) || filterNumeric(f)
        ? isNumber(f.value)
        : f.value !== ''));

type Filter = NonNullable<Extract<AudienceNode, { kind: 'did' }>['where']>[number];

const filterNode = (f: PropertyFilterRow): Filter => {
  const property = f.property.trim();
  if (f.op === 'exists') return { property, op: f.op };
  if (f.op === 'contains') return { property, op: f.op, value: f.value };
  const numeric = ['gt', 'gte', 'lt', 'lte'].includes(f.op) || filterNumeric(f);
  return { property, op: f.op, value: numeric ? Number(f.value) : f.value } as Filter;
};

/** The complete filters of a row, or nothing (an empty `where` is left out). */
const whereOf = (rows: readonly PropertyFilterRow[] | undefined): { where?: Filter[] } => {
  const complete = (rows ?? []).filter(isFilterComplete).map(filterNode);
  return complete.length === 0 ? {} : { where: complete };
};

const isWindowComplete = (c: BehaviorCondition): boolean => {
  const w = c.window;
  if (w === undefined) return c.days > 0;
  if (w.type === 'since') return w.event.trim() !== '';
  // A window ending before it starts is valid (no event counts); the row shows it as saved.
  if (w.type === 'between') return isTimeText(w.from) && isTimeText(w.to);
  return true;
};

/** The window of a row as the tree writes it (absent for all time). */
const windowOf = (c: BehaviorCondition) => {
  const w = c.window;
  if (w === undefined) return { window: { type: 'last_days' as const, days: c.days } };
  if (w.type === 'all') return {};
  if (w.type === 'between')
    return { window: { type: 'between' as const, from: timeSpec(w.from), to: timeSpec(w.to) } };
  return {
    window: {
      type: 'since' as const,
      event: w.event.trim(),
      ...whereOf(w.where),
      ...(w.occurrence === undefined ? {} : { occurrence: w.occurrence }),
    },
  };
};

/** A behaviour row the API would accept; rows still being filled in are left out of the tree. */
export const isBehaviorComplete = (c: BehaviorCondition): boolean => {
  if (c.event.trim() === '') return false;
  const windowed = c.kind !== 'first_time' && c.kind !== 'last_time';
  if (windowed && !isWindowComplete(c)) return false;
  switch (c.kind) {
    case 'cart_abandoned':
      return (c.hours === undefined || c.hours > 0) && (c.orderEvent ?? 'order').trim() !== '';
    case 'metric':
      return (
        isNumber(c.amount ?? '') &&
        (c.cmp !== 'between' || isNumber(c.amountMax ?? '')) &&
        (c.fn === 'count' || (c.property ?? '').trim() !== '')
      );
    case 'first_time':
    case 'last_time':
      if (c.timeCmp === 'between') return isTimeText(c.when ?? '') && isTimeText(c.whenMax ?? '');
      return c.timeCmp === 'before' || c.timeCmp === 'after'
        ? isTimeText(c.when ?? '')
        : isPositive(c.when ?? '');
    case 'sequence':
      return (
        (c.then ?? '').trim() !== '' &&
        (c.more ?? []).every((s) => s.event.trim() !== '') &&
        (c.without === undefined || c.without.event.trim() !== '') &&
        (c.withinDays === undefined || c.withinDays > 0)
      );
    default:
      return true;
  }
};

const timeComparison = (c: BehaviorCondition) => {
  const when = c.when ?? '';
  switch (c.timeCmp ?? 'within_last') {
    case 'within_last':
      return { op: 'within_last' as const, days: Number(when) };
    case 'older_than':
      return { op: 'before' as const, time: { daysAgo: Number(when) } };
    case 'before':
      return { op: 'before' as const, time: timeSpec(when) };
    case 'after':
      return { op: 'after' as const, time: timeSpec(when) };
    case 'between':
      return { op: 'between' as const, min: timeSpec(when), max: timeSpec(c.whenMax ?? '') };
  }
};

export const behaviorNode = (c: BehaviorCondition): AudienceNode => {
  const event = c.event.trim();
  const window = windowOf(c);
  switch (c.kind) {
    case 'cart_abandoned':
      return {
        kind: 'cart_abandoned',
        ...(event === CART_EVENT ? {} : { add: { event } }),
        ...(c.orderEvent === undefined ? {} : { order: { event: c.orderEvent.trim() } }),
        within: { value: c.hours ?? CART_HOURS, unit: c.cartUnit ?? 'hours' },
        ...window,
        ...(c.sameProduct === undefined ? {} : { sameProduct: c.sameProduct }),
      };
    case 'metric': {
      const fn = c.fn ?? 'count';
      return {
        kind: 'metric',
        event,
        fn,
        ...(fn === 'count' ? {} : { property: (c.property ?? '').trim() }),
        ...whereOf(c.where),
        ...window,
        ...(c.cmp === 'between'
          ? { op: 'between', min: Number(c.amount), max: Number(c.amountMax) }
          : { op: c.cmp ?? 'gte', value: Number(c.amount) }),
      } as AudienceNode;
    }
    case 'first_time':
    case 'last_time':
      return { kind: c.kind, event, ...whereOf(c.where), ...timeComparison(c) } as AudienceNode;
    case 'sequence':
      return {
        kind: 'sequence',
        steps: [
          { event, ...whereOf(c.where) },
          { event: (c.then ?? '').trim(), ...whereOf(c.thenWhere) },
          ...(c.more ?? []).map((s) => ({ event: s.event.trim(), ...whereOf(s.where) })),
        ],
        ...(c.withinDays === undefined
          ? {}
          : { within: { value: c.withinDays, unit: c.withinUnit ?? ('days' as const) } }),
        ...(c.without === undefined
          ? {}
          : { without: { event: c.without.event.trim(), ...whereOf(c.without.where) } }),
        ...window,
      };
    default:
      return { kind: c.kind, event, ...whereOf(c.where), ...window };
  }
};

/** Conditions still being filled in are left out rather than sent half-made. */
export const formToTree = (form: TwoGroupForm): AudienceNode =>
  joinTwoGroups({
    profile: {
      combinator: form.profile.combinator,
      conditions: form.profile.conditions
        .filter(isComplete)
        .map((c): TwoGroupItem => ({ negate: c.negate, condition: profileNode(c) })),
    },
    behavior: {
      combinator: form.behavior.combinator,
      conditions: form.behavior.conditions
        .filter(isBehaviorComplete)
        .map((c): TwoGroupItem => ({ negate: c.negate, condition: behaviorNode(c) })),
    },
    join: form.join,
  });

export const emptyForm = (): TwoGroupForm => ({
  profile: { combinator: 'and', conditions: [] },
  behavior: { combinator: 'and', conditions: [] },
  join: 'and',
});
