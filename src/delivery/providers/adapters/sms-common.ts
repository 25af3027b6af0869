import type { OutgoingMessage } from '../../../core/delivery/message.ts';
import type { SmsContent } from '../../../core/content/schema.ts';
import type { ParamSource } from '../provider-kinds.ts';
import { failed, type Failed } from './http-outcome.ts';

/** The SMS content and phone of a message, or why it cannot go out as an SMS. */
export const smsParts = (m: OutgoingMessage): { phone: string; content: SmsContent } | Failed => {
  if (m.content.channel !== 'sms')
    return failed('never', 'wrong_channel', `an sms provider got ${m.content.channel} content`);
  const phone = m.recipient.phone;
  if (!phone) return failed('never', 'no_address', 'the user has no phone number');
  return { phone, content: m.content };
};

/** Vendors with registered signatures want the name without the brackets: 【Rekindle】 → Rekindle. */
export const bareSignature = (signature: string): string => signature.replace(/^[【[]|[】\]]$/g, '');

export const paramValue = (source: ParamSource, m: OutgoingMessage, text: string): string =>
  source === 'text' ? text : source === 'user_id' ? m.recipient.userId : source.literal;
