import { phoneFor, type PhoneFormat } from '../../../core/channels/phone.ts';
import type { OutgoingMessage } from '../../../core/delivery/message.ts';
import type { SmsContent } from '../../../core/content/schema.ts';
import type { ParamSource } from '../provider-kinds.ts';
import { failed, maskPhone, type Failed } from './http-outcome.ts';

/**
 * The recipient's number in the vendor's format. Normalised again here, not only at ingestion:
 * numbers stored before ingestion wrote E.164 (`8613812345678`, `008613812345678`) must still go
 * out right, and one that is no number at all is dead now rather than a vendor error later.
 */
export const recipientPhone = (m: OutgoingMessage, format: PhoneFormat): string | Failed => {
  const phone = m.recipient.phone;
  if (!phone) return failed('never', 'no_address', 'the user has no phone number');
  const p = phoneFor(phone, format);
  return p.ok ? p.value : failed('never', 'invalid_number', `the number ${maskPhone(phone)} ${p.error}`);
};

/** The SMS content and the phone (in `format`) of a message, or why it cannot go out as an SMS. */
export const smsParts = (
  m: OutgoingMessage,
  format: PhoneFormat,
): { phone: string; content: SmsContent } | Failed => {
  if (m.content.channel !== 'sms')
    return failed('never', 'wrong_channel', `an sms provider got ${m.content.channel} content`);
  const phone = recipientPhone(m, format);
  if (typeof phone !== 'string') return phone;
  return { phone, content: m.content };
};

/** Vendors with registered signatures want the name without the brackets: 【Rekindle】 → Rekindle. */
export const bareSignature = (signature: string): string => signature.replace(/^[【[]|[】\]]$/g, '');

export const paramValue = (source: ParamSource, m: OutgoingMessage, text: string): string =>
  source === 'text' ? text : source === 'user_id' ? m.recipient.userId : source.literal;
