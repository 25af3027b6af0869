import { Select } from 'antd';
import { api } from '../../lib/api.ts';
import type { EventNamesAnswer } from '../../lib/api-types.ts';
import { en as audienceWords } from '../../lib/dict/audiences.ts';
import { useI18n, type MessageKey } from '../../lib/i18n.tsx';
import { useAsync } from '../../lib/use-async.ts';

const fill = (s: string, values: Record<string, string>) =>
  s.replace(/\{(\w+)\}/g, (whole, k: string) => values[k] ?? whole);

/**
 * The campaign's goal event, picked from the events the workspace's app has reported (the
 * metadata API), by their names in words where the console has them: a typed name nobody reports
 * would silently count no conversions. A saved goal the app never reported stays pickable, marked.
 * Cleared: no goal.
 */
export const GoalEventPicker = ({
  value,
  onChange,
  invalid,
  always = [],
  placeholder = 'ced.goal.placeholder',
  testId = 'campaign-goal-event',
}: {
  value: string;
  onChange: (event: string) => void;
  invalid?: boolean;
  /** Events offered even before the app reported one (Rekindle's own, e.g. a tier change). */
  always?: readonly string[];
  placeholder?: MessageKey;
  testId?: string;
}) => {
  const { t } = useI18n();
  const events = useAsync(() => api.get<EventNamesAnswer>('/v1/metadata/events'), []);
  const label = (name: string) => {
    const key = `aud.e.${name}`;
    return Object.hasOwn(audienceWords, key) ? t(key as MessageKey) : name;
  };
  const seen = [...new Set([...(events.data?.events ?? []).map((e) => e.event), ...always])];
  const options = seen.map((e) => ({ value: e, label: label(e) }));
  // A goal from before (or from the API) that the app never reported: shown as it is, marked.
  if (value !== '' && events.data !== undefined && !seen.includes(value))
    options.unshift({ value, label: fill(t('ced.goal.unseen'), { name: label(value) }) });
  return (
    <Select
      style={{ width: 220, maxWidth: '100%' }}
      value={value === '' ? undefined : value}
      placeholder={t(placeholder)}
      options={options}
      loading={events.loading}
      allowClear
      showSearch={{
        filterOption: (input, o) => {
          const q = input.trim().toLowerCase();
          return (
            String(o?.label ?? '')
              .toLowerCase()
              .includes(q) || String(o?.value ?? '').includes(q)
          );
        },
      }}
      labelRender={(p) =>
        seen.includes(String(p.value)) || events.data === undefined ? label(String(p.value)) : p.label
      }
      status={invalid === true ? 'error' : undefined}
      onChange={(v: string | undefined) => onChange(v ?? '')}
      data-testid={testId}
    />
  );
};
