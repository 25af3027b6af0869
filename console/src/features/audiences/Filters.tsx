import { Button, InputNumber, Select, Space } from 'antd';
import type { MessageKey } from '../../lib/i18n.tsx';
import { useLabels } from './labels.ts';
import { PropertyPicker, usePropertyValues, ValuePicker } from './pickers.tsx';
import type { FilterOp, PropertyFilterRow } from './two-group.ts';

/** Property filters of an event (`where`): property, operator and value, from the event's own data. */
const FILTER_OPS: Record<string, FilterOp[]> = {
  string: ['eq', 'neq', 'contains', 'exists'],
  number: ['eq', 'gte', 'lte', 'gt', 'lt', 'exists'],
};

/** One property filter of an event: property, operator, value (from the event's top values). */
const FilterRow = ({
  event,
  f,
  onChange,
  onRemove,
  testId,
}: {
  event: string;
  f: PropertyFilterRow;
  onChange: (f: PropertyFilterRow) => void;
  onRemove: () => void;
  testId: string;
}) => {
  const L = useLabels();
  const numeric = f.numeric === true || f.property === 'amount';
  const values = usePropertyValues(numeric ? '' : f.property, event);
  const ops = FILTER_OPS[numeric ? 'number' : 'string'] ?? [];
  return (
    <Space wrap data-testid={testId}>
      <span>{L.t('aud.b.where')}</span>
      <PropertyPicker
        event={event}
        value={f.property}
        onChange={(property, type) =>
          onChange({ property, op: type === 'number' ? 'gte' : 'eq', value: '', numeric: type === 'number' })
        }
        testId={`${testId}-property`}
      />
      {f.property !== '' && (
        <Select
          style={{ width: 100 }}
          value={f.op}
          options={ops.map((o) => ({ value: o, label: L.t(`aud.op.${o}` as MessageKey) }))}
          onChange={(op: FilterOp) => onChange({ ...f, op })}
          data-testid={`${testId}-op`}
        />
      )}
      {f.property !== '' &&
        f.op !== 'exists' &&
        (numeric ? (
          <InputNumber
            style={{ width: 120 }}
            value={f.value === '' ? null : Number(f.value)}
            onChange={(v) => onChange({ ...f, value: v === null ? '' : String(v) })}
            data-testid={`${testId}-value`}
          />
        ) : (
          <ValuePicker
            field={f.property}
            known={values}
            value={f.value}
            onChange={(value) => onChange({ ...f, value })}
            testId={`${testId}-value`}
          />
        ))}
      <Button size="small" onClick={onRemove} aria-label={L.t('aud.b.remove')}>
        −
      </Button>
    </Space>
  );
};

export const Filters = ({
  event,
  rows,
  onChange,
  testId,
}: {
  event: string;
  rows: readonly PropertyFilterRow[];
  onChange: (rows: PropertyFilterRow[]) => void;
  testId: string;
}) => {
  const L = useLabels();
  return (
    <Space orientation="vertical" size={4} style={{ paddingLeft: 24 }}>
      {rows.map((f, i) => (
        <FilterRow
          key={i}
          event={event}
          f={f}
          onChange={(n) => onChange(rows.map((o, j) => (j === i ? n : o)))}
          onRemove={() => onChange(rows.filter((_, j) => j !== i))}
          testId={`${testId}-${i}`}
        />
      ))}
      {event !== '' && (
        <Button
          size="small"
          type="dashed"
          onClick={() => onChange([...rows, { property: '', op: 'eq', value: '' }])}
          data-testid={`${testId}-add`}
        >
          + {L.t('aud.b.addFilter')}
        </Button>
      )}
    </Space>
  );
};
