import { Button, Checkbox, InputNumber, Select, Space, Tooltip } from 'antd';
import type { MessageKey } from '../../lib/i18n.tsx';
import { useLabels } from './labels.ts';
import { Filters } from './Filters.tsx';
import { EventPicker, PropertyPicker, ValuePicker, type EventOption } from './pickers.tsx';
import { SequenceSteps } from './SequenceSteps.tsx';
import { TimeInput } from './TimeInput.tsx';
import { isTimeText } from './time-text.ts';
import { WindowPicker } from './WindowPicker.tsx';
import {
  CART_EVENT,
  CART_HOURS,
  NUMERIC_SCORES,
  TIME_ATTRIBUTES,
  type BehaviorCondition,
  type BehaviorKind,
  type MetricCmp,
  type MetricFn,
  type ProfileCondition,
  type ProfileOp,
  type TimeCmp,
} from './two-group.ts';

/** An attribute the builder offers, with what the metadata API knows of it. */
export interface AttributeOption {
  name: string;
  type: 'string' | 'number' | 'time' | 'array' | 'boolean';
  values: readonly string[];
}

/** Scores, and the values of those that are names (the scoring configuration's defaults). */
export const SCORES = [
  'churn_risk_level',
  'churn_risk_score',
  'lifecycle_stage',
  'rfm_tier',
  'ltv',
  'expected_spend',
  'expected_purchases',
  'p_alive',
  'rfm_r',
  'rfm_f',
  'rfm_m',
] as const;
export const SCORE_VALUES: Readonly<Record<string, readonly string[]>> = {
  lifecycle_stage: ['new', 'growing', 'mature', 'silent', 'churned'],
  churn_risk_level: ['high', 'medium', 'low'],
  rfm_tier: ['high', 'medium', 'low', 'none'],
};
/** The churn reasons a call-back survey records (docs/churn-reasons). */
const CHURN_REASONS = [
  'economic',
  'bad_experience',
  'low_returns',
  'market_policy',
  'natural_loss',
  'competitor',
  'other',
];

const OPS_BY_TYPE: Record<string, ProfileOp[]> = {
  string: ['eq', 'neq', 'in', 'not_in', 'contains', 'not_contains', 'exists', 'not_exists'],
  boolean: ['eq', 'neq', 'exists', 'not_exists'],
  number: ['eq', 'gt', 'gte', 'lt', 'lte', 'between', 'exists', 'not_exists'],
  time: ['within_last', 'before', 'after', 'between', 'exists', 'not_exists'],
  array: ['contains', 'not_contains', 'exists', 'not_exists'],
  category: ['eq', 'neq', 'in', 'not_in', 'exists', 'not_exists'],
  score: ['gte', 'lte', 'gt', 'lt', 'between', 'exists', 'not_exists'],
};

const opLabel = (type: string, op: ProfileOp): MessageKey => {
  if (type === 'array' && op === 'contains') return 'aud.op.hasTag';
  if (type === 'array' && op === 'not_contains') return 'aud.op.lacksTag';
  return `aud.op.${op}` as MessageKey;
};

/** The field's kind of value: how it is compared and picked. */
const typeOf = (c: ProfileCondition, attributes: readonly AttributeOption[]): string => {
  if (c.source === 'score') return NUMERIC_SCORES.has(c.attribute) ? 'score' : 'category';
  if (TIME_ATTRIBUTES.has(c.attribute)) return 'time';
  if (c.boolean === true) return 'boolean';
  return attributes.find((a) => a.name === c.attribute)?.type ?? 'string';
};

export const ProfileRow = ({
  c,
  index,
  attributes,
  onChange,
  onRemove,
}: {
  c: ProfileCondition;
  index: number;
  attributes: readonly AttributeOption[];
  onChange: (c: ProfileCondition) => void;
  onRemove: () => void;
}) => {
  const L = useLabels();
  const score = c.source === 'score';
  const type = typeOf(c, attributes);
  const typeOps = OPS_BY_TYPE[type] ?? OPS_BY_TYPE['string'] ?? [];
  // A saved comparison the field's usual list lacks (a range on a trait) is still offered.
  const ops = typeOps.includes(c.op) ? typeOps : [...typeOps, c.op];
  const known = score
    ? (SCORE_VALUES[c.attribute] ?? [])
    : c.attribute === 'churn_reason'
      ? [...new Set([...CHURN_REASONS, ...(attributes.find((a) => a.name === c.attribute)?.values ?? [])])]
      : (attributes.find((a) => a.name === c.attribute)?.values ?? []);
  const fieldOptions = score
    ? SCORES.map((s) => ({ value: s, label: L.score(s) }))
    : attributes.map((a) => ({ value: a.name, label: L.attribute(a.name) }));
  const pickField = (attribute: string) => {
    const next: ProfileCondition = { ...c, attribute, value: '', values: [] };
    const nextType = typeOf(next, attributes);
    const first = (OPS_BY_TYPE[nextType] ?? ['eq'])[0] ?? 'eq';
    onChange({
      ...next,
      op: first,
      numeric: !score && attributes.find((a) => a.name === attribute)?.type === 'number',
      boolean: !score && attributes.find((a) => a.name === attribute)?.type === 'boolean',
      ...(nextType === 'boolean' ? { value: 'true' } : {}),
    });
  };
  const valueInput = () => {
    if (c.op === 'exists' || c.op === 'not_exists') return null;
    if (c.op === 'within_last')
      return (
        <InputNumber
          min={1}
          max={36_600}
          value={c.value === '' ? null : Number(c.value)}
          suffix={L.t('aud.b.days')}
          style={{ width: 120 }}
          onChange={(v) => onChange({ ...c, value: v === null ? '' : String(v) })}
          data-testid={`profile-value-${index}`}
        />
      );
    if (c.op === 'before' || c.op === 'after')
      return (
        <TimeInput
          value={c.value}
          onChange={(value) => onChange({ ...c, value })}
          testId={`profile-value-${index}`}
        />
      );
    if (c.op === 'between') {
      // Times on a time field (or a range saved as times), numbers on the others.
      const times = type === 'time' || isTimeText(c.value) || isTimeText(c.max ?? '');
      const end = (value: string, set: (v: string) => void, testId: string) =>
        times ? (
          <TimeInput value={value} onChange={set} testId={testId} />
        ) : (
          <InputNumber
            style={{ width: 110 }}
            value={value === '' ? null : Number(value)}
            onChange={(v) => set(v === null ? '' : String(v))}
            data-testid={testId}
          />
        );
      return (
        <>
          {end(c.value, (value) => onChange({ ...c, value }), `profile-value-${index}`)}
          <span>{L.t('aud.win.to')}</span>
          {end(c.max ?? '', (max) => onChange({ ...c, max }), `profile-max-${index}`)}
        </>
      );
    }
    if (type === 'number' || type === 'score')
      return (
        <InputNumber
          style={{ width: 130 }}
          value={c.value === '' ? null : Number(c.value)}
          onChange={(v) => onChange({ ...c, value: v === null ? '' : String(v) })}
          data-testid={`profile-value-${index}`}
        />
      );
    if (type === 'boolean')
      return (
        <Select
          style={{ width: 96 }}
          value={c.value === '' ? undefined : c.value}
          options={[
            { value: 'true', label: L.t('aud.bool.yes') },
            { value: 'false', label: L.t('aud.bool.no') },
          ]}
          onChange={(value: string) => onChange({ ...c, value })}
          data-testid={`profile-value-${index}`}
        />
      );
    if (c.op === 'in' || c.op === 'not_in')
      return (
        <ValuePicker
          field={c.attribute}
          known={known}
          multiple
          values={c.values ?? []}
          onChangeMany={(values) => onChange({ ...c, values })}
          testId={`profile-value-${index}`}
          width={200}
        />
      );
    return (
      <ValuePicker
        field={c.attribute}
        known={known}
        value={c.value}
        onChange={(value) => onChange({ ...c, value })}
        testId={`profile-value-${index}`}
      />
    );
  };
  return (
    <Space wrap data-testid={`profile-cond-${index}`}>
      <Checkbox
        checked={c.negate}
        onChange={(e) => onChange({ ...c, negate: e.target.checked })}
        data-testid={`profile-not-${index}`}
      >
        {L.t('aud.g.exclude')}
      </Checkbox>
      <Select
        style={{ width: 112 }}
        value={score ? 'score' : 'attribute'}
        options={[
          { value: 'attribute', label: L.t('aud.b.source.attribute') },
          { value: 'score', label: L.t('aud.b.source.score') },
        ]}
        onChange={(s: 'attribute' | 'score') =>
          onChange({ negate: c.negate, source: s, attribute: '', op: 'eq', value: '' })
        }
        data-testid={`profile-source-${index}`}
      />
      <Select
        style={{ width: 168 }}
        showSearch={{ optionFilterProp: 'label' }}
        value={c.attribute === '' ? undefined : c.attribute}
        placeholder={L.t(score ? 'aud.b.pickScore' : 'aud.b.pickField')}
        options={fieldOptions}
        labelRender={(p) => (score ? L.score(String(p.value)) : L.attribute(String(p.value)))}
        onChange={pickField}
        data-testid={`profile-attr-${index}`}
      />
      {c.attribute !== '' && !score && (
        <Select
          style={{ width: 128 }}
          value={c.at === undefined ? 'now' : 'at'}
          options={[
            { value: 'now', label: L.t('aud.at.now') },
            { value: 'at', label: L.t('aud.at.past') },
          ]}
          onChange={(m: 'now' | 'at') => {
            const { at: _, ...rest } = c;
            onChange(m === 'now' ? rest : { ...rest, at: '' });
          }}
          data-testid={`profile-at-mode-${index}`}
        />
      )}
      {c.at !== undefined && !score && (
        <TimeInput value={c.at} onChange={(at) => onChange({ ...c, at })} testId={`profile-at-${index}`} />
      )}
      {c.attribute !== '' && (
        <Select
          style={{ width: 128 }}
          value={c.op}
          options={ops.map((o) => ({ value: o, label: L.t(opLabel(type, o)) }))}
          onChange={(op: ProfileOp) =>
            onChange({ ...c, op, value: type === 'boolean' ? 'true' : '', values: [], max: '' })
          }
          data-testid={`profile-op-${index}`}
        />
      )}
      {c.attribute !== '' && valueInput()}
      <Tooltip title={L.t('aud.b.remove')}>
        <Button onClick={onRemove} aria-label={L.t('aud.b.remove')}>
          −
        </Button>
      </Tooltip>
    </Space>
  );
};

const KINDS: BehaviorKind[] = [
  'did',
  'did_not',
  'metric',
  'first_time',
  'last_time',
  'sequence',
  'cart_abandoned',
];
const FNS: MetricFn[] = ['count', 'sum', 'avg', 'max', 'min', 'count_distinct'];
const CMPS: MetricCmp[] = ['gte', 'lte', 'eq', 'gt', 'lt', 'between'];
const TIME_CMPS: TimeCmp[] = ['within_last', 'older_than', 'before', 'after', 'between'];
type CartUnit = 'hours' | 'minutes' | 'days';
const CART_UNIT_LABEL = {
  hours: 'aud.b.cartHours',
  minutes: 'aud.cart.minutes',
  days: 'aud.cart.days',
} as const;

export const BehaviorRow = ({
  c,
  index,
  events,
  unknownEvents,
  onChange,
  onRemove,
}: {
  c: BehaviorCondition;
  index: number;
  events: readonly EventOption[];
  /** Names the server has never seen (its warnings): marked, and saving is refused. */
  unknownEvents: ReadonlySet<string>;
  onChange: (c: BehaviorCondition) => void;
  onRemove: () => void;
}) => {
  const L = useLabels();
  const cart = c.kind === 'cart_abandoned';
  const timed = c.kind === 'first_time' || c.kind === 'last_time';
  const period = (
    <WindowPicker c={c} index={index} events={events} unknownEvents={unknownEvents} onChange={onChange} />
  );
  const setKind = (kind: BehaviorKind) => {
    if (kind === 'cart_abandoned')
      onChange({
        ...c,
        kind,
        event: c.event.trim() === '' ? CART_EVENT : c.event,
        hours: c.hours ?? CART_HOURS,
      });
    else if (kind === 'metric')
      onChange({ ...c, kind, fn: c.fn ?? 'count', cmp: c.cmp ?? 'gte', amount: c.amount ?? '1' });
    else if (kind === 'first_time' || kind === 'last_time')
      onChange({ ...c, kind, timeCmp: c.timeCmp ?? 'within_last', when: c.when ?? '30' });
    else onChange({ ...c, kind });
  };
  return (
    <Space orientation="vertical" size={4} data-testid={`behavior-cond-${index}`}>
      <Space wrap>
        <Checkbox
          checked={c.negate}
          onChange={(e) => onChange({ ...c, negate: e.target.checked })}
          data-testid={`behavior-not-${index}`}
        >
          {L.t('aud.g.exclude')}
        </Checkbox>
        <Select
          style={{ width: 150 }}
          value={c.kind}
          options={KINDS.map((k) => ({ value: k, label: L.t(`aud.k.${k}` as MessageKey) }))}
          onChange={setKind}
          data-testid={`behavior-kind-${index}`}
        />
        <EventPicker
          value={c.event}
          events={events}
          invalid={unknownEvents.has(c.event.trim())}
          onChange={(event) => onChange({ ...c, event, where: [], property: '' })}
          testId={`behavior-event-${index}`}
        />
        {c.kind === 'metric' && (
          <>
            <Select
              style={{ width: 128 }}
              value={c.fn ?? 'count'}
              options={FNS.map((f) => ({ value: f, label: L.t(`aud.fn.${f}` as MessageKey) }))}
              onChange={(fn: MetricFn) => onChange({ ...c, fn })}
              data-testid={`behavior-fn-${index}`}
            />
            {(c.fn ?? 'count') !== 'count' && (
              <PropertyPicker
                event={c.event}
                value={c.property ?? ''}
                onChange={(property) => onChange({ ...c, property })}
                testId={`behavior-property-${index}`}
              />
            )}
            <Select
              style={{ width: 96 }}
              value={c.cmp ?? 'gte'}
              options={CMPS.map((o) => ({ value: o, label: L.t(`aud.op.${o}` as MessageKey) }))}
              onChange={(cmp: MetricCmp) => onChange({ ...c, cmp })}
              data-testid={`behavior-cmp-${index}`}
            />
            <InputNumber
              style={{ width: 120 }}
              value={c.amount === undefined || c.amount === '' ? null : Number(c.amount)}
              suffix={(c.fn ?? 'count') === 'count' ? L.t('aud.b.times') : undefined}
              onChange={(v) => onChange({ ...c, amount: v === null ? '' : String(v) })}
              data-testid={`behavior-amount-${index}`}
            />
            {c.cmp === 'between' && (
              <>
                <span>{L.t('aud.win.to')}</span>
                <InputNumber
                  style={{ width: 120 }}
                  value={c.amountMax === undefined || c.amountMax === '' ? null : Number(c.amountMax)}
                  suffix={(c.fn ?? 'count') === 'count' ? L.t('aud.b.times') : undefined}
                  onChange={(v) => onChange({ ...c, amountMax: v === null ? '' : String(v) })}
                  data-testid={`behavior-amount-max-${index}`}
                />
              </>
            )}
          </>
        )}
        {timed && (
          <>
            <Select
              style={{ width: 150 }}
              value={c.timeCmp ?? 'within_last'}
              options={TIME_CMPS.map((o) => ({ value: o, label: L.t(`aud.t.${o}` as MessageKey) }))}
              onChange={(timeCmp: TimeCmp) => onChange({ ...c, timeCmp, when: '', whenMax: '' })}
              data-testid={`behavior-timecmp-${index}`}
            />
            {c.timeCmp === 'before' || c.timeCmp === 'after' || c.timeCmp === 'between' ? (
              <>
                <TimeInput
                  value={c.when ?? ''}
                  onChange={(when) => onChange({ ...c, when })}
                  testId={`behavior-when-${index}`}
                />
                {c.timeCmp === 'between' && (
                  <>
                    <span>{L.t('aud.win.to')}</span>
                    <TimeInput
                      value={c.whenMax ?? ''}
                      onChange={(whenMax) => onChange({ ...c, whenMax })}
                      testId={`behavior-when-max-${index}`}
                    />
                  </>
                )}
              </>
            ) : (
              <InputNumber
                min={1}
                max={36_600}
                style={{ width: 110 }}
                suffix={L.t('aud.b.days')}
                value={c.when === undefined || c.when === '' ? null : Number(c.when)}
                onChange={(v) => onChange({ ...c, when: v === null ? '' : String(v) })}
                data-testid={`behavior-when-${index}`}
              />
            )}
          </>
        )}
        {cart && (
          <>
            <InputNumber
              min={1}
              max={52_704_000}
              value={c.hours ?? CART_HOURS}
              style={{ width: 90 }}
              onChange={(v) => onChange({ ...c, hours: typeof v === 'number' ? v : 0 })}
              data-testid={`behavior-hours-${index}`}
            />
            <Select
              style={{ width: 140 }}
              value={c.cartUnit ?? 'hours'}
              options={(['hours', 'days', 'minutes'] as const).map((u) => ({
                value: u,
                label: L.t(CART_UNIT_LABEL[u]),
              }))}
              onChange={(u: CartUnit) => {
                const { cartUnit: _, ...rest } = c;
                onChange(u === 'hours' ? rest : { ...rest, cartUnit: u });
              }}
              data-testid={`behavior-cart-unit-${index}`}
            />
          </>
        )}
        {!timed && c.kind !== 'sequence' && period}
        <Tooltip title={L.t('aud.b.remove')}>
          <Button onClick={onRemove} aria-label={L.t('aud.b.remove')}>
            −
          </Button>
        </Tooltip>
      </Space>
      {!cart && (
        <Filters
          event={c.event}
          rows={c.where ?? []}
          onChange={(where) => onChange({ ...c, where })}
          testId={`behavior-filter-${index}`}
        />
      )}
      {cart && (
        <Space wrap size={4} style={{ paddingLeft: 24 }}>
          <span>{L.t('aud.cart.orderIs')}</span>
          <EventPicker
            value={c.orderEvent ?? 'order'}
            events={events}
            invalid={unknownEvents.has((c.orderEvent ?? '').trim())}
            onChange={(orderEvent) => onChange({ ...c, orderEvent })}
            testId={`behavior-order-${index}`}
          />
          <Checkbox
            checked={c.sameProduct === true}
            onChange={(e) => onChange({ ...c, sameProduct: e.target.checked })}
            data-testid={`behavior-same-product-${index}`}
          >
            {L.t('aud.cart.sameProduct')}
          </Checkbox>
        </Space>
      )}
      {c.kind === 'sequence' && (
        <>
          <SequenceSteps
            c={c}
            index={index}
            events={events}
            unknownEvents={unknownEvents}
            onChange={onChange}
          />
          {/* A sequence reads step by step, then the period its first step falls in. */}
          <div style={{ paddingLeft: 24 }}>{period}</div>
        </>
      )}
    </Space>
  );
};
