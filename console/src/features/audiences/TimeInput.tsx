import { Input } from 'antd';
import { useLabels } from './labels.ts';
import { shownTime } from './time-text.ts';

/**
 * A time of a condition: a date picker, or a date-and-time picker (UTC, to the second) when the
 * saved time has a time of day. It shows the row's text (time-text.ts) and hands back what the
 * operator picks; a time never touched keeps the text it was saved with (epoch ms included).
 */
export const TimeInput = ({
  value,
  onChange,
  testId,
}: {
  value: string;
  onChange: (text: string) => void;
  testId: string;
}) => {
  const L = useLabels();
  const shown = shownTime(value);
  const date = shown.kind === 'date';
  return (
    <Input
      type={date ? 'date' : 'datetime-local'}
      step={date ? undefined : 1}
      style={{ width: date ? 150 : 210 }}
      aria-label={L.t(date ? 'aud.b.date' : 'aud.b.dateTime')}
      title={date ? undefined : L.t('aud.b.dateTime')}
      value={shown.value}
      onChange={(e) => onChange(e.target.value)}
      data-testid={testId}
    />
  );
};
