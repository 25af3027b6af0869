import { Button, Checkbox, Input, InputNumber, Select, Space } from 'antd';
import { useI18n } from '../../lib/i18n.tsx';
import type { BehaviorCondition, ProfileCondition } from './two-group.ts';

const ATTRIBUTES = ['city', 'acquisition_channel', 'membership', 'balance', 'timezone'];
const OPS: ProfileCondition['op'][] = ['eq', 'neq', 'gt', 'lt', 'contains', 'exists'];

export const ProfileRow = ({
  c,
  index,
  onChange,
  onRemove,
}: {
  c: ProfileCondition;
  index: number;
  onChange: (c: ProfileCondition) => void;
  onRemove: () => void;
}) => {
  const { t } = useI18n();
  return (
    <Space wrap data-testid={`profile-cond-${index}`}>
      <Checkbox checked={c.negate} onChange={(e) => onChange({ ...c, negate: e.target.checked })}>
        {t('aud.not')}
      </Checkbox>
      <Select
        style={{ width: 180 }}
        value={c.attribute || undefined}
        placeholder={t('aud.attribute')}
        options={ATTRIBUTES.map((a) => ({ value: a, label: a }))}
        onChange={(attribute: string) => onChange({ ...c, attribute })}
        data-testid={`profile-attr-${index}`}
      />
      <Select
        style={{ width: 110 }}
        value={c.op}
        options={OPS.map((o) => ({ value: o, label: o }))}
        onChange={(op: ProfileCondition['op']) => onChange({ ...c, op })}
      />
      {c.op !== 'exists' && (
        <Input
          style={{ width: 180 }}
          placeholder={t('aud.value')}
          value={c.value}
          onChange={(e) => onChange({ ...c, value: e.target.value })}
          data-testid={`profile-value-${index}`}
        />
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
  const { t } = useI18n();
  return (
    <Space wrap data-testid={`behavior-cond-${index}`}>
      <Checkbox checked={c.negate} onChange={(e) => onChange({ ...c, negate: e.target.checked })}>
        {t('aud.not')}
      </Checkbox>
      <Select
        style={{ width: 110 }}
        value={c.kind}
        options={[
          { value: 'did', label: t('aud.did') },
          { value: 'did_not', label: t('aud.didNot') },
        ]}
        onChange={(kind: BehaviorCondition['kind']) => onChange({ ...c, kind })}
      />
      <Input
        style={{ width: 160 }}
        placeholder={t('aud.event')}
        value={c.event}
        onChange={(e) => onChange({ ...c, event: e.target.value })}
        data-testid={`behavior-event-${index}`}
      />
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
