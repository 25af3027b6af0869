/**
 * SMS length as carriers bill it. A message whose every character is in the GSM 03.38 alphabet
 * travels as GSM-7: 160 septets in one SMS, 153 per part of a long SMS (the rest is the
 * concatenation header); characters of the extension table (`{ } [ ] ~ \ | ^ €`) take two
 * septets, and a part never splits one. Any other character (Chinese, 【】, emoji) makes the
 * whole message UCS-2: 70 UTF-16 units in one SMS, 67 per part, a surrogate pair never split.
 * Chinese vendors count the signature (`【Rekindle】`) as part of the message, and its brackets
 * alone make it UCS-2 — so count `signature + text`, as `smsText` builds it.
 */

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsCount {
  encoding: SmsEncoding;
  /** Characters as people count them (Unicode code points). */
  characters: number;
  /** Septets (GSM-7) or UTF-16 units (UCS-2): what the limits are counted in. */
  units: number;
  segments: number;
  /** Units one SMS of this message can hold: 160 / 153 (GSM-7) or 70 / 67 (UCS-2). */
  perSegment: number;
  /** Units left in the last segment before another one is needed. */
  remaining: number;
}

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENSION = '\f^{}\\[~]|€';

const BASIC = new Set(GSM_BASIC);
const EXTENSION = new Set(GSM_EXTENSION);

export const SMS_LIMITS = {
  'GSM-7': { single: 160, part: 153 },
  'UCS-2': { single: 70, part: 67 },
} as const;

/** The text a Chinese vendor counts and sends: signature first, then the message. */
export const smsText = (signature: string, text: string): string => signature + text;

export const isGsm7 = (text: string): boolean => [...text].every((ch) => BASIC.has(ch) || EXTENSION.has(ch));

export const countSms = (text: string): SmsCount => {
  const chars = [...text];
  const encoding: SmsEncoding = isGsm7(text) ? 'GSM-7' : 'UCS-2';
  const width = (ch: string) => (encoding === 'GSM-7' ? (EXTENSION.has(ch) ? 2 : 1) : ch.length);
  const units = chars.reduce((n, ch) => n + width(ch), 0);
  const { single, part } = SMS_LIMITS[encoding];
  if (units <= single)
    return {
      encoding,
      characters: chars.length,
      units,
      segments: units === 0 ? 0 : 1,
      perSegment: single,
      remaining: single - units,
    };
  // Fill parts greedily; a character that does not fit whole starts the next part.
  let segments = 1;
  let used = 0;
  for (const ch of chars) {
    const w = width(ch);
    if (used + w > part) {
      segments += 1;
      used = 0;
    }
    used += w;
  }
  return { encoding, characters: chars.length, units, segments, perSegment: part, remaining: part - used };
};
