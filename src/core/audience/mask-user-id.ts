import { maskEmail, maskPhone } from './mask.ts';

/**
 * A user id as lists show it: apps often use a phone number or an e-mail address as the id, so
 * one shaped like a contact is masked like one; other ids are kept but for their ends
 * (`u_1234567` → `u_1***67`), enough to recognise, not to look up. Ids of 4 characters or fewer
 * are all stars.
 */
export const maskUserId = (id: string): string => {
  if (id.includes('@')) return maskEmail(id) ?? '';
  if (/^\+?\d{7,15}$/.test(id)) return maskPhone(id) ?? '';
  const chars = [...id];
  if (chars.length <= 4) return '*'.repeat(chars.length);
  return `${chars.slice(0, 3).join('')}***${chars.slice(-2).join('')}`;
};
