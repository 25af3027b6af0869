import { Button, DatePicker } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import 'dayjs/locale/zh-cn';
import { useEffect } from 'react';
import { useI18n, type MessageKey } from './i18n.tsx';

/** Two calendar days, both included: [first, last]. */
export type DayRange = [Dayjs, Dayjs];

export const dayText = (d: Dayjs): string => d.format('YYYY-MM-DD');

const today = () => dayjs().startOf('day');
export const lastDays = (n: number): DayRange => [today().subtract(n - 1, 'day'), today()];

/** The quick choices a picker may offer: today, the last 7 / 30 / 90 days (today included), this month. */
export type RangePreset = 'today' | '7d' | '30d' | '90d' | 'month';

const PRESET_LABELS: Record<RangePreset, MessageKey> = {
  today: 'rep.range.today',
  '7d': 'rep.range.7d',
  '30d': 'rep.range.30d',
  '90d': 'rep.range.90d',
  month: 'rep.range.month',
};

/** The days a preset stands for, as of now (the browser's today). */
export const presetRange = (p: RangePreset): DayRange => {
  switch (p) {
    case 'today':
      return lastDays(1);
    case '7d':
      return lastDays(7);
    case '30d':
      return lastDays(30);
    case '90d':
      return lastDays(90);
    case 'month':
      return [today().startOf('month'), today()];
  }
};

/** The preset a range is, or null for days picked by hand (自定义). */
export const presetOf = (r: DayRange, presets: readonly RangePreset[]): RangePreset | null =>
  presets.find((p) => {
    const v = presetRange(p);
    return dayText(v[0]) === dayText(r[0]) && dayText(v[1]) === dayText(r[1]);
  }) ?? null;

/**
 * The range in words for titles: the preset's name (近30天), or the days picked by hand
 * (自定义 2026-11-01 至 2026-11-12).
 */
export const rangeLabel = (
  t: (k: MessageKey) => string,
  r: DayRange,
  presets: readonly RangePreset[],
): string => {
  const p = presetOf(r, presets);
  return p !== null
    ? t(PRESET_LABELS[p])
    : t('rep.range.customDays').replace('{from}', dayText(r[0])).replace('{to}', dayText(r[1]));
};

/** Whether a day (YYYY-MM-DD, or a longer text starting with one) is within the range. */
export const inRange = (r: DayRange, day: string): boolean => {
  const d = day.slice(0, 10);
  return d >= dayText(r[0]) && d <= dayText(r[1]);
};

/** The operator's time zone, so that the server reads the days as the operator's days. */
export const browserTimeZone = (): string | undefined => {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
};

const POPUP_CLASS = 'rk-range-popup';
/** On a phone the two months and the presets stack instead of sitting side by side (wider than the screen). */
const QUICK_CLASS = 'rk-range-quick';
/**
 * On a phone the two months stack instead of sitting side by side (wider than the screen), and
 * the presets move out of the calendar into buttons under the picker (always in reach).
 */
const NARROW_POPUP_CSS = `.${QUICK_CLASS} { display: none; }
@media (max-width: 640px) {
  .${POPUP_CLASS} .ant-picker-panel-layout, .${POPUP_CLASS} .ant-picker-panels { flex-direction: column; }
  .${POPUP_CLASS} .ant-picker-presets { display: none; }
  .${QUICK_CLASS} { display: flex; flex-wrap: wrap; gap: 4px; margin-top: 6px; }
}`;

const REPORT_PRESETS: readonly RangePreset[] = ['today', '7d', '30d', 'month'];

/**
 * The date-range picker of every report and the dashboard: presets (by default 今天 / 近7天 /
 * 近30天 / 本月; any days by hand — 自定义 — in the calendar), days after today disabled, the calendar
 * in the console's language. The days are the browser's; the server reads them in its zone
 * (`browserTimeZone`), so "today" is the operator's today.
 */
export const RangeFilter = ({
  value,
  onChange,
  testId = 'report-range',
  presets: presetIds = REPORT_PRESETS,
}: {
  value: DayRange;
  onChange: (r: DayRange) => void;
  testId?: string;
  presets?: readonly RangePreset[];
}) => {
  const { t, locale } = useI18n();
  useEffect(() => {
    dayjs.locale(locale === 'zh-CN' ? 'zh-cn' : 'en');
  }, [locale]);
  const presets: { label: string; value: DayRange }[] = presetIds.map((p) => ({
    label: t(PRESET_LABELS[p]),
    value: presetRange(p),
  }));
  return (
    <span data-testid={testId} style={{ display: 'inline-block', maxWidth: '100%' }}>
      <style>{NARROW_POPUP_CSS}</style>
      <DatePicker.RangePicker
        classNames={{ popup: { root: POPUP_CLASS } }}
        value={value}
        allowClear={false}
        inputReadOnly
        style={{ maxWidth: '100%' }}
        placeholder={[t('rep.range.start'), t('rep.range.end')]}
        disabledDate={(d) => d.isAfter(dayjs(), 'day')}
        presets={presets}
        onChange={(v) => {
          if (v?.[0] && v[1]) onChange([v[0].startOf('day'), v[1].startOf('day')]);
        }}
      />
      <span className={QUICK_CLASS}>
        {presets.map((p) => (
          <Button key={p.label} size="small" onClick={() => onChange(p.value)}>
            {p.label}
          </Button>
        ))}
      </span>
    </span>
  );
};
