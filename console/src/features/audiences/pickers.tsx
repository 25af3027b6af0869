import { Select } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { api } from '../../lib/api.ts';
import { useLabels } from './labels.ts';

/**
 * The builder's pickers, filled from what the warehouse has seen (the metadata API): events,
 * an event's properties, and a property's most frequent values. Answers are kept for the page's
 * life, so a row re-rendered does not ask again.
 */

export interface EventOption {
  event: string;
  count: number;
}
export interface PropertyOption {
  key: string;
  type: string;
}
interface PropertiesAnswer {
  properties: PropertyOption[];
}
interface ValuesAnswer {
  values: { value: string; count: number }[];
}

const cache = new Map<string, Promise<unknown>>();
const cached = <T,>(path: string): Promise<T> => {
  let p = cache.get(path);
  if (p === undefined) {
    p = api.get<T>(path).catch((e: unknown) => {
      cache.delete(path);
      throw e;
    });
    cache.set(path, p);
  }
  return p as Promise<T>;
};

const useCached = <T,>(path: string | null): T | undefined => {
  const [data, setData] = useState<{ path: string; value: T } | undefined>(undefined);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    cached<T>(path).then(
      (value) => live && setData({ path, value }),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [path]);
  return data !== undefined && data.path === path ? data.value : undefined;
};

/** The typed event columns every event has (the rest are JSON keys from the sample). */
const TYPED_PROPERTIES: PropertyOption[] = [
  { key: 'amount', type: 'number' },
  { key: 'product_id', type: 'string' },
  { key: 'category', type: 'string' },
  { key: 'platform', type: 'string' },
];

export const useEventProperties = (event: string): PropertyOption[] => {
  const answer = useCached<PropertiesAnswer>(
    event.trim() === '' ? null : `/v1/metadata/events/${encodeURIComponent(event.trim())}/properties`,
  );
  return useMemo(() => {
    const seen = new Set((answer?.properties ?? []).map((p) => p.key));
    return [
      ...(answer?.properties ?? []).filter(
        (p) => p.type === 'string' || p.type === 'number' || p.type === 'time',
      ),
      ...TYPED_PROPERTIES.filter((p) => !seen.has(p.key)),
    ];
  }, [answer]);
};

export const usePropertyValues = (key: string, event: string): string[] => {
  const answer = useCached<ValuesAnswer>(
    key.trim() === ''
      ? null
      : `/v1/metadata/properties/${encodeURIComponent(key.trim())}/values${
          event.trim() === '' ? '' : `?event=${encodeURIComponent(event.trim())}`
        }`,
  );
  return useMemo(() => (answer?.values ?? []).map((v) => v.value), [answer]);
};

const matches = (input: string, label: string, value: string) => {
  const q = input.trim().toLowerCase();
  return label.toLowerCase().includes(q) || value.toLowerCase().includes(q);
};

/** An event from the warehouse's list; a name it has never seen cannot be picked. */
export const EventPicker = ({
  value,
  events,
  onChange,
  testId,
  placeholder,
  invalid,
}: {
  value: string;
  events: readonly EventOption[];
  onChange: (event: string) => void;
  testId: string;
  placeholder?: string;
  invalid?: boolean;
}) => {
  const L = useLabels();
  const options = events.map((e) => ({ value: e.event, label: L.event(e.event) }));
  return (
    <Select
      style={{ width: 168 }}
      showSearch={{
        filterOption: (input, o) => matches(input, String(o?.label ?? ''), String(o?.value ?? '')),
      }}
      value={value === '' ? undefined : value}
      placeholder={placeholder ?? L.t('aud.b.pickEvent')}
      options={options}
      labelRender={(p) => L.event(String(p.value))}
      status={invalid === true ? 'error' : undefined}
      onChange={(v: string) => onChange(v)}
      data-testid={testId}
    />
  );
};

/** A property of the event, from its sampled events. */
export const PropertyPicker = ({
  event,
  value,
  onChange,
  testId,
  width = 140,
}: {
  event: string;
  value: string;
  onChange: (key: string, type: string) => void;
  testId: string;
  width?: number;
}) => {
  const L = useLabels();
  const props = useEventProperties(event);
  return (
    <Select
      style={{ width }}
      showSearch={{
        filterOption: (input, o) => matches(input, String(o?.label ?? ''), String(o?.value ?? '')),
      }}
      value={value === '' ? undefined : value}
      placeholder={L.t('aud.b.pickProperty')}
      options={props.map((p) => ({ value: p.key, label: L.property(p.key) }))}
      labelRender={(p) => L.property(String(p.value))}
      onChange={(key: string) => onChange(key, props.find((p) => p.key === key)?.type ?? 'string')}
      data-testid={testId}
    />
  );
};

/**
 * A value from the most frequent ones, searchable; what is typed can be used as it is (a value
 * too rare to be among the top ones). `multiple` picks several (for "is one of").
 */
export const ValuePicker = ({
  field,
  known,
  value,
  values,
  multiple,
  onChange,
  onChangeMany,
  testId,
  width = 168,
}: {
  /** The field whose values these are (for their words). */
  field: string;
  known: readonly string[];
  value?: string;
  values?: readonly string[];
  multiple?: boolean;
  onChange?: (v: string) => void;
  onChangeMany?: (vs: string[]) => void;
  testId: string;
  width?: number;
}) => {
  const L = useLabels();
  const [typed, setTyped] = useState('');
  const chosen = multiple === true ? (values ?? []) : value === undefined || value === '' ? [] : [value];
  const all = [...new Set([...known, ...chosen])];
  const options = [
    ...all.map((v) => ({ value: v, label: L.value(field, v) })),
    ...(typed.trim() !== '' && !all.includes(typed.trim())
      ? [{ value: typed.trim(), label: L.f('aud.b.useTyped', { v: typed.trim() }) }]
      : []),
  ];
  return (
    <Select
      style={{ minWidth: width, maxWidth: '100%' }}
      mode={multiple === true ? 'multiple' : undefined}
      showSearch={{
        filterOption: (input, o) => matches(input, String(o?.label ?? ''), String(o?.value ?? '')),
        onSearch: setTyped,
      }}
      value={multiple === true ? [...chosen] : chosen[0]}
      placeholder={L.t('aud.b.pickValue')}
      options={options}
      labelRender={(p) => L.value(field, String(p.value))}
      onChange={(v: string | string[]) => {
        setTyped('');
        if (Array.isArray(v)) onChangeMany?.(v);
        else onChange?.(v);
      }}
      data-testid={testId}
    />
  );
};
