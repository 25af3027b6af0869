import type { Locale } from '../../lib/i18n.tsx';
import type { AudienceWarningView } from '../../lib/api-types.ts';

/**
 * The builder's own words for what issue 16 added (warnings, pickers, cart abandonment), kept
 * with the feature so it needs no edit of the shared dictionary; both languages always.
 */
const en = {
  warnings: 'Check these names',
  apply: 'Use',
  cartAbandoned: 'abandoned cart',
  cartHours: 'no order within N hours',
  cartEvent: 'Add-to-cart event',
  knownEvents: 'Known events',
};
type Words = typeof en;
const zhCN: Words = {
  warnings: '请检查这些名称',
  apply: '改为',
  cartAbandoned: '加购未下单',
  cartHours: '小时内未下单',
  cartEvent: '加购事件',
  knownEvents: '已有事件',
};

export const wordsFor = (locale: Locale): Words => (locale === 'en' ? en : zhCN);

/** A warning in the operator's language, built from its parts (never the server's English). */
export const warningText = (locale: Locale, w: AudienceWarningView): string => {
  const hint =
    w.suggestion === null
      ? ''
      : locale === 'en'
        ? ` — did you mean '${w.suggestion}'?`
        : `，是否想输入「${w.suggestion}」？`;
  if (locale === 'en') {
    if (w.what === 'event') return `Event '${w.name}' has never been seen${hint}`;
    if (w.what === 'property')
      return `Property '${w.name}' has not been seen on recent '${w.event ?? ''}' events${hint}`;
    return `Profile attribute '${w.name}' has not been seen on any user${hint}`;
  }
  if (w.what === 'event') return `事件「${w.name}」从未出现过${hint}`;
  if (w.what === 'property') return `最近的「${w.event ?? ''}」事件中没有属性「${w.name}」${hint}`;
  return `所有用户都没有属性「${w.name}」${hint}`;
};
