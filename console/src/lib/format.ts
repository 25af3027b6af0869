/** The console's languages (as lib/i18n.tsx names them; kept here so plain modules and tests need no JSX). */
type Locale = 'zh-CN' | 'en';

const tag = (locale: Locale) => (locale === 'zh-CN' ? 'zh-CN' : 'en-US');

export const formatNumber = (locale: Locale, n: number, digits = 0): string =>
  new Intl.NumberFormat(tag(locale), { maximumFractionDigits: digits }).format(n);

/**
 * Money is integer cents (fen) everywhere in the API; it is shown as yuan with ¥ and two decimals
 * in both languages (`narrowSymbol`: en-US would otherwise write CN¥).
 */
export const formatCents = (locale: Locale, cents: number): string =>
  new Intl.NumberFormat(tag(locale), {
    style: 'currency',
    currency: 'CNY',
    currencyDisplay: 'narrowSymbol',
  }).format(Math.round(cents) / 100);

/** A yuan amount as the API gives some (revenue, `cost`): the same ¥ text as its fen would give. */
export const formatYuan = (locale: Locale, yuan: number): string =>
  formatCents(locale, Math.round(yuan * 100));

/** Fen as plain yuan with two decimals and no symbol or grouping ("305.25"), for CSV files. */
export const plainYuan = (cents: number): string => (Math.round(cents) / 100).toFixed(2);

/** Yuan typed into a form → fen, rounded to the fen. */
export const centsOfYuan = (yuan: number): number => Math.round(yuan * 100);

export const formatPercent = (locale: Locale, share: number, digits = 1): string =>
  new Intl.NumberFormat(tag(locale), { style: 'percent', maximumFractionDigits: digits }).format(share);

export const formatTime = (locale: Locale, iso: string | number | null | undefined): string => {
  if (iso === null || iso === undefined) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return d.toLocaleString(tag(locale), { hour12: false });
};
