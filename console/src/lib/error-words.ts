import { useCallback } from 'react';
import { ApiError } from './api.ts';
import { useI18n, type Locale } from './i18n.tsx';
import type { MessageKey } from './i18n-dict.ts';

/**
 * A failed request in words for the operator. The server writes its refusals in English for
 * developers and API clients; the zh-CN console says what happened by the status code instead,
 * and names the refused fields by their path, so no English server sentence reaches the page.
 * In English the server's own message is shown.
 */
const BY_STATUS: Record<number, MessageKey> = {
  400: 'err.invalid',
  401: 'err.expired',
  403: 'err.forbidden',
  404: 'err.notFound',
  409: 'err.conflict',
  413: 'err.tooLarge',
  429: 'err.throttled',
};

export const describeError = (e: unknown, t: (k: MessageKey) => string, locale: Locale): string => {
  if (!(e instanceof ApiError)) return t(e instanceof TypeError ? 'err.network' : 'common.error');
  if (locale === 'en') return e.message;
  const base = t(BY_STATUS[e.status] ?? (e.status >= 500 ? 'err.server' : 'common.error'));
  if (e.errors.length === 0) return base;
  const fields = [...new Set(e.errors.map((f) => f.path).filter((p) => p !== ''))];
  return fields.length === 0 ? base : `${base}${t('err.fields')}${fields.join('、')}`;
};

/** `const say = useErrorText(); message.error(say(e));` */
export const useErrorText = (): ((e: unknown) => string) => {
  const { t, locale } = useI18n();
  return useCallback((e: unknown) => describeError(e, t, locale), [t, locale]);
};
