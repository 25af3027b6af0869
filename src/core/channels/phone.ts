import { err, ok, type Result } from '../result.ts';

/**
 * Phone numbers are stored in E.164 (`+8613812345678`) and written in each vendor's own format
 * only when a message goes out. Numbers without a country prefix are read as mainland China
 * numbers, the way Chinese apps and CRMs write them; other countries need `+` or `00`.
 *
 * Errors are sentences an operator can act on; they never repeat the number (it is personal data
 * and ends up in ingestion reports and logs).
 */

const CHINA = '86';
/** A mainland mobile number: 11 digits, 13x–19x (the 10x–12x ranges are not mobile). */
const CN_MOBILE = /^1[3-9]\d{9}$/;
/** A mainland landline with its area code, trunk `0` dropped: 010 12345678 → 1012345678. */
const CN_LANDLINE = /^[1-9]\d{8,10}$/;
/** E.164: a country code (never 0…) and at most 15 digits in all; 7 is the shortest in use. */
const E164_DIGITS = /^[1-9]\d{6,14}$/;
/** What people put between digits: spaces (any width), dashes, dots, brackets, slashes. */
const SEPARATORS = /[\s\-.()/\u00a0\u3000]/g;

const NOT_DIGITS =
  'may hold only digits, spaces, dashes, dots and brackets, with + or 00 before a country code';
const NOT_MAINLAND =
  'is not a mainland China number (11 digits starting with 13 to 19, or a landline with its 0 area code); write other countries with + or 00 and the country code';
const BAD_CHINA =
  'is not a valid China number: a mobile has 11 digits starting with 13 to 19, a landline 9 to 11 digits with its area code';
const BAD_INTERNATIONAL =
  'is not an international number: after + or 00 must come a country code and number: 7 to 15 digits, not starting with 0';

/** The national significant number after +86 (a trunk 0 some people keep, +86 (0)10…, is dropped). */
const chinaNumber = (national: string): Result<string, string> => {
  const n = national.startsWith('0') ? national.slice(1) : national;
  if (n.length === 11 && n.startsWith('1')) return CN_MOBILE.test(n) ? ok(`+86${n}`) : err(BAD_CHINA);
  return CN_LANDLINE.test(n) ? ok(`+86${n}`) : err(BAD_CHINA);
};

const international = (digits: string): Result<string, string> => {
  if (!E164_DIGITS.test(digits)) return err(BAD_INTERNATIONAL);
  return digits.startsWith(CHINA) ? chinaNumber(digits.slice(CHINA.length)) : ok(`+${digits}`);
};

/** A number written without `+`/`00`: mainland national, or 86 + mobile (`8613812345678`). */
const national = (digits: string): Result<string, string> => {
  if (digits.length === 13 && digits.startsWith(`${CHINA}1`)) return chinaNumber(digits.slice(2));
  if (digits.startsWith('0')) return chinaNumber(digits);
  if (digits.length === 11 && CN_MOBILE.test(digits)) return ok(`+86${digits}`);
  return err(NOT_MAINLAND);
};

/**
 * A phone number as people write it → E.164, or why it is not one. Full-width digits and `＋`
 * (Chinese input methods) count as their ASCII forms.
 */
export const toE164 = (raw: unknown): Result<string, string> => {
  const text =
    typeof raw === 'string'
      ? raw
      : typeof raw === 'number' && Number.isSafeInteger(raw) && raw > 0
        ? String(raw)
        : undefined;
  if (text === undefined) return err('must be a phone number, as text or digits');
  const s = text.normalize('NFKC').replace(SEPARATORS, '');
  if (s === '') return err('must be a phone number, not blank');
  if (!/^\+?\d+$/.test(s)) return err(NOT_DIGITS);
  if (s.startsWith('+')) return international(s.slice(1));
  if (s.startsWith('00')) return international(s.slice(2));
  return national(s);
};

/** Where a number goes out; each vendor documents its own format. */
export type PhoneFormat = 'aliyun' | 'tencent' | 'sms_http' | 'call_list';

/**
 * An E.164 number in a vendor's format. Aliyun Dysms: mainland numbers as their 11 national
 * digits, international / HK / MO / TW numbers as country code + number with no `+` or `00`
 * (`85212345678`). Tencent SMS, the generic gateway and the call list: E.164 with `+`.
 */
export const formatPhone = (e164: string, format: PhoneFormat): string => {
  if (format !== 'aliyun') return e164;
  return e164.startsWith(`+${CHINA}`) ? e164.slice(1 + CHINA.length) : e164.slice(1);
};

/** Any written form → the vendor's format, or why the number is not valid. */
export const phoneFor = (raw: unknown, format: PhoneFormat): Result<string, string> => {
  const e = toE164(raw);
  return e.ok ? ok(formatPhone(e.value, format)) : e;
};
