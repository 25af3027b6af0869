import { Alert } from 'antd';
import { api } from '../../lib/api.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { useAsync } from '../../lib/use-async.ts';
import type { EditorState } from './campaign-types.ts';
import {
  cronMinutes,
  DEFAULT_SPREAD_MINUTES,
  quietVerdict,
  type QuietWindow,
} from '../../lib/quiet-hours.ts';

interface PolicyAnswer {
  policy: { quietHours: QuietWindow | null; defaultTimezone: string; quietSpreadMinutes?: number };
}

const fill = (s: string, values: Record<string, string | number>) =>
  s.replace(/\{(\w+)\}/g, (whole, k: string) => (k in values ? String(values[k]) : whole));

/** Time zones by their Chinese / English names; others are shown as the IANA name. */
const ZONES: Record<string, [string, string]> = {
  'Asia/Shanghai': ['北京时间', 'Beijing time'],
  'Asia/Chongqing': ['北京时间', 'Beijing time'],
  'Asia/Hong_Kong': ['香港时间', 'Hong Kong time'],
  'Asia/Taipei': ['台北时间', 'Taipei time'],
  'Asia/Tokyo': ['东京时间', 'Tokyo time'],
  'Asia/Singapore': ['新加坡时间', 'Singapore time'],
  UTC: ['协调世界时', 'UTC'],
};

export const zoneName = (zone: string, zh: boolean): string => ZONES[zone]?.[zh ? 0 : 1] ?? zone;

/**
 * Says when the chosen slot falls in the users' night (the planner policy's quiet hours, counted
 * in the users' time zone, by default the workspace's) and when the messages will really go: held
 * to the end of the quiet hours and spread over the policy's spread minutes (08:00–10:00 by
 * default), or left out when the campaign drops users outside the window.
 */
export const QuietHoursNote = ({ s }: { s: EditorState }) => {
  const { t, locale } = useI18n();
  const policy = useAsync(() => api.get<PolicyAnswer>('/v1/planner/policy'), []);
  const p = policy.data?.policy;
  if (p === undefined) return null;
  const spread = p.quietSpreadMinutes ?? DEFAULT_SPREAD_MINUTES;
  const zone = s.timing === 'periodic' ? s.timezone : p.defaultTimezone;
  const zh = locale === 'zh-CN';
  const quiet = p.quietHours;
  const values = {
    zone: zoneName(zone, zh),
    start: quiet?.start ?? '',
    end: quiet?.end ?? '',
  };
  if (s.timing === 'triggered') {
    if (quiet === null) return null;
    const r = quietVerdict({ minutes: null }, quiet, spread);
    const v = r.kind === 'some' ? { ...values, from: r.from, to: r.to } : values;
    return (
      <Alert
        type="info"
        showIcon
        data-testid="quiet-hours-note"
        title={fill(t(s.outsideWindow === 'drop' ? 'ced.quiet.triggeredDrop' : 'ced.quiet.triggered'), v)}
      />
    );
  }
  const verdict =
    s.timing === 'one_off'
      ? quietVerdict({ atMs: Date.parse(s.at), zone }, quiet, spread)
      : quietVerdict({ minutes: cronMinutes(s.cron) }, quiet, spread);
  if (verdict.kind === 'none') return null;
  if (verdict.kind === 'day')
    return (
      <Alert
        type="success"
        showIcon
        data-testid="quiet-hours-note"
        title={fill(t('ced.quiet.day'), { ...values, at: verdict.at })}
      />
    );
  const key =
    verdict.kind === 'night'
      ? s.outsideWindow === 'drop'
        ? 'ced.quiet.nightDrop'
        : 'ced.quiet.night'
      : s.outsideWindow === 'drop'
        ? 'ced.quiet.someDrop'
        : 'ced.quiet.some';
  return (
    <Alert
      type="warning"
      showIcon
      data-testid="quiet-hours-note"
      title={fill(t(key), {
        ...values,
        at: verdict.kind === 'night' ? verdict.at : '',
        from: verdict.from,
        to: verdict.to,
      })}
    />
  );
};
