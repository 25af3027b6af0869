import type { Locale } from './i18n.tsx';

const tag = (locale: Locale) => (locale === 'zh-CN' ? 'zh-CN' : 'en-US');

export const formatNumber = (locale: Locale, n: number, digits = 0): string =>
  new Intl.NumberFormat(tag(locale), { maximumFractionDigits: digits }).format(n);

/** Money is integer cents (fen) everywhere in the API. */
export const formatCents = (locale: Locale, cents: number): string =>
  new Intl.NumberFormat(tag(locale), { style: 'currency', currency: 'CNY' }).format(cents / 100);

export const formatPercent = (locale: Locale, share: number, digits = 1): string =>
  new Intl.NumberFormat(tag(locale), { style: 'percent', maximumFractionDigits: digits }).format(share);

export const formatTime = (locale: Locale, iso: string | number | null | undefined): string => {
  if (iso === null || iso === undefined) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return d.toLocaleString(tag(locale), { hour12: false });
};
