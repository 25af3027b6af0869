import type { MessageKey } from '../../lib/i18n-dict.ts';

/**
 * The server's refusals of a settings document in the operator's words: its English message
 * (TypeBox's or the service's own) becomes a dictionary sentence, and its path (`policy.caps.1.max`,
 * `config.churn.events[0]`) the form field to show it next to. Pure, for tests.
 */

type T = (k: MessageKey) => string;

export const fill = (s: string, values: Record<string, string | number>): string =>
  s.replace(/\{(\w+)\}/g, (m, k: string) => (k in values ? String(values[k]) : m));

/** A server message in words (never the English sentence itself). */
export const refusalWords = (message: string, t: T): string => {
  if (/time zone/i.test(message)) return t('set.err.timezone');
  if (/start and end are equal/i.test(message)) return t('set.err.sameTimes');
  if (/end must be after start/i.test(message)) return t('set.err.endAfterStart');
  if (/writes itself/i.test(message)) return t('set.err.systemEvent');
  if (/listed twice|used twice/i.test(message)) return t('set.err.duplicate');
  if (/greater than the edge/i.test(message)) return t('set.err.ascending');
  if (/less than min/i.test(message)) return t('set.err.maxBelowMin');
  const min = /greater or equal to (-?[\d.]+)/i.exec(message);
  if (min?.[1] !== undefined) return fill(t('set.err.min'), { n: min[1] });
  const max = /less or equal to (-?[\d.]+)/i.exec(message);
  if (max?.[1] !== undefined) return fill(t('set.err.max'), { n: max[1] });
  return t('set.err.invalid');
};

/** `policy.caps[1].max` and `policy.caps.1.max` → ['policy', 'caps', 1, 'max']. */
export const pathParts = (path: string): (string | number)[] =>
  path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((p) => p !== '')
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));

export type FieldName = (string | number)[];

/** Where the policy form shows a refusal of `policy.…`; null: not a field of the form. */
export const policyField = (
  path: string,
  windowIndex: (channel: string, i: number) => number,
): FieldName | null => {
  const [root, key, a, b] = pathParts(path);
  if (root !== 'policy') return null;
  switch (key) {
    case 'caps':
      if (typeof a !== 'number') return ['caps'];
      return ['caps', a, b === 'max' ? 'max' : b === 'window' ? 'per' : b === 'scope' ? 'scope' : 'max'];
    case 'quietHours':
      return [a === 'end' ? 'quietEnd' : 'quietStart'];
    case 'sendWindows':
      return typeof a === 'string' && typeof b === 'number'
        ? ['windows', windowIndex(a, b), 'end']
        : ['windows'];
    case 'defaultTimezone':
    case 'marketingGapHours':
    case 'quietSpreadMinutes':
    case 'maxMarketingPerSlot':
      return [key];
    case 'globalControlShare':
      return ['globalControlPercent'];
    default:
      return null;
  }
};

/** Where the score form shows a refusal of `config.…`; null: a part the form does not edit. */
export const scoreField = (path: string): FieldName | null => {
  const p = pathParts(path);
  const at = p.slice(1).join('.');
  const direct: Record<string, string> = {
    'churn.days': 'churnDays',
    'lifecycle.newDays': 'newDays',
    'lifecycle.silentDays': 'silentDays',
    'lifecycle.mature.orderEvent': 'orderEvent',
    'lifecycle.mature.minOrders': 'minOrders',
    'lifecycle.mature.minTenureDays': 'minTenureDays',
    'relapse.silentDays': 'relapseDays',
    'rfm.windowDays': 'rfmWindowDays',
    'rfm.event': 'rfmEvent',
  };
  if (p[0] !== 'config') return null;
  const hit = direct[at];
  if (hit !== undefined) return [hit];
  if (at.startsWith('churn.events')) return ['churnEvents'];
  if (at.startsWith('lifecycle.activityEvents')) return ['activityEvents'];
  if (p[1] === 'rfm' && p[2] === 'tiers' && typeof p[3] === 'number') return ['tiers', p[3], 'min'];
  return null;
};
