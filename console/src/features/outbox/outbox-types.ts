import type { DeadLetter, OutboxSummary, UserDecision } from '../../lib/api-types.ts';
import type { Locale, MessageKey } from '../../lib/i18n.tsx';

export type { DeadLetter, OutboxSummary, UserDecision };
export type Words = { zhCN: string; en: string };

/** The server answers both languages; the page shows the one chosen. */
export const inLocale = (w: Words | null | undefined, locale: Locale): string =>
  w === null || w === undefined ? '' : locale === 'zh-CN' ? w.zhCN : w.en;

const CHANNELS: Record<string, MessageKey> = {
  push: 'ob.ch.push',
  in_app: 'ob.ch.in_app',
  email: 'ob.ch.email',
  sms: 'ob.ch.sms',
  wecom: 'ob.ch.wecom',
  wechat_oa: 'ob.ch.wechat_oa',
  call: 'ob.ch.call',
  webhook: 'ob.ch.webhook',
};

export const channelKey = (channel: string): MessageKey | null => CHANNELS[channel] ?? null;

export const OUTCOME_KEYS: Record<UserDecision['outcome'], MessageKey> = {
  sent: 'ob.why.o.sent',
  planned: 'ob.why.o.planned',
  not_delivered: 'ob.why.o.not_delivered',
  holdout: 'ob.why.o.holdout',
  skipped: 'ob.why.o.skipped',
  not_considered: 'ob.why.o.not_considered',
};

export const OUTCOME_COLORS: Record<UserDecision['outcome'], string> = {
  sent: 'green',
  planned: 'blue',
  not_delivered: 'red',
  holdout: 'purple',
  skipped: 'orange',
  not_considered: 'default',
};
