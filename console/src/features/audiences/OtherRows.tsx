import { Alert, Button, Checkbox, InputNumber, Select, Space, Tooltip, Typography } from 'antd';
import type { MessageKey } from '../../lib/i18n.tsx';
import type { AudienceNode } from '../../lib/audience-tree.ts';
import { useLabels, type Labels } from './labels.ts';

/** The rows that are not a profile or behaviour condition: a saved audience, a bucket, a kept condition. */

const Exclude = ({
  value,
  onChange,
  testId,
}: {
  value: boolean;
  onChange: (v: boolean) => void;
  testId: string;
}) => {
  const L = useLabels();
  return (
    <Checkbox checked={value} onChange={(e) => onChange(e.target.checked)} data-testid={testId}>
      {L.t('aud.g.exclude')}
    </Checkbox>
  );
};

const Remove = ({ onRemove }: { onRemove: () => void }) => {
  const L = useLabels();
  return (
    <Tooltip title={L.t('aud.b.remove')}>
      <Button onClick={onRemove} aria-label={L.t('aud.b.remove')}>
        −
      </Button>
    </Tooltip>
  );
};

export interface AudienceOption {
  id: string;
  name: string;
}

/** Members of another saved audience (picked by its name; the one being edited is not offered). */
export const ReferenceRow = ({
  id,
  negate,
  index,
  audiences,
  onChange,
  onRemove,
}: {
  id: string;
  negate: boolean;
  index: number;
  audiences: readonly AudienceOption[];
  onChange: (v: { id: string; negate: boolean }) => void;
  onRemove: () => void;
}) => {
  const L = useLabels();
  const known = id === '' || audiences.some((a) => a.id === id);
  const options = [
    ...audiences.map((a) => ({ value: a.id, label: a.name })),
    ...(known ? [] : [{ value: id, label: L.t('aud.g.audienceGone') }]),
  ];
  return (
    <Space wrap data-testid={`audience-ref-cond-${index}`}>
      <Exclude
        value={negate}
        onChange={(n) => onChange({ id, negate: n })}
        testId={`audience-ref-not-${index}`}
      />
      <span>{L.t('aud.g.audience')}</span>
      <Select
        style={{ width: 220, maxWidth: '100%' }}
        showSearch={{ optionFilterProp: 'label' }}
        value={id === '' ? undefined : id}
        placeholder={L.t('aud.g.pickAudience')}
        options={options}
        onChange={(v: string) => onChange({ id: v, negate })}
        data-testid={`audience-ref-${index}`}
      />
      <Remove onRemove={onRemove} />
    </Space>
  );
};

/** A deterministic random bucket (e.g. 0–9 is a 10 % holdout); its salt is kept as saved. */
export const BucketRow = ({
  min,
  max,
  negate,
  index,
  onChange,
  onRemove,
}: {
  min: number;
  max: number;
  negate: boolean;
  index: number;
  onChange: (v: { min: number; max: number; negate: boolean }) => void;
  onRemove: () => void;
}) => {
  const L = useLabels();
  const bound = (v: number | null, fallback: number) => (typeof v === 'number' ? Math.round(v) : fallback);
  return (
    <Space wrap data-testid={`bucket-cond-${index}`}>
      <Exclude
        value={negate}
        onChange={(n) => onChange({ min, max, negate: n })}
        testId={`bucket-not-${index}`}
      />
      <span>{L.t('aud.g.bucket')}</span>
      <InputNumber
        min={0}
        max={max}
        value={min}
        style={{ width: 80 }}
        onChange={(v) => onChange({ min: bound(v, min), max, negate })}
        data-testid={`bucket-min-${index}`}
      />
      <span>{L.t('aud.g.bucketTo')}</span>
      <InputNumber
        min={min}
        max={99}
        value={max}
        style={{ width: 80 }}
        onChange={(v) => onChange({ min, max: bound(v, max), negate })}
        data-testid={`bucket-max-${index}`}
      />
      <Remove onRemove={onRemove} />
    </Space>
  );
};

/** What a kept condition is about, in words ("用户属性「城市」", "加购未下单"). */
const whatInWords = (L: Labels, node: AudienceNode): string => {
  switch (node.kind) {
    case 'attribute':
      return L.f('aud.g.attribute', { name: L.attribute(node.attribute) });
    case 'score':
      return L.f('aud.g.score', { name: L.score(node.score) });
    case 'and':
    case 'or':
    case 'not':
      return L.t('aud.g.group');
    case 'audience':
      return L.t('aud.g.audience');
    case 'bucket':
      return L.t('aud.g.bucket');
    default:
      return L.t(`aud.k.${node.kind}` as MessageKey);
  }
};

/**
 * A condition no row can show all of (a time written as days ago on a profile value, a filter on
 * a list of values, an order event with filters…): kept exactly as saved, read-only, with the
 * reason; it can be removed.
 */
export const FixedRow = ({
  node,
  negate,
  index,
  onChange,
  onRemove,
}: {
  node: AudienceNode;
  negate: boolean;
  index: number;
  onChange: (negate: boolean) => void;
  onRemove: () => void;
}) => {
  const L = useLabels();
  return (
    <Alert
      type="info"
      data-testid={`fixed-cond-${index}`}
      style={{ background: '#fafafa', borderColor: '#d9d9d9' }}
      message={
        <Space wrap>
          <Exclude value={negate} onChange={onChange} testId={`fixed-not-${index}`} />
          <Typography.Text type="secondary">
            {L.f('aud.g.fixed', { what: whatInWords(L, node) })}
          </Typography.Text>
          <Remove onRemove={onRemove} />
        </Space>
      }
    />
  );
};
