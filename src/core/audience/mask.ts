/**
 * Contacts shown in previews are masked: enough to recognise a record, not enough to use it.
 * Phones keep the first 3 and last 4 characters (`13812348000` → `138****8000`); shorter ones
 * keep only the last 2. Mainland numbers stored in E.164 are masked in their national form
 * (`+8613812348000` → `138****8000`), as operators in China read them and as numbers stored
 * before ingestion wrote E.164 look. Emails keep the first character of the local part and the
 * domain (`lisa@example.com` → `l***@example.com`).
 */
export const maskPhone = (phone: string | null | undefined): string | null => {
  if (phone === null || phone === undefined || phone === '') return null;
  const chars = [...(/^\+861\d{10}$/.test(phone) ? phone.slice(3) : phone)];
  if (chars.length >= 9)
    return chars.slice(0, 3).join('') + '*'.repeat(chars.length - 7) + chars.slice(-4).join('');
  if (chars.length > 2) return '*'.repeat(chars.length - 2) + chars.slice(-2).join('');
  return '*'.repeat(chars.length);
};

export const maskEmail = (email: string | null | undefined): string | null => {
  if (email === null || email === undefined || email === '') return null;
  const at = email.lastIndexOf('@');
  if (at <= 0) return `${[...email][0] ?? ''}***`;
  const first = [...email.slice(0, at)][0] ?? '';
  return `${first}***${email.slice(at)}`;
};
