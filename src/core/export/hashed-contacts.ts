import { createHash } from 'node:crypto';
import { toE164 } from '../channels/phone.ts';

/**
 * Contacts hashed for ad platforms' customer-match uploads (Google Ads Customer Match, Meta
 * custom audiences, Tencent Ads audiences): SHA-256, lower-case hex, of a normalised form, so
 * the platform can match without receiving the contact. A contact that is not valid yields
 * null (an empty cell), never an error: one bad record must not stop a million-row export.
 */

const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** One `@`, something on both sides, no spaces inside: enough to refuse what is plainly not an address. */
const EMAIL = /^[^\s@]+@[^\s@]+$/;

/** The e-mail as the platforms hash it: trimmed and lower-cased; null when it is not an address. */
export const normalizedEmail = (raw: unknown): string | null => {
  if (typeof raw !== 'string') return null;
  const e = raw.normalize('NFKC').trim().toLowerCase();
  return EMAIL.test(e) ? e : null;
};

/**
 * The phone in E.164 with `+` (`+8613812345678`): the form Google's Customer Match hashes.
 * Written forms are read as ingestion reads them (`13812345678`, `+86 138-1234-5678`,
 * `008613812345678`, full-width digits); numbers without a country prefix are mainland China.
 */
export const normalizedPhone = (raw: unknown): string | null => {
  if (raw === null || raw === undefined) return null;
  const e = toE164(raw);
  return e.ok ? e.value : null;
};

export const emailSha256 = (raw: unknown): string | null => {
  const e = normalizedEmail(raw);
  return e === null ? null : sha256Hex(e);
};

export const phoneSha256 = (raw: unknown): string | null => {
  const p = normalizedPhone(raw);
  return p === null ? null : sha256Hex(p);
};
