import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { eventField, profileField } from '../audience/fields.ts';
import type { AudienceError } from '../audience/schema.ts';
import { validateWith } from '../audience/validate.ts';
import { MAX_EVENT_NAME_LENGTH } from '../events/segment-schema.ts';
import { SYSTEM_EVENT_NAMES } from '../events/system-events.ts';
import { err, ok, type Result } from '../result.ts';

/**
 * The scoring configuration of a workspace (features.md B1–B3, B4, B8): what "churned" means, the
 * lifecycle rules, RFM bins and value tiers, the metrics of the churn-profile analysis and the
 * churn-reason codes. One JSON document, validated here with exact paths
 * (`config.rfm.bins.recency.edges[2]: must be greater than the edge before it`); the SQL it
 * compiles to is in `scoring-sql.ts` and `churn-structure-sql.ts`.
 */

/** Events Rekindle appends itself (scores, relapses, bonuses); they never count as a user's activity. */
export const SYSTEM_EVENTS = SYSTEM_EVENT_NAMES;

export const LIFECYCLE_STAGES = ['new', 'growing', 'mature', 'silent', 'churned'] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];
/** The stages a user passes through while active, in order; `silent` and `churned` sit on top of them. */
export const BASE_STAGES = ['new', 'growing', 'mature'] as const;
export type BaseStage = (typeof BASE_STAGES)[number];

const eventName = (description = 'an event name') =>
  Type.String({ minLength: 1, maxLength: MAX_EVENT_NAME_LENGTH, description });
const eventList = (description: string) =>
  Type.Array(eventName(), { minItems: 1, maxItems: 50, description });
const days = (description = 'whole days') => Type.Integer({ minimum: 1, maximum: 3650, description });
const name = (description = 'lower-case letters, digits and `_`, starting with a letter') =>
  Type.String({ minLength: 1, maxLength: 40, pattern: '^[a-z][a-z0-9_]*$', description });
const fieldName = (description = 'a typed column or a dotted property path') =>
  Type.String({ minLength: 1, maxLength: 200, description });

export const ChurnDefinition = Type.Object(
  {
    events: eventList('a user is churned when none of these events happened in the last `days` days'),
    days: days(),
  },
  {
    additionalProperties: false,
    description:
      'churned = none of `events` in the last `days` days, and registered at least `days` days ago',
  },
);

export const LifecycleRules = Type.Object(
  {
    activityEvents: eventList('events that count as activity for `silent`'),
    newDays: days('registered less than this many days ago: `new`'),
    silentDays: days('no activity event (and no registration) in this many days, but not churned: `silent`'),
    mature: Type.Object(
      {
        orderEvent: eventName(),
        minOrders: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
        minTenureDays: Type.Integer({ minimum: 0, maximum: 3650 }),
      },
      {
        additionalProperties: false,
        description: 'at least `minOrders` `orderEvent`s and registered `minTenureDays` ago: `mature`',
      },
    ),
  },
  {
    additionalProperties: false,
    description: 'first match wins: churned, silent, new, mature, otherwise growing',
  },
);

const Edges = Type.Array(Type.Number(), {
  minItems: 4,
  maxItems: 4,
  description: 'four ascending edges making five bins',
});
export const Bins = Type.Union([
  Type.Object(
    { type: Type.Literal('quantile') },
    { additionalProperties: false, description: 'quintiles of the users who bought in the window' },
  ),
  Type.Object({ type: Type.Literal('fixed'), edges: Edges }, { additionalProperties: false }),
]);
export type Bins = Static<typeof Bins>;

const Score = Type.Integer({ minimum: 1, maximum: 5 });
const ScoreRange = Type.Object(
  { min: Type.Optional(Score), max: Type.Optional(Score) },
  { additionalProperties: false },
);
const TotalRange = Type.Object(
  {
    min: Type.Optional(Type.Integer({ minimum: 3, maximum: 15 })),
    max: Type.Optional(Type.Integer({ minimum: 3, maximum: 15 })),
  },
  { additionalProperties: false, description: 'r + f + m' },
);
export const TierRule = Type.Object(
  {
    name: name(),
    r: Type.Optional(ScoreRange),
    f: Type.Optional(ScoreRange),
    m: Type.Optional(ScoreRange),
    total: Type.Optional(TotalRange),
  },
  { additionalProperties: false, description: 'all given ranges hold (inclusive)' },
);
export type TierRule = Static<typeof TierRule>;

export const RfmConfig = Type.Object(
  {
    event: eventName('the purchase event'),
    amount: fieldName('its amount: a typed event column or a property path'),
    windowDays: days('frequency and monetary count purchases in this window'),
    bins: Type.Object(
      { recency: Bins, frequency: Bins, monetary: Bins },
      {
        additionalProperties: false,
        description: 'fixed recency edges are days since the last purchase (fewer is better)',
      },
    ),
    tiers: Type.Array(TierRule, { minItems: 1, maxItems: 20, description: 'first match wins' }),
    otherwise: name('the tier of a buyer no rule matches'),
    noPurchase: name('the tier of a user with no purchase in the window'),
  },
  { additionalProperties: false },
);

const MetricEdges = Type.Array(Type.Number(), {
  minItems: 1,
  maxItems: 20,
  description: 'ascending histogram edges: bins (-inf, e1), [e1, e2), …, [en, +inf)',
});
export const METRIC_FUNCTIONS = ['count', 'sum', 'max', 'min', 'avg'] as const;
export const ProfileMetric = Type.Union([
  Type.Object(
    {
      kind: Type.Literal('event'),
      name: name(),
      event: eventName(),
      fn: Type.Union(METRIC_FUNCTIONS.map((f) => Type.Literal(f))),
      property: Type.Optional(fieldName()),
      edges: Type.Optional(MetricEdges),
    },
    {
      additionalProperties: false,
      description: 'an aggregate over the user’s events up to the analysis time',
    },
  ),
  Type.Object(
    {
      kind: Type.Literal('attribute'),
      name: name(),
      attribute: fieldName(),
      edges: Type.Optional(MetricEdges),
    },
    { additionalProperties: false, description: 'a numeric profile column or trait' },
  ),
]);
export type ProfileMetric = Static<typeof ProfileMetric>;

/**
 * The customer-value model (features.md B7): BG/NBD + Gamma-Gamma fitted on the warehouse's
 * purchases at every scoring run. Every field may be left out; `valueModelSettings` fills in the
 * defaults (the RFM purchase event and amount, refunds as `refund` events, 90 days ahead).
 */
export const ValueModelConfig = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean({ description: 'fit at every scoring run (default true)' })),
    purchaseEvent: Type.Optional(eventName('the purchase event (default: rfm.event)')),
    amount: Type.Optional(fieldName('its amount (default: rfm.amount)')),
    refundEvent: Type.Optional(
      eventName(
        'an event whose amount is taken off its order (default `refund`); negative amounts count as refunds too',
      ),
    ),
    horizonDays: Type.Optional(days('expected purchases and spend over this many days (default 90)')),
    ltvHorizonDays: Type.Optional(days('LTV over this many days (default 365)')),
    annualDiscountRate: Type.Optional(
      Type.Number({ minimum: 0, maximum: 1, description: 'LTV discount rate a year (default 0.1)' }),
    ),
    margin: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 1,
        description: 'share of revenue that is profit (default 1)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ValueModelConfig = Static<typeof ValueModelConfig>;

/**
 * Relapse (features.md G7): a recalled user — one who converted after a campaign's message — with
 * no event of their own for `silentDays` after converting has relapsed; the sweep then writes
 * `recall_relapsed` and the reports' relapse view counts them. Absent: 30 days.
 */
export const RelapseConfig = Type.Object(
  {
    silentDays: Type.Integer({
      minimum: 1,
      maximum: 365,
      description: 'days of silence after a recall conversion',
    }),
  },
  { additionalProperties: false },
);
export type RelapseConfig = Static<typeof RelapseConfig>;
export const DEFAULT_RELAPSE_DAYS = 30;

/** The relapse window in force (days). */
export const relapseDays = (c: Pick<ScoreConfig, 'relapse'>): number =>
  c.relapse?.silentDays ?? DEFAULT_RELAPSE_DAYS;

export const ScoreConfig = Type.Object(
  {
    churn: ChurnDefinition,
    lifecycle: LifecycleRules,
    rfm: RfmConfig,
    analysis: Type.Object(
      {
        profile: Type.Array(ProfileMetric, {
          maxItems: 20,
          description: 'metrics compared between churned and retained users',
        }),
      },
      { additionalProperties: false },
    ),
    churnReasons: Type.Object(
      { codes: Type.Array(name(), { minItems: 1, maxItems: 50, description: 'the allowed reason codes' }) },
      { additionalProperties: false },
    ),
    valueModel: Type.Optional(ValueModelConfig),
    relapse: Type.Optional(RelapseConfig),
  },
  { additionalProperties: false, $id: 'ScoreConfig' },
);
export type ScoreConfig = Static<typeof ScoreConfig>;

/**
 * Defaults chosen for the demo app (a shop with a wallet). Its users open the app every one to
 * three weeks, so "no app open, login or investment for 30 days" separates churned users from
 * active ones best on the generated data (the seed article's "no login and no investment for
 * 30 days", with app opens added because a session does not always log in again). Silent after
 * two weeks without activity (active users come back every one to two weeks); mature from the
 * second order once two months in (the generator's own growing stage ends at 60 days).
 */
export const DEFAULT_SCORE_CONFIG: ScoreConfig = {
  churn: { events: ['app_open', 'login', 'invest'], days: 30 },
  lifecycle: {
    activityEvents: [
      'app_open',
      'login',
      'search',
      'view_item',
      'favorite',
      'add_to_cart',
      'order',
      'pay',
      'invest',
      'withdraw',
    ],
    newDays: 30,
    silentDays: 14,
    mature: { orderEvent: 'order', minOrders: 2, minTenureDays: 60 },
  },
  rfm: {
    event: 'pay',
    amount: 'amount',
    windowDays: 365,
    bins: { recency: { type: 'quantile' }, frequency: { type: 'quantile' }, monetary: { type: 'quantile' } },
    tiers: [
      { name: 'high', total: { min: 12 } },
      { name: 'medium', total: { min: 8 } },
    ],
    otherwise: 'low',
    noPurchase: 'none',
  },
  analysis: {
    profile: [
      { kind: 'event', name: 'orders', event: 'order', fn: 'count', edges: [1, 2, 3, 5, 10] },
      {
        kind: 'event',
        name: 'max_order_amount',
        event: 'order',
        fn: 'max',
        property: 'amount',
        edges: [50, 100, 200, 500, 1000, 5000],
      },
      { kind: 'event', name: 'invests', event: 'invest', fn: 'count', edges: [1, 2, 3, 5, 10] },
      {
        kind: 'event',
        name: 'max_invest_amount',
        event: 'invest',
        fn: 'max',
        property: 'amount',
        edges: [1000, 5000, 10_000, 50_000, 100_000],
      },
      { kind: 'attribute', name: 'balance', attribute: 'balance', edges: [1, 100, 1000, 10_000, 100_000] },
    ],
  },
  churnReasons: {
    codes: [
      'economic',
      'bad_experience',
      'low_returns',
      'market_policy',
      'natural_loss',
      'competitor',
      'other',
    ],
  },
  relapse: { silentDays: DEFAULT_RELAPSE_DAYS },
};

/** The value model's settings with every default filled in. */
export interface ValueModelSettings {
  readonly enabled: boolean;
  readonly purchaseEvent: string;
  readonly amount: string;
  readonly refundEvent: string;
  readonly horizonDays: number;
  readonly ltvHorizonDays: number;
  readonly annualDiscountRate: number;
  readonly margin: number;
}

export const valueModelSettings = (c: ScoreConfig): ValueModelSettings => {
  const v = c.valueModel ?? {};
  return {
    enabled: v.enabled ?? true,
    purchaseEvent: v.purchaseEvent ?? c.rfm.event,
    amount: v.amount ?? c.rfm.amount,
    refundEvent: v.refundEvent ?? 'refund',
    horizonDays: v.horizonDays ?? 90,
    ltvHorizonDays: v.ltvHorizonDays ?? 365,
    annualDiscountRate: v.annualDiscountRate ?? 0.1,
    margin: v.margin ?? 1,
  };
};

export type ConfigError = AudienceError;

const ascending = (edges: readonly number[], path: string, errors: ConfigError[]) => {
  edges.forEach((e, i) => {
    const before = edges[i - 1];
    if (before !== undefined && !(e > before))
      errors.push({ path: `${path}[${i}]`, message: 'must be greater than the edge before it' });
  });
};

const checkEvents = (events: readonly string[], path: string, errors: ConfigError[]) => {
  const seen = new Set<string>();
  events.forEach((e, i) => {
    if ((SYSTEM_EVENTS as readonly string[]).includes(e))
      errors.push({ path: `${path}[${i}]`, message: `'${e}' is an event Rekindle writes itself` });
    else if (seen.has(e)) errors.push({ path: `${path}[${i}]`, message: `'${e}' is listed twice` });
    seen.add(e);
  });
};

const checkRange = (r: { min?: number; max?: number } | undefined, path: string, errors: ConfigError[]) => {
  if (r?.min !== undefined && r.max !== undefined && r.min > r.max)
    errors.push({ path: `${path}.max`, message: 'must not be less than min' });
};

const checkUnique = (names: readonly string[], path: (i: number) => string, errors: ConfigError[]) => {
  const seen = new Set<string>();
  names.forEach((n, i) => {
    if (seen.has(n)) errors.push({ path: path(i), message: `'${n}' is used twice` });
    seen.add(n);
  });
};

/** The rules TypeBox cannot say: ordering, uniqueness, names that must resolve. */
const semanticErrors = (c: ScoreConfig, root: string): ConfigError[] => {
  const errors: ConfigError[] = [];
  checkEvents(c.churn.events, `${root}.churn.events`, errors);
  checkEvents(c.lifecycle.activityEvents, `${root}.lifecycle.activityEvents`, errors);
  checkEvents([c.lifecycle.mature.orderEvent], `${root}.lifecycle.mature.orderEvent`, errors);
  checkEvents([c.rfm.event], `${root}.rfm.event`, errors);
  const amount = eventField(c.rfm.amount);
  if (!amount.ok) errors.push({ path: `${root}.rfm.amount`, message: amount.error });
  else if (amount.value.kind === 'column' && amount.value.type !== 'number')
    errors.push({ path: `${root}.rfm.amount`, message: `'${c.rfm.amount}' is not a numeric column` });
  for (const dim of ['recency', 'frequency', 'monetary'] as const) {
    const bins = c.rfm.bins[dim];
    if (bins.type === 'fixed') {
      ascending(bins.edges, `${root}.rfm.bins.${dim}.edges`, errors);
      if (dim === 'recency' && (bins.edges[0] ?? 0) < 0)
        errors.push({ path: `${root}.rfm.bins.recency.edges[0]`, message: 'days must not be negative' });
    }
  }
  c.rfm.tiers.forEach((t, i) => {
    const at = `${root}.rfm.tiers[${i}]`;
    checkRange(t.r, `${at}.r`, errors);
    checkRange(t.f, `${at}.f`, errors);
    checkRange(t.m, `${at}.m`, errors);
    checkRange(t.total, `${at}.total`, errors);
  });
  checkUnique(
    c.rfm.tiers.map((t) => t.name),
    (i) => `${root}.rfm.tiers[${i}].name`,
    errors,
  );
  c.analysis.profile.forEach((m, i) => {
    const at = `${root}.analysis.profile[${i}]`;
    if (m.edges) ascending(m.edges, `${at}.edges`, errors);
    if (m.kind === 'attribute') {
      const f = profileField(m.attribute);
      if (!f.ok) errors.push({ path: `${at}.attribute`, message: f.error });
      else if (f.value.kind === 'column' && f.value.type !== 'number')
        errors.push({ path: `${at}.attribute`, message: `'${m.attribute}' is not a numeric column` });
      return;
    }
    if (m.fn === 'count') {
      if (m.property !== undefined)
        errors.push({ path: `${at}.property`, message: 'count takes no property' });
      return;
    }
    if (m.property === undefined) {
      errors.push({ path: `${at}.property`, message: `is required for ${m.fn}` });
      return;
    }
    const f = eventField(m.property);
    if (!f.ok) errors.push({ path: `${at}.property`, message: f.error });
    else if (f.value.kind === 'column' && f.value.type !== 'number')
      errors.push({ path: `${at}.property`, message: `'${m.property}' is not a numeric column` });
  });
  checkUnique(
    c.analysis.profile.map((m) => m.name),
    (i) => `${root}.analysis.profile[${i}].name`,
    errors,
  );
  checkUnique(c.churnReasons.codes, (i) => `${root}.churnReasons.codes[${i}]`, errors);
  const vm = c.valueModel;
  if (vm?.purchaseEvent !== undefined)
    checkEvents([vm.purchaseEvent], `${root}.valueModel.purchaseEvent`, errors);
  if (vm?.refundEvent !== undefined) {
    checkEvents([vm.refundEvent], `${root}.valueModel.refundEvent`, errors);
    if (vm.refundEvent === valueModelSettings(c).purchaseEvent)
      errors.push({
        path: `${root}.valueModel.refundEvent`,
        message:
          'must differ from the purchase event (negative amounts of the purchase event count as refunds already)',
      });
  }
  if (vm?.amount !== undefined) {
    const f = eventField(vm.amount);
    if (!f.ok) errors.push({ path: `${root}.valueModel.amount`, message: f.error });
    else if (f.value.kind === 'column' && f.value.type !== 'number')
      errors.push({ path: `${root}.valueModel.amount`, message: `'${vm.amount}' is not a numeric column` });
  }
  return errors;
};

/**
 * Checks a whole configuration: the shape first (every problem with its path), then the rules
 * between fields. `root` names the document in messages (`config` in the API).
 */
export const validateScoreConfig = (input: unknown, root = 'config'): Result<ScoreConfig, ConfigError[]> => {
  const shape = validateWith<ScoreConfig>(ScoreConfig as TSchema, input, root);
  if (!shape.ok) return shape;
  const errors = semanticErrors(shape.value, root);
  return errors.length > 0 ? err(errors) : ok(shape.value);
};
