import type { Cents, Channel } from '../channels/channels.ts';

/**
 * A ladder prices its next channel itself (features.md D6, issue 17): a non-responder is moved
 * to the next, dearer channel only when what that message is expected to bring back —
 *
 *   expected value = the channel's response rate on our own history × what the user is worth
 *
 * — exceeds what it costs (the channel's price per message + the user's own offer). The
 * operator's floors (`minValueCents` per step, `doNotDisturbBelowCents`) still apply first.
 * Every decision is explained in words with yuan, in Chinese and English, for the skip record
 * and the "why wasn't this user reached" view. Pure.
 *
 * Response rate: responses ÷ delivered messages of the channel in the workspace over the last
 * RESPONSE_WINDOW_DAYS days (a response: a click or an attributed conversion of that message;
 * delivered: sent and not failed). Few messages say little, so:
 *   - under MIN_SAMPLE delivered messages, the channel's documented default rate is used;
 *   - from MIN_SAMPLE on, the measured rate is shrunk towards the default as if PRIOR_WEIGHT
 *     messages at the default rate had been seen too: (responses + w·default) ÷ (delivered + w).
 */

export const RESPONSE_WINDOW_DAYS = 30;
export const MIN_SAMPLE = 100;
export const PRIOR_WEIGHT = 200;

/**
 * Response rates assumed for a channel without enough history of its own: what recall messages
 * in Chinese consumer apps commonly get (a call is answered and acted on far more often than a
 * push is tapped; an e-mail least).
 */
export const DEFAULT_RESPONSE_RATES: Record<Channel, number> = {
  push: 0.01,
  in_app: 0.02,
  email: 0.005,
  sms: 0.012,
  wecom: 0.02,
  call: 0.05,
  webhook: 0.01,
};

/** Channel names in the decisions' words. */
export const CHANNEL_ZH: Record<Channel, string> = {
  push: '推送',
  in_app: '站内信',
  email: '邮件',
  sms: '短信',
  wecom: '企业微信',
  call: '外呼',
  webhook: 'Webhook',
};
export const CHANNEL_EN: Record<Channel, string> = {
  push: 'Push',
  in_app: 'In-app',
  email: 'Email',
  sms: 'SMS',
  wecom: 'WeCom',
  call: 'Call',
  webhook: 'Webhook',
};

/** A channel's messages in the window, as measured. */
export interface ChannelHistory {
  delivered: number;
  responses: number;
}

export interface ResponseRate {
  rate: number;
  /** 'history': measured (shrunk towards the default); 'default': too few messages of our own. */
  source: 'history' | 'default';
  delivered: number;
  responses: number;
}

export const responseRate = (channel: Channel, h: ChannelHistory | undefined): ResponseRate => {
  const fallback = DEFAULT_RESPONSE_RATES[channel];
  const delivered = Math.max(0, h?.delivered ?? 0);
  const responses = Math.min(delivered, Math.max(0, h?.responses ?? 0));
  if (delivered < MIN_SAMPLE) return { rate: fallback, source: 'default', delivered, responses };
  return {
    rate: (responses + PRIOR_WEIGHT * fallback) / (delivered + PRIOR_WEIGHT),
    source: 'history',
    delivered,
    responses,
  };
};

export interface EscalationInput {
  channel: Channel;
  rate: ResponseRate;
  /** What the user is worth (cents): the value model's expected spend / LTV (userValuesCents). */
  valueCents: Cents;
  /** The channel's price per message (cents). */
  messageCents: Cents;
  /** The user's own offer with this message (cents); 0 without one. */
  offerCents: Cents;
}

export interface EscalationPrice {
  escalate: boolean;
  /** rate × value, in (fractional) cents. */
  expectedCents: number;
  costCents: Cents;
  zh: string;
  en: string;
}

/** Cents → '¥0.03' (two decimals: an expected value is often a few fen). */
export const yuan = (cents: number): string => `¥${(Math.round(cents) / 100).toFixed(2)}`;

const percent = (r: number): string => `${(Math.round(r * 1000) / 10).toFixed(1)}%`;

/**
 * Whether the next step's channel pays for itself for this user, and why in words. A message
 * that costs nothing is always worth sending (the floors decide who is worth disturbing).
 */
export const priceEscalation = (i: EscalationInput): EscalationPrice => {
  const costCents = i.messageCents + i.offerCents;
  const expectedCents = i.rate.rate * i.valueCents;
  const escalate = costCents === 0 || expectedCents > costCents;
  const ev = yuan(expectedCents);
  const rate = percent(i.rate.rate);
  const value = yuan(i.valueCents);
  const cost = yuan(costCents);
  const costZh =
    i.offerCents > 0 ? `${cost}（消息 ${yuan(i.messageCents)} + 优惠 ${yuan(i.offerCents)}）` : cost;
  const costEn =
    i.offerCents > 0 ? `${cost} (message ${yuan(i.messageCents)} + offer ${yuan(i.offerCents)})` : cost;
  const sourceZh =
    i.rate.source === 'default'
      ? `，默认回应率：近 ${RESPONSE_WINDOW_DAYS} 天送达仅 ${i.rate.delivered} 条`
      : `，近 ${RESPONSE_WINDOW_DAYS} 天 ${i.rate.responses}/${i.rate.delivered} 条回应`;
  const sourceEn =
    i.rate.source === 'default'
      ? `; default rate: only ${i.rate.delivered} delivered in ${RESPONSE_WINDOW_DAYS} days`
      : `; ${i.rate.responses} of ${i.rate.delivered} responded in ${RESPONSE_WINDOW_DAYS} days`;
  const zh =
    `${CHANNEL_ZH[i.channel]}预期价值 ${ev}（回应率 ${rate} × 用户价值 ${value}${sourceZh}）` +
    (escalate
      ? `${costCents === 0 ? '，无成本' : `高于成本 ${costZh}`}，升级`
      : `低于成本 ${costZh}，不升级`);
  const en =
    `${CHANNEL_EN[i.channel]} expected value ${ev} (response rate ${rate} × user value ${value}${sourceEn}) ` +
    (escalate
      ? costCents === 0
        ? 'costs nothing: escalated'
        : `exceeds its cost ${costEn}: escalated`
      : `is below its cost ${costEn}: not escalated`);
  return { escalate, expectedCents, costCents, zh, en };
};
