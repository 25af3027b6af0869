import { Button, InputNumber, Select, Space } from 'antd';
import { Filters } from './Filters.tsx';
import { useLabels } from './labels.ts';
import { EventPicker, type EventOption } from './pickers.tsx';
import type { BehaviorCondition, StepRow } from './two-group.ts';

/** The API's limit on steps (src/core/audience/schema.ts MAX_SEQUENCE_STEPS). */
const MAX_STEPS = 8;
type Unit = 'days' | 'hours' | 'minutes';
const UNIT_LABEL = {
  days: 'aud.seq.unit.days',
  hours: 'aud.seq.unit.hours',
  minutes: 'aud.seq.unit.minutes',
} as const;

/**
 * The steps of a sequence after the first (A, then B, then C …, each with its filters), and how
 * long all of them may take.
 */
export const SequenceSteps = ({
  c,
  index,
  events,
  unknownEvents,
  onChange,
}: {
  c: BehaviorCondition;
  index: number;
  events: readonly EventOption[];
  unknownEvents: ReadonlySet<string>;
  onChange: (c: BehaviorCondition) => void;
}) => {
  const L = useLabels();
  const more = c.more ?? [];
  const setMore = (next: StepRow[]) => {
    const { more: _, ...rest } = c;
    onChange(next.length === 0 ? rest : { ...rest, more: next });
  };
  const unit: Unit = c.withinUnit ?? 'days';
  const setWithout = (without: StepRow | undefined) => {
    const { without: _, ...rest } = c;
    onChange(without === undefined ? rest : { ...rest, without });
  };
  return (
    <Space orientation="vertical" size={4} style={{ paddingLeft: 24 }}>
      <Space wrap size={4}>
        <span>{L.t('aud.seq.then')}</span>
        <EventPicker
          value={c.then ?? ''}
          events={events}
          invalid={unknownEvents.has((c.then ?? '').trim())}
          onChange={(then) => onChange({ ...c, then, thenWhere: [] })}
          testId={`behavior-then-${index}`}
        />
      </Space>
      <Filters
        event={c.then ?? ''}
        rows={c.thenWhere ?? []}
        onChange={(thenWhere) => onChange({ ...c, thenWhere })}
        testId={`behavior-then-filter-${index}`}
      />
      {more.map((s, k) => (
        <Space key={k} orientation="vertical" size={4}>
          <Space wrap size={4}>
            <span>{L.t('aud.seq.then')}</span>
            <EventPicker
              value={s.event}
              events={events}
              invalid={unknownEvents.has(s.event.trim())}
              onChange={(event) => setMore(more.map((o, j) => (j === k ? { event, where: [] } : o)))}
              testId={`behavior-step-${index}-${k + 2}`}
            />
            <Button
              size="small"
              onClick={() => setMore(more.filter((_, j) => j !== k))}
              aria-label={L.t('aud.b.remove')}
            >
              −
            </Button>
          </Space>
          <Filters
            event={s.event}
            rows={s.where ?? []}
            onChange={(where) => setMore(more.map((o, j) => (j === k ? { ...o, where } : o)))}
            testId={`behavior-step-filter-${index}-${k + 2}`}
          />
        </Space>
      ))}
      {c.without !== undefined && (
        <Space orientation="vertical" size={4} data-testid={`behavior-without-row-${index}`}>
          <Space wrap size={4}>
            <span>{L.t('aud.seq.without')}</span>
            <EventPicker
              value={c.without.event}
              events={events}
              invalid={unknownEvents.has(c.without.event.trim())}
              onChange={(event) => setWithout({ event, where: [] })}
              testId={`behavior-without-${index}`}
            />
            <Button size="small" onClick={() => setWithout(undefined)} aria-label={L.t('aud.b.remove')}>
              −
            </Button>
          </Space>
          <Filters
            event={c.without.event}
            rows={c.without.where ?? []}
            onChange={(where) => setWithout({ event: c.without?.event ?? '', where })}
            testId={`behavior-without-filter-${index}`}
          />
        </Space>
      )}
      <Space wrap size={4}>
        {c.without === undefined && (
          <Button
            size="small"
            type="dashed"
            onClick={() => setWithout({ event: '', where: [] })}
            data-testid={`behavior-add-without-${index}`}
          >
            + {L.t('aud.seq.addWithout')}
          </Button>
        )}
        {more.length + 2 < MAX_STEPS && (
          <Button
            size="small"
            type="dashed"
            onClick={() => setMore([...more, { event: '', where: [] }])}
            data-testid={`behavior-add-step-${index}`}
          >
            + {L.t('aud.seq.addStep')}
          </Button>
        )}
        <InputNumber
          min={1}
          max={52_704_000}
          style={{ width: 150 }}
          prefix={L.t('aud.seq.within')}
          value={c.withinDays ?? null}
          onChange={(v) => {
            const { withinDays: _, ...rest } = c;
            onChange(typeof v === 'number' ? { ...rest, withinDays: v } : rest);
          }}
          data-testid={`behavior-within-${index}`}
        />
        <Select
          style={{ width: 120 }}
          value={unit}
          options={(['days', 'hours', 'minutes'] as const).map((u) => ({
            value: u,
            label: L.t(UNIT_LABEL[u]),
          }))}
          onChange={(u: Unit) => {
            const { withinUnit: _, ...rest } = c;
            onChange(u === 'days' ? rest : { ...rest, withinUnit: u });
          }}
          data-testid={`behavior-within-unit-${index}`}
        />
      </Space>
    </Space>
  );
};
