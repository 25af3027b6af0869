import type { MessageKey } from './i18n-dict.ts';

/** Small wording helpers of the reports area. */

/** Puts values into a dictionary string's {placeholders}. */
export const fill = (s: string, values: Record<string, string | number>): string =>
  s.replace(/\{(\w+)\}/g, (whole, k: string) => (k in values ? String(values[k]) : whole));

const CHANNEL_KEYS: Record<string, MessageKey> = {
  push: 'rep.ch.push',
  in_app: 'rep.ch.in_app',
  email: 'rep.ch.email',
  sms: 'rep.ch.sms',
  wecom: 'rep.ch.wecom',
  call: 'rep.ch.call',
  webhook: 'rep.ch.webhook',
};

/** A channel code in words; an unknown code reads "other channel", never the code. */
export const channelName = (t: (k: MessageKey) => string, ch: string): string =>
  t(CHANNEL_KEYS[ch] ?? 'rep.ch.other');

const STAGE_KEYS: Record<string, MessageKey> = {
  new: 'rep.stage.new',
  growing: 'rep.stage.growing',
  mature: 'rep.stage.mature',
  silent: 'rep.stage.silent',
  churned: 'rep.stage.churned',
};

export const stageName = (t: (k: MessageKey) => string, stage: string): string =>
  STAGE_KEYS[stage] ? t(STAGE_KEYS[stage]) : t('dash2.unknown');

const FIELD_KEYS: Record<string, MessageKey> = {
  limitCents: 'money.field.limitCents',
  costCents: 'money.field.costCents',
  quota: 'money.field.quota',
  conversionRate: 'money.field.conversionRate',
  baselineConversionRate: 'money.field.baselineConversionRate',
  averageOrderCents: 'money.field.averageOrderCents',
  marginRate: 'money.field.marginRate',
  unsubscribeRate: 'money.field.unsubscribeRate',
};

/**
 * A refused request in the operator's words: what kind of refusal, and for a 400 which fields (by
 * their names in words, never the server's path or English message).
 */
export const refusalText = (t: (k: MessageKey) => string, e: unknown): string => {
  const status = typeof e === 'object' && e !== null && 'status' in e ? Number(e.status) : 0;
  if (status === 400 || status === 422) {
    const errors =
      typeof e === 'object' && e !== null && 'errors' in e && Array.isArray(e.errors)
        ? (e.errors as { path: string }[])
        : [];
    const names = [
      ...new Set(
        errors.map((x) => {
          const last =
            x.path
              .split(/[.[\]/]/)
              .filter((p) => p !== '' && !/^\d+$/.test(p))
              .at(-1) ?? '';
          return t(FIELD_KEYS[last] ?? 'money.field.other');
        }),
      ),
    ];
    return fill(t('money.err.invalid'), {
      fields: names.length > 0 ? names.join('、') : t('money.field.other'),
    });
  }
  if (status === 403) return t('money.err.forbidden');
  if (status === 404) return t('money.err.notFound');
  if (status === 409) return t('money.err.conflict');
  return t('money.err.failed');
};
