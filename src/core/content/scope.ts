import { formatYuan } from '../offers/condition-text.ts';
import type { IssuedOffer } from '../offers/issue.ts';
import { isTimeZone } from '../profile/traits.ts';
import { NOW, TIME_ZONE } from './engine.ts';

/**
 * What templates see: `user` (the profile row: `user_id`, typed columns such as `city`,
 * `balance`, `membership`, `register_time`, `acquisition_channel`, and `traits`), `offer` (the
 * issued offer, see `OfferView`), `campaign` (`name`) and the delivery placeholders.
 */

/** A profile row as the warehouse gives it; unknown columns are passed through. */
export interface TemplateUser {
  user_id: string;
  traits?: Record<string, unknown> | null;
  [column: string]: unknown;
}

export interface TemplateSample {
  user: TemplateUser;
  offer?: IssuedOffer | null;
  campaign: { name: string };
  /**
   * More top-level names for one message (delivery's `data`, the offer as stored, extensions'
   * values); `user`, `offer` (when set above) and `campaign` cannot be shadowed.
   */
  extra?: Record<string, unknown> | undefined;
}

export type TextLocale = 'zh-CN' | 'en';

/**
 * Placeholders filled per message at delivery time (the unsubscribe link is signed for the
 * recipient and the channel). Rendering leaves them in the output as `{{name}}`, link
 * rewriting leaves them alone, and the e-mail check looks for them.
 */
export const DELIVERY_PLACEHOLDERS = ['unsubscribe_url'] as const;
export const placeholder = (name: (typeof DELIVERY_PLACEHOLDERS)[number]): string => `{{${name}}}`;

/** The issued offer as templates see it (snake_case, like the profile columns). */
export interface OfferView {
  code: string;
  kind: string;
  /** In the offer's unit: cents for coupons and red packets, points for points. */
  amount: number;
  /** What the offer is worth, in cents and in yuan ("20", "20.50"); points: their value. */
  amount_cents: number;
  amount_yuan: string;
  points?: number;
  min_spend_yuan?: string;
  /** The condition text in the render's locale, and in both. */
  condition: string;
  condition_zh: string;
  condition_en: string;
  /** ISO-8601 instant, for the `date` filter: `{{ offer.expires_at | date: "%m月%d日" }}`. */
  expires_at: string;
}

/** The fields of an issued offer that templates show (delivery reads them back from `offers_issued`). */
export type OfferShown = Pick<
  IssuedOffer,
  'code' | 'kind' | 'amount' | 'valueCents' | 'minSpendCents' | 'condition' | 'expiresAt'
>;

export const offerView = (o: OfferShown, locale: TextLocale): OfferView => ({
  code: o.code,
  kind: o.kind,
  amount: o.amount,
  amount_cents: o.valueCents,
  amount_yuan: formatYuan(o.valueCents),
  ...(o.kind === 'points' ? { points: o.amount } : {}),
  ...(o.minSpendCents === undefined ? {} : { min_spend_yuan: formatYuan(o.minSpendCents) }),
  condition: locale === 'en' ? o.condition.en : o.condition.zh,
  condition_zh: o.condition.zh,
  condition_en: o.condition.en,
  expires_at: new Date(o.expiresAt).toISOString(),
});

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

/**
 * Values as templates should see them: a NULL column or trait becomes absent (so a template
 * that prints it is reported as reading a missing variable), dates become ISO strings, and
 * 64-bit integers become numbers (or strings beyond 2^53).
 */
const templateValue = (v: unknown): unknown => {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (Array.isArray(v)) return v.map(templateValue);
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = templateValue(x);
    return out;
  }
  return v;
};

/**
 * The zone a recipient's dates render in: their profile's `timezone` when it is a zone Intl
 * knows, else the workspace's default (`policy.defaultTimezone`).
 */
export const recipientZone = (profileZone: unknown, workspaceDefault: string): string =>
  typeof profileZone === 'string' && profileZone !== '' && isTimeZone(profileZone)
    ? profileZone
    : workspaceDefault;

/**
 * The Liquid scope of one render; `now` feeds the date filters' "now", `timezone` (an IANA zone
 * Intl knows, see `recipientZone`) is the zone they format in.
 */
export const templateScope = (
  sample: TemplateSample,
  now: number,
  locale: TextLocale = 'zh-CN',
  timezone?: string,
): Record<PropertyKey, unknown> => ({
  ...(sample.extra ? (templateValue(sample.extra) as Record<string, unknown>) : {}),
  user: templateValue(sample.user),
  ...(sample.offer ? { offer: offerView(sample.offer, locale) } : {}),
  campaign: { name: sample.campaign.name },
  ...Object.fromEntries(DELIVERY_PLACEHOLDERS.map((p) => [p, placeholder(p)])),
  [NOW]: now,
  ...(timezone === undefined ? {} : { [TIME_ZONE]: timezone }),
});
