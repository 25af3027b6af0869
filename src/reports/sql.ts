/** Small helpers shared by the reports' arithmetic (their queries live in storage/warehouse). */

export const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
export const ms = (v: unknown): number => (v instanceof Date ? v.getTime() : Number(new Date(String(v))));
export const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);
export const yuan = (x: number): number => Math.round(x * 100) / 100;
