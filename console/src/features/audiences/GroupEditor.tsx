import { Button, Checkbox, Radio, Space, Tooltip, Typography } from 'antd';
import { Fragment } from 'react';
import { BehaviorRow, ProfileRow, type AttributeOption } from './ConditionRows.tsx';
import { newGroup, newKey, type FormItem, type GroupItem } from './group-form.ts';
import { useLabels } from './labels.ts';
import { BucketRow, FixedRow, ReferenceRow, type AudienceOption } from './OtherRows.tsx';
import type { EventOption } from './pickers.tsx';
import type { Combinator } from './two-group.ts';

/**
 * One group of the builder and, inside it, its conditions and sub-groups (drawn by this same
 * component): 且 / 或 between them, 排除 on the group and on each row. Rows are numbered per kind
 * in display order (`profile-attr-0`, `behavior-event-1`, `group-2`), the test ids of the page.
 */

export interface BuilderContext {
  attributes: readonly AttributeOption[];
  events: readonly EventOption[];
  unknownEvents: ReadonlySet<string>;
  audiences: readonly AudienceOption[];
  /** The number of each row and group by its key (numberRows). */
  numbers: ReadonlyMap<string, number>;
}

/** Rows and groups numbered per kind in display order (the root group is group 0). */
export const numberRows = (root: GroupItem): Map<string, number> => {
  const counts = new Map<string, number>();
  const out = new Map<string, number>();
  const visit = (i: FormItem) => {
    const n = counts.get(i.type) ?? 0;
    counts.set(i.type, n + 1);
    out.set(i.key, n);
    if (i.type === 'group') i.items.forEach(visit);
  };
  visit(root);
  return out;
};

const blankProfile = (): FormItem => ({
  type: 'profile',
  key: newKey(),
  c: { negate: false, attribute: '', op: 'eq', value: '' },
});
const blankBehavior = (): FormItem => ({
  type: 'behavior',
  key: newKey(),
  c: { negate: false, kind: 'did', event: '', days: 30 },
});
const blankReference = (): FormItem => ({ type: 'audience', key: newKey(), negate: false, id: '' });

const MAX_DEPTH = 6;

export const GroupEditor = ({
  group,
  depth,
  ctx,
  onChange,
  onRemove,
}: {
  group: GroupItem;
  depth: number;
  ctx: BuilderContext;
  onChange: (g: GroupItem) => void;
  /** Absent for the root group. */
  onRemove?: () => void;
}) => {
  const L = useLabels();
  const n = ctx.numbers.get(group.key) ?? 0;
  const suffix = depth === 0 ? '' : `-g${n}`;
  const set = (items: FormItem[]) => onChange({ ...group, items });
  const replace = (key: string, next: FormItem | null) =>
    set(group.items.flatMap((i) => (i.key === key ? (next === null ? [] : [next]) : [i])));
  const row = (item: FormItem) => {
    const index = ctx.numbers.get(item.key) ?? 0;
    const remove = () => replace(item.key, null);
    switch (item.type) {
      case 'group':
        return (
          <GroupEditor
            group={item}
            depth={depth + 1}
            ctx={ctx}
            // Removing the last row of a group removes the group (a saved empty one stays).
            onChange={(g) => replace(item.key, g.items.length === 0 && item.items.length > 0 ? null : g)}
            onRemove={remove}
          />
        );
      case 'profile':
        return (
          <ProfileRow
            c={item.c}
            index={index}
            attributes={ctx.attributes}
            onChange={(c) => replace(item.key, { ...item, c })}
            onRemove={remove}
          />
        );
      case 'behavior':
        return (
          <BehaviorRow
            c={item.c}
            index={index}
            events={ctx.events}
            unknownEvents={ctx.unknownEvents}
            onChange={(c) => replace(item.key, { ...item, c })}
            onRemove={remove}
          />
        );
      case 'audience':
        return (
          <ReferenceRow
            id={item.id}
            negate={item.negate}
            index={index}
            audiences={ctx.audiences}
            onChange={(v) => replace(item.key, { ...item, ...v })}
            onRemove={remove}
          />
        );
      case 'bucket':
        return (
          <BucketRow
            min={item.min}
            max={item.max}
            negate={item.negate}
            index={index}
            onChange={(v) => replace(item.key, { ...item, ...v })}
            onRemove={remove}
          />
        );
      case 'fixed':
        return (
          <FixedRow
            node={item.node}
            negate={item.negate}
            index={index}
            onChange={(negate) => replace(item.key, { ...item, negate })}
            onRemove={remove}
          />
        );
    }
  };
  const joiner = group.combinator === 'and' ? L.t('aud.g.and') : L.t('aud.g.or');
  return (
    <div
      data-testid={`group-${n}`}
      style={{
        border: '1px solid #e5e7eb',
        borderLeft: `3px solid ${group.negate ? '#ff7875' : '#4096ff'}`,
        borderRadius: 6,
        padding: depth === 0 ? 12 : 8,
        background: depth % 2 === 0 ? '#fff' : '#fafcff',
        minWidth: 0,
      }}
    >
      <Space wrap style={{ marginBottom: 8 }}>
        <Checkbox
          checked={group.negate}
          onChange={(e) => onChange({ ...group, negate: e.target.checked })}
          data-testid={`group-not-${n}`}
        >
          {L.t('aud.g.exclude')}
        </Checkbox>
        <Radio.Group
          value={group.combinator}
          onChange={(e) => onChange({ ...group, combinator: e.target.value as Combinator })}
          size="small"
          data-testid={`group-combinator-${n}`}
        >
          <Radio.Button value="and">{L.t('aud.g.all')}</Radio.Button>
          <Radio.Button value="or">{L.t('aud.g.any')}</Radio.Button>
        </Radio.Group>
        {onRemove !== undefined && (
          <Tooltip title={L.t('aud.g.removeGroup')}>
            <Button size="small" onClick={onRemove} data-testid={`group-remove-${n}`}>
              {L.t('aud.g.removeGroup')}
            </Button>
          </Tooltip>
        )}
      </Space>
      <Space orientation="vertical" style={{ width: '100%' }} size={6}>
        {group.items.length === 0 && (
          <Typography.Text type="secondary">
            {L.t(group.combinator === 'and' ? 'aud.g.emptyAnd' : 'aud.g.emptyOr')}
          </Typography.Text>
        )}
        {group.items.map((item, i) => (
          <Fragment key={item.key}>
            {i > 0 && (
              <Typography.Text strong type="secondary" style={{ fontSize: 12 }}>
                {joiner}
              </Typography.Text>
            )}
            {row(item)}
          </Fragment>
        ))}
        <Space wrap size={4}>
          <Button
            size="small"
            onClick={() => set([...group.items, blankProfile()])}
            data-testid={`add-profile-condition${suffix}`}
          >
            + {L.t('aud.g.addProfile')}
          </Button>
          <Button
            size="small"
            onClick={() => set([...group.items, blankBehavior()])}
            data-testid={`add-behavior-condition${suffix}`}
          >
            + {L.t('aud.g.addBehavior')}
          </Button>
          <Button
            size="small"
            onClick={() => set([...group.items, blankReference()])}
            data-testid={`add-audience-condition${suffix}`}
          >
            + {L.t('aud.g.addAudience')}
          </Button>
          {depth < MAX_DEPTH && (
            <Button
              size="small"
              type="dashed"
              onClick={() => set([...group.items, newGroup([blankBehavior()])])}
              data-testid={`add-group${suffix}`}
            >
              + {L.t('aud.g.addGroup')}
            </Button>
          )}
        </Space>
      </Space>
    </div>
  );
};
