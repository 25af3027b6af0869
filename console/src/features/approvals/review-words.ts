/**
 * A campaign's schedule and offer in the reviewer's words. Pure: the dictionary lookup and the
 * time formatting are injected.
 */
type T = (key: string) => string;

const fill = (s: string, values: Record<string, string | number>): string =>
  s.replace(/\{(\w+)\}/g, (whole, k: string) => (k in values ? String(values[k]) : whole));

const pad = (n: number) => String(n).padStart(2, '0');

/** `m h * * *` → 每天 09:00; `m h * * d` → 每周一 09:00; `m h d * *` → 每月 1 日 09:00; else null. */
export const cronWords = (cron: string, t: T): string | null => {
  const f = cron.trim().split(/\s+/);
  if (f.length !== 5) return null;
  const [mi, h, dom, mon, dow] = f as [string, string, string, string, string];
  if (!/^\d+$/.test(mi) || !/^\d+$/.test(h) || mon !== '*') return null;
  const at = `${pad(Number(h))}:${pad(Number(mi))}`;
  if (dom === '*' && dow === '*') return fill(t('appr.cron.daily'), { at });
  if (dom === '*' && /^[0-7]$/.test(dow))
    return fill(t('appr.cron.weekly'), { day: t(`appr.weekday.${Number(dow) % 7}`), at });
  if (/^\d+$/.test(dom) && dow === '*') return fill(t('appr.cron.monthly'), { day: dom, at });
  return null;
};

export interface TimingLike {
  kind: string;
  at?: string;
  cron?: string;
  timezone?: string;
  event?: string;
  delayMinutes?: number;
}

export const scheduleWords = (timing: TimingLike, t: T, time: (iso: string) => string): string => {
  if (timing.kind === 'one_off') return fill(t('appr.sched.oneOff'), { at: time(timing.at ?? '') });
  if (timing.kind === 'periodic') {
    const words = cronWords(timing.cron ?? '', t);
    return words ?? fill(t('appr.sched.cron'), { cron: timing.cron ?? '' });
  }
  const delay = timing.delayMinutes ?? 0;
  return fill(t(delay > 0 ? 'appr.sched.triggeredDelay' : 'appr.sched.triggered'), {
    event: timing.event ?? '',
    n: delay,
  });
};
