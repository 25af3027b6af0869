import { Button, Checkbox, Input, InputNumber, Select, Space } from 'antd';
import { useI18n } from '../../lib/i18n.tsx';
import { CART_EVENT, CART_HOURS, type BehaviorCondition, type ProfileCondition } from './two-group.ts';
import { wordsFor } from './words.ts';

const ATTRIBUTES = ['city', 'acquisition_channel', 'membership', 'balance', 'timezone'];
const OPS: ProfileCondition['op'][] = ['eq', 'neq', 'gt', 'lt', 'contains', 'exists'];

/** An attribute the builder offers, with what the metadata API knows of it. */
export interface AttributeOption {
  name: string;
  numeric: boolean;
  values: readonly string[];
}

/** The id of the browser's own suggestion list of known event names (one per page). */
export const EVENTS_LIST_ID = 'aud-known-events';

export const ProfileRow = ({
  c,
  index,
  attributes,
  onChange,
  onRemove,
}: {
  c: ProfileCondition;
  index: number;
  /** From the metadata API; the fixed typed columns until it answers. */
  attributes: readonly AttributeOption[];
  onChange: (c: ProfileCondition) => void;
  onRemove: () => void;
}) => {
  const { t } = useI18n();
  const known =
    attributes.length > 0 ? attributes : ATTRIBUTES.map((name) => ({ name, numeric: false, values: [] }));
  const chosen = known.find((a) => a.name === c.attribute);
  const listId = `aud-values-${index}`;
  return (
    <Space wrap data-testid={`profile-cond-${index}`}>
      <Checkbox checked={c.negate} onChange={(e) => onChange({ ...c, negate: e.target.checked })}>
        {t('aud.not')}
      </Checkbox>
      <Select
        style={{ width: 180 }}
        showSearch
        value={c.attribute || undefined}
        placeholder={t('aud.attribute')}
        options={known.map((a) => ({ value: a.name, label: a.name }))}
        onChange={(attribute: string) =>
          onChange({ ...c, attribute, numeric: known.find((a) => a.name === attribute)?.numeric === true })
        }
        data-testid={`profile-attr-${index}`}
      />
      <Select
        style={{ width: 110 }}
        value={c.op}
        options={OPS.map((o) => ({ value: o, label: o }))}
        onChange={(op: ProfileCondition['op']) => onChange({ ...c, op })}
      />
      {c.op !== 'exists' && (
        <>
          <Input
            style={{ width: 180 }}
            placeholder={t('aud.value')}
            value={c.value}
            list={listId}
            onChange={(e) => onChange({ ...c, value: e.target.value })}
            data-testid={`profile-value-${index}`}
          />
          <datalist id={listId}>
            {(chosen?.values ?? []).map((v) => (
              <option key={v} value={v} />
            ))}
          </datalist>
        </>
      )}
      <Button onClick={onRemove}>−</Button>
    </Space>
  );
};

export const BehaviorRow = ({
  c,
  index,
  onChange,
  onRemove,
}: {
  c: BehaviorCondition;
  index: number;
  onChange: (c: BehaviorCondition) => void;
  onRemove: () => void;
}) => {
  const { t, locale } = useI18n();
  const w = wordsFor(locale);
  const cart = c.kind === 'cart_abandoned';
  return (
    <Space wrap data-testid={`behavior-cond-${index}`}>
      <Checkbox checked={c.negate} onChange={(e) => onChange({ ...c, negate: e.target.checked })}>
        {t('aud.not')}
      </Checkbox>
      <Select
        style={{ width: 150 }}
        value={c.kind}
        options={[
          { value: 'did', label: t('aud.did') },
          { value: 'did_not', label: t('aud.didNot') },
          { value: 'cart_abandoned', label: w.cartAbandoned },
        ]}
        onChange={(kind: BehaviorCondition['kind']) =>
          onChange(
            kind === 'cart_abandoned'
              ? {
                  ...c,
                  kind,
                  event: c.event.trim() === '' ? CART_EVENT : c.event,
                  hours: c.hours ?? CART_HOURS,
                }
              : { ...c, kind },
          )
        }
      />
      <Input
        style={{ width: 160 }}
        placeholder={cart ? w.cartEvent : t('aud.event')}
        value={c.event}
        list={EVENTS_LIST_ID}
        onChange={(e) => onChange({ ...c, event: e.target.value })}
        data-testid={`behavior-event-${index}`}
      />
      {cart && (
        <InputNumber
          min={1}
          max={24 * 90}
          value={c.hours ?? CART_HOURS}
          addonAfter={w.cartHours}
          onChange={(v) => onChange({ ...c, hours: typeof v === 'number' ? v : 0 })}
          data-testid={`behavior-hours-${index}`}
        />
      )}
      <InputNumber
        min={1}
        max={3650}
        value={c.days}
        addonAfter={t('aud.lastDays')}
        onChange={(v) => onChange({ ...c, days: typeof v === 'number' ? v : 0 })}
        data-testid={`behavior-days-${index}`}
      />
      <Button onClick={onRemove}>−</Button>
    </Space>
  );
};
