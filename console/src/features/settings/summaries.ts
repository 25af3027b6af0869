import type { Locale, MessageKey } from '../../lib/i18n.tsx';
import { segmentLabel } from '../../lib/segment-words.ts';
import { policyToValues, type Policy } from './policy-values.ts';
import { channelLabel } from './provider-kind-labels.ts';

/**
 * A settings document as labelled lines in words (`免打扰时段: 22:00–08:00`), so the change history
 * says what changed between two versions without showing the JSON. Pure.
 */
export type Summary = [label: string, value: string][];
type T = (k: MessageKey) => string;

const TZ: Record<string, MessageKey> = {
  'Asia/Shanghai': 'set.tz.shanghai',
  'Asia/Hong_Kong': 'set.tz.hongKong',
  'Asia/Taipei': 'set.tz.taipei',
  'Asia/Tokyo': 'set.tz.tokyo',
  'Asia/Singapore': 'set.tz.singapore',
  'Europe/London': 'set.tz.london',
  'America/New_York': 'set.tz.newYork',
  'America/Los_Angeles': 'set.tz.losAngeles',
  UTC: 'set.tz.utc',
};

const isPolicy = (p: unknown): p is Policy =>
  typeof p === 'object' && p !== null && Array.isArray((p as Policy).caps) && 'sendWindows' in p;

export const policySummary = (doc: unknown, t: T, locale: Locale): Summary => {
  if (!isPolicy(doc)) return [];
  const v = policyToValues(doc);
  const sep = locale === 'en' ? '; ' : '；';
  const per = { day: 'set.caps.perDay', week: 'set.caps.perWeek', month: 'set.caps.perMonth' } as const;
  const caps = v.caps
    .map((c) => {
      const scope = c.scope === 'total' ? t('set.caps.all') : channelLabel(c.scope, locale);
      const period = c.per === 'hours' ? `${c.hours ?? 0} ${t('set.unit.hour')}` : t(per[c.per]);
      return `${scope} ${period} ${t('set.caps.max')} ${c.max} ${t('set.unit.msg')}`;
    })
    .join(sep);
  const windows = v.windows.map((w) => `${channelLabel(w.channel, locale)} ${w.start}–${w.end}`).join(sep);
  const tz = TZ[v.defaultTimezone];
  return [
    [t('set.caps.title'), caps || t('set.hist.none2')],
    [t('set.quiet.title'), v.quietOn ? `${v.quietStart}–${v.quietEnd}` : t('set.hist.off')],
    [t('set.quiet.tz'), tz === undefined ? v.defaultTimezone : t(tz)],
    [t('set.quiet.spread'), `${v.quietSpreadMinutes} ${t('set.unit.minute')}`],
    [t('set.windows.title'), windows || t('set.hist.none2')],
    [t('set.gap.hours'), `${v.marketingGapHours} ${t('set.unit.hour')}`],
    [t('set.gap.perSlot'), `${v.maxMarketingPerSlot} ${t('set.unit.msg')}`],
    [t('set.gap.control'), `${v.globalControlPercent}%`],
  ];
};

interface ScoreDoc {
  churn: { events: string[]; days: number };
  lifecycle: {
    activityEvents: string[];
    newDays: number;
    silentDays: number;
    mature: { orderEvent: string; minOrders: number; minTenureDays: number };
  };
  rfm: {
    event: string;
    windowDays: number;
    tiers: { name: string; total?: { min?: number; max?: number } }[];
  };
  relapse?: { silentDays: number };
}
const isScoreDoc = (c: unknown): c is ScoreDoc =>
  typeof c === 'object' && c !== null && 'churn' in c && 'lifecycle' in c && 'rfm' in c;

export const scoreSummary = (
  doc: unknown,
  t: T,
  locale: Locale,
  event: (name: string) => string,
): Summary => {
  if (!isScoreDoc(doc)) return [];
  const sep = locale === 'en' ? ', ' : '、';
  const days = (n: number) => `${n} ${t('set.unit.day')}`;
  const tiers = doc.rfm.tiers
    .map((x) => `${segmentLabel(locale, 'tier', x.name)} ≥ ${x.total?.min ?? '—'}`)
    .join(sep);
  return [
    [t('set.churn.days'), days(doc.churn.days)],
    [t('set.churn.events'), doc.churn.events.map(event).join(sep)],
    [t('set.relapse.days'), days(doc.relapse?.silentDays ?? 30)],
    [t('set.life.activity'), doc.lifecycle.activityEvents.map(event).join(sep)],
    [t('set.life.newDays'), days(doc.lifecycle.newDays)],
    [t('set.life.silentDays'), days(doc.lifecycle.silentDays)],
    [
      t('set.life.minOrders'),
      `${event(doc.lifecycle.mature.orderEvent)} ${doc.lifecycle.mature.minOrders} ${t('set.unit.order')} · ${days(doc.lifecycle.mature.minTenureDays)}`,
    ],
    [t('set.rfm.event'), event(doc.rfm.event)],
    [t('set.rfm.window'), days(doc.rfm.windowDays)],
    [t('set.rfm.tiers'), tiers],
  ];
};

/** What changed between two summaries: `label: old → new`, in order. */
export const summaryChanges = (before: Summary, after: Summary, t: T, locale: Locale): string[] => {
  const old = new Map(before);
  return after.flatMap(([label, value]) => {
    const was = old.get(label);
    return was === undefined || was === value
      ? []
      : [`${label}${locale === 'en' ? ': ' : '：'}${was}${t('set.hist.arrow')}${value}`];
  });
};
