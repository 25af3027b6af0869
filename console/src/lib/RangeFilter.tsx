import { Button, DatePicker } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import 'dayjs/locale/zh-cn';
import { useEffect } from 'react';
import { useI18n } from '../../lib/i18n.tsx';

/** Two calendar days, both included: [first, last]. */
export type DayRange = [Dayjs, Dayjs];

export const dayText = (d: Dayjs): string => d.format('YYYY-MM-DD');

const today = () => dayjs().startOf('day');
export const lastDays = (n: number): DayRange => [today().subtract(n - 1, 'day'), today()];

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

/**
 * The date-range picker of every report: presets 今天 / 近7天 / 近30天 / 本月, days after today
 * disabled, the calendar in the console's language.
 */
export const RangeFilter = ({
  value,
  onChange,
  testId = 'report-range',
}: {
  value: DayRange;
  onChange: (r: DayRange) => void;
  testId?: string;
}) => {
  const { t, locale } = useI18n();
  useEffect(() => {
    dayjs.locale(locale === 'zh-CN' ? 'zh-cn' : 'en');
  }, [locale]);
  const presets: { label: string; value: DayRange }[] = [
    { label: t('rep.range.today'), value: lastDays(1) },
    { label: t('rep.range.7d'), value: lastDays(7) },
    { label: t('rep.range.30d'), value: lastDays(30) },
    { label: t('rep.range.month'), value: [today().startOf('month'), today()] },
  ];
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
