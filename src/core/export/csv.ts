/**
 * RFC 4180 CSV for exports that people open in spreadsheets. A cell that a spreadsheet would
 * run as a formula (starts with `=`, `@`, a tab or CR, or `+`/`-` not followed by a digit) gets a
 * leading `'` (OWASP's CSV-injection advice); phone numbers such as `+8613800000000` and
 * negative amounts are left alone because they are data, not formulas.
 */
const FORMULA = /^(?:[=@\t\r]|[+-](?![\d.]))/;
const NEEDS_QUOTES = /[",\r\n]/;

export const csvCell = (value: unknown): string => {
  if (value === null || value === undefined) return '';
  let text: string;
  if (value instanceof Date) text = value.toISOString();
  else if (typeof value === 'object') text = JSON.stringify(value);
  else text = String(value);
  if (FORMULA.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

export const csvLine = (values: readonly unknown[]): string => `${values.map(csvCell).join(',')}\r\n`;
