import type { Cents, Channel } from '../channels/channels.ts';
import { words, type Words } from '../words.ts';

/**
 * A budget skip in words (features.md E5): what the message would have reserved — the channel's
 * price and the user's own offer, in yuan — and what the budget had left. The planner writes the
 * English sentence as the skip's detail (one string per skip, grouped by the skip log); the
 * decision API reads it back into zh-CN and en with `budgetShortWords`.
 */

export type OfferKindWord = 'coupon' | 'red_packet' | 'points';

/** Cents as people read money: 5 → "¥0.05", 300000 → "¥3,000.00". */
export const yuanText = (cents: Cents): string => {
  const c = Math.max(0, Math.round(cents));
  const whole = String(Math.floor(c / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `¥${whole}.${String(c % 100).padStart(2, '0')}`;
};

const CHANNEL: Record<Channel, Words> = {
  push: words('推送', 'push'),
  in_app: words('站内信', 'in-app message'),
  email: words('邮件', 'email'),
  sms: words('短信', 'SMS'),
  wecom: words('企业微信消息', 'WeCom message'),
  call: words('外呼', 'call'),
  webhook: words('Webhook', 'webhook'),
};
const OFFER: Record<OfferKindWord, Words> = {
  coupon: words('优惠券', 'coupon'),
  red_packet: words('红包', 'red packet'),
  points: words('积分', 'points'),
};

export interface BudgetShort {
  channel: Channel;
  priceCents: Cents;
  /** The campaign's offer kind; absent: no offer. */
  offerKind?: OfferKindWord | undefined;
  offerCents: Cents;
  /** Whose budget: the campaign's, or the named department's. */
  department?: string | undefined;
  leftCents: Cents;
}

/** The English detail the planner writes, e.g. "budget short: SMS ¥0.05 + coupon ¥5.00; the campaign's budget has ¥3.00 left". */
export const budgetShortDetail = (b: BudgetShort): string => {
  const offer = b.offerKind === undefined ? '' : ` + ${OFFER[b.offerKind].en} ${yuanText(b.offerCents)}`;
  const whose = b.department === undefined ? "the campaign's budget" : `department ${b.department}'s budget`;
  return `budget short: ${CHANNEL[b.channel].en} ${yuanText(b.priceCents)}${offer}; ${whose} has ${yuanText(b.leftCents)} left`;
};

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const alternatives = (table: Record<string, Words>) =>
  Object.values(table)
    .map((x) => escape(x.en))
    .join('|');
const DETAIL = new RegExp(
  `^budget short: (${alternatives(CHANNEL)}) (¥[\\d,]+\\.\\d\\d)(?: \\+ (${alternatives(OFFER)}) (¥[\\d,]+\\.\\d\\d))?; ` +
    `(?:the campaign's budget|department (.+)'s budget) has (¥[\\d,]+\\.\\d\\d) left$`,
);

/** A budget skip's detail in zh-CN and en ("预算不足：短信 ¥0.05 + 优惠券 ¥5.00，任务预算仅剩 ¥3.00"); null for any other detail. */
export const budgetShortWords = (detail: string | null | undefined): Words | null => {
  const m = detail === null || detail === undefined ? null : DETAIL.exec(detail);
  if (!m) return null;
  const [, channelEn, price, offerEn, offer, department, left] = m;
  const zhOf = (table: Record<string, Words>, en: string | undefined) =>
    Object.values(table).find((x) => x.en === en)?.zhCN ?? en ?? '';
  const offerZh = offerEn === undefined ? '' : ` + ${zhOf(OFFER, offerEn)} ${offer}`;
  const whoseZh = department === undefined ? '任务预算' : `部门 ${department} 的预算`;
  return words(
    `预算不足：${zhOf(CHANNEL, channelEn)} ${price}${offerZh}，${whoseZh}仅剩 ${left}`,
    detail as string,
  );
};
