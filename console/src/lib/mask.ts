/**
 * Contacts shown in the console are masked by the server; these helpers mask again anything
 * that reaches the page unmasked (defence in depth) with the same shapes: 138****8000, l***@example.com.
 */
export const maskPhone = (phone: string): string => {
  if (phone.includes('*')) return phone;
  const digits = phone.replace(/\s+/g, '');
  if (digits.length < 7) return '*'.repeat(digits.length);
  return `${digits.slice(0, 3)}****${digits.slice(-4)}`;
};

export const maskEmail = (email: string): string => {
  if (email.includes('*')) return email;
  const at = email.indexOf('@');
  if (at <= 0) return '***';
  return `${email.slice(0, 1)}***${email.slice(at)}`;
};
