/**
 * What must not reach an operator's zh-CN page: a dictionary key shown as is (`nav.users`), a code
 * or field name (`pending_review`, `acquisition_channel`), an English word, or JSON. Product terms
 * a Chinese operator reads as such (ROI, SMS, App) are allowed.
 */
export const PRODUCT_WORDS = new Set([
  'Rekindle',
  'English',
  'ID',
  'ROI',
  'LTV',
  'RFM',
  'BG',
  'NBD',
  'CSV',
  'Excel',
  'SMS',
  'App',
  'APP',
  'Push',
  'Webhook',
  'URL',
  'API',
  'AUC',
  'A',
  'B',
  'AB',
  'UTC',
  'GMT',
  'P',
  'alive',
  'Top',
  'TOP',
  'VIP',
  'vip',
  'OK',
  'KPI',
  'GMV',
  'UV',
  'PV',
  'DAU',
  'MAU',
  'iOS',
  'Android',
  'HTTP',
  'HTTPS',
  'DKIM',
  'PEM',
  'RSA',
  'IP',
  'Liquid',
  'T',
  'TD',
  'N',
  'k',
  'M',
  'px',
  'Qini',
  'Email',
  'email',
]);

/** A masked contact or a link the page shows as data, not words. */
const DATA_TOKENS = [
  /\b[\w.+-]*\*+[\w.+-]*@[\w.-]+\b/g, // a masked e-mail address: z***@example.com
  /\bhttps?:\/\/\S+/g,
  /\b[\w-]+\.(com|cn|net|org)\b/g,
  /\bu\d+\b/g, // demo user ids
  /\brk[a-z]?_[A-Za-z0-9]+/g, // key prefixes shown on purpose (rk_live_ab12…)
];

/**
 * `allowed`: words the page shows as data in this test (the member's login name). A single
 * letter is a symbol (a model's parameter r, α, a, b; A/B), never an untranslated word.
 */
export const findUnexplainedText = (
  text: string,
  keys: readonly string[],
  allowed: readonly string[] = [],
): string[] => {
  const data = new Set(allowed);
  const found = new Set<string>();
  const keySet = new Set(keys);
  for (const token of text.split(/[^\w.]+/)) if (keySet.has(token)) found.add(`raw key ${token}`);
  if (/\{\s*"[^"]+"\s*:/.test(text)) found.add('JSON');
  let words = text;
  for (const re of DATA_TOKENS) words = words.replace(re, ' ');
  for (const m of words.matchAll(/\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b/g)) found.add(`code ${m[0]}`);
  words = words.replace(/\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b/g, ' ');
  for (const m of words.matchAll(/[A-Za-z]+/g))
    if (m[0].length > 1 && !PRODUCT_WORDS.has(m[0]) && !data.has(m[0])) found.add(`English ${m[0]}`);
  return [...found];
};
