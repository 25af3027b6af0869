import { InputNumber, Select, Space } from 'antd';
import { Filters } from './Filters.tsx';
import { useLabels } from './labels.ts';
import { EventPicker, type EventOption } from './pickers.tsx';
import { TimeInput } from './TimeInput.tsx';
import type { BehaviorCondition, WindowForm } from './two-group.ts';

type Mode = 'last_days' | WindowForm['type'];
const MODES: readonly Mode[] = ['last_days', 'since', 'between', 'all'];
const MODE_LABEL = {
  last_days: 'aud.win.lastDays',
  since: 'aud.win.since',
  between: 'aud.win.between',
  all: 'aud.win.all',
} as const;

/**
 * Which events a behaviour counts: the last N days, since the user's last (or first) time of an
 * event, between two dates, or all time. The starting event is picked from the warehouse's list.
 */
export const WindowPicker = ({
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
  const w = c.window;
  const setWindow = (window: WindowForm | undefined) => {
    const { window: _, ...rest } = c;
    onChange(window === undefined ? rest : { ...rest, window });
  };
  const pickMode = (m: Mode) =>
    setWindow(
      m === 'last_days'
        ? undefined
        : m === 'since'
          ? { type: 'since', event: '', where: [] }
          : m === 'between'
            ? { type: 'between', from: '', to: '' }
            : { type: 'all' },
    );
  return (
    <Space wrap size={4}>
      <Select
        style={{ width: 150 }}
        value={w?.type ?? 'last_days'}
        options={MODES.map((m) => ({ value: m, label: L.t(MODE_LABEL[m]) }))}
        onChange={pickMode}
        data-testid={`behavior-window-${index}`}
      />
      {w === undefined && (
        <InputNumber
          min={1}
          max={3650}
          value={c.days}
          prefix={L.t('aud.b.inLastDays')}
          suffix={L.t('aud.b.days')}
          style={{ width: 140 }}
          onChange={(v) => onChange({ ...c, days: typeof v === 'number' ? v : 0 })}
          data-testid={`behavior-days-${index}`}
        />
      )}
      {w?.type === 'since' && (
        <>
          <Select
            style={{ width: 100 }}
            value={w.occurrence ?? 'last'}
            options={[
              { value: 'last', label: L.t('aud.win.sinceLast') },
              { value: 'first', label: L.t('aud.win.sinceFirst') },
            ]}
            onChange={(occurrence: 'first' | 'last') => setWindow({ ...w, occurrence })}
            data-testid={`behavior-since-occurrence-${index}`}
          />
          <EventPicker
            value={w.event}
            events={events}
            placeholder={L.t('aud.win.sinceEvent')}
            invalid={unknownEvents.has(w.event.trim())}
            onChange={(event) => setWindow({ ...w, event, where: [] })}
            testId={`behavior-since-${index}`}
          />
          {(w.where ?? []).length > 0 && (
            <Filters
              event={w.event}
              rows={w.where ?? []}
              onChange={(where) => setWindow({ ...w, where })}
              testId={`behavior-since-filter-${index}`}
            />
          )}
        </>
      )}
      {w?.type === 'between' && (
        <>
          <TimeInput
            value={w.from}
            onChange={(from) => setWindow({ ...w, from })}
            testId={`behavior-from-${index}`}
          />
          <span>{L.t('aud.win.to')}</span>
          <TimeInput
            value={w.to}
            onChange={(to) => setWindow({ ...w, to })}
            testId={`behavior-to-${index}`}
          />
        </>
      )}
    </Space>
  );
};
