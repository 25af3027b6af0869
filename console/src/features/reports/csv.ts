/**
 * Report tables as CSV files an operator opens in Excel: UTF-8 with a byte order mark (without it
 * Excel reads Chinese as the system code page and shows mojibake), the column titles as the
 * page shows them, CRLF line ends, money as plain yuan with two decimals (`plainYuan`). Cells
 * that a spreadsheet would run as a formula (=, +, -, @ in front of text) are quoted with a
 * leading apostrophe; numbers (and percentages such as -100.0%) are left alone.
 */

export interface CsvColumn<R> {
  title: string;
  value: (row: R) => string | number | null | undefined;
}

export const BOM = '\uFEFF';

const FORMULA = /^[=+\-@\t\r]/;
const NUMBER = /^-?\d+(\.\d+)?%?$/;

const cell = (v: string | number | null | undefined): string => {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  const s = FORMULA.test(v) && !NUMBER.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export const toCsv = <R>(columns: readonly CsvColumn<R>[], rows: readonly R[]): string =>
  BOM +
  [
    columns.map((c) => cell(c.title)).join(','),
    ...rows.map((r) => columns.map((c) => cell(c.value(r))).join(',')),
  ]
    .map((line) => `${line}\r\n`)
    .join('');

/** A file name for an export: its name, and the period when it has one ("周期报表_2026-12-01_2026-12-07.csv"). */
export const csvFileName = (base: string, from?: string, to?: string): string =>
  `${[base, from, to]
    .filter((p) => p !== undefined && p !== '')
    .join('_')
    .replace(/[\\/:*?"<>|]/g, '-')}.csv`;
