import type { CatalogItem } from './pick-best-item.ts';

/**
 * Catalog uploads (features.md H2), pure: JSON objects or CSV rows → items, with every problem of every
 * row reported (`items[3].salePriceCents`, `line 5: sale_price_cents`), so one bad row does not
 * hide the next. Valid rows are taken even when others fail. Money is integer cents; times ISO-8601.
 */

export interface RowProblem {
  /** `items[2].name` (JSON) or `line 4: name` (CSV). */
  path: string;
  message: string;
}

export interface ParsedCatalog {
  items: CatalogItem[];
  errors: RowProblem[];
}

/** Field names: JSON camelCase ↔ CSV snake_case. */
const FIELDS = [
  ['id', 'id'],
  ['name', 'name'],
  ['category', 'category'],
  ['priceCents', 'price_cents'],
  ['salePriceCents', 'sale_price_cents'],
  ['saleStartsAt', 'sale_starts_at'],
  ['saleEndsAt', 'sale_ends_at'],
  ['inStock', 'in_stock'],
  ['imageUrl', 'image_url'],
  ['landingUrl', 'landing_url'],
] as const;
type Field = (typeof FIELDS)[number][0];

const MAX_TEXT = 500;

const isWeb = (s: string): boolean => {
  try {
    const u = new URL(s);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
};

/**
 * One item from loosely typed values (JSON values, or CSV text). `name(f)` says how to name a
 * field in an error. Empty strings and null are "absent".
 */
const itemOf = (
  get: (f: Field) => unknown,
  name: (f: Field) => string,
  problems: RowProblem[],
): CatalogItem | null => {
  const before = problems.length;
  const bad = (f: Field, message: string): null => {
    problems.push({ path: name(f), message });
    return null;
  };
  const present = (f: Field) => {
    const v = get(f);
    return v === undefined || v === null || v === '' ? undefined : v;
  };
  const text = (f: Field, required: boolean): string | null => {
    const v = present(f);
    if (v === undefined) {
      if (required) bad(f, 'is required');
      return null;
    }
    if (typeof v !== 'string') return bad(f, 'must be text');
    if (v.length > MAX_TEXT) return bad(f, `must be at most ${MAX_TEXT} characters`);
    return v;
  };
  const cents = (f: Field, required: boolean): number | null => {
    const v = present(f);
    if (v === undefined) {
      if (required) bad(f, 'is required');
      return null;
    }
    const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
      return bad(f, 'must be a non-negative integer (cents)');
    return n;
  };
  const time = (f: Field): number | null => {
    const v = present(f);
    if (v === undefined) return null;
    const t = typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v) ? Date.parse(v) : NaN;
    if (Number.isNaN(t)) return bad(f, 'must be an ISO-8601 instant, e.g. 2026-11-11T00:00:00+08:00');
    return t;
  };
  const bool = (f: Field): boolean => {
    const v = present(f);
    if (v === undefined || v === true || v === 'true' || v === '1') return true;
    if (v === false || v === 'false' || v === '0') return false;
    bad(f, 'must be true or false');
    return true;
  };
  const url = (f: Field, required: boolean): string | null => {
    const v = text(f, required);
    if (v !== null && !isWeb(v)) return bad(f, 'must be an http(s) URL');
    return v;
  };
  const id = text('id', true);
  if (id !== null && !/^[A-Za-z0-9._:-]{1,100}$/.test(id))
    bad('id', 'must be 1–100 letters, digits, . _ : -');
  const item = {
    id: id ?? '',
    name: text('name', true) ?? '',
    category: text('category', true) ?? '',
    priceCents: cents('priceCents', true) ?? 0,
    salePriceCents: cents('salePriceCents', false),
    saleStartsAt: time('saleStartsAt'),
    saleEndsAt: time('saleEndsAt'),
    inStock: bool('inStock'),
    imageUrl: url('imageUrl', false),
    landingUrl: url('landingUrl', true) ?? '',
  };
  if (item.salePriceCents !== null && item.salePriceCents > item.priceCents)
    bad('salePriceCents', 'must not exceed the price');
  if (item.saleStartsAt !== null && item.saleEndsAt !== null && item.saleEndsAt <= item.saleStartsAt)
    bad('saleEndsAt', 'must be after saleStartsAt');
  return problems.length === before ? item : null;
};

const duplicates = (items: CatalogItem[], where: (i: number) => string, errors: RowProblem[]) => {
  const seen = new Set<string>();
  return items.filter((it, i) => {
    if (!seen.has(it.id)) {
      seen.add(it.id);
      return true;
    }
    errors.push({ path: where(i), message: `repeats id '${it.id}'` });
    return false;
  });
};

export const parseCatalogJson = (rows: readonly unknown[]): ParsedCatalog => {
  const errors: RowProblem[] = [];
  const items: CatalogItem[] = [];
  const at: number[] = [];
  rows.forEach((raw, i) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      errors.push({ path: `items[${i}]`, message: 'must be an object' });
      return;
    }
    const o = raw as Record<string, unknown>;
    const known = new Set<string>(FIELDS.map(([f]) => f));
    const unknown = Object.keys(o).filter((k) => !known.has(k));
    for (const k of unknown) errors.push({ path: `items[${i}].${k}`, message: 'is not a catalog field' });
    const item = itemOf(
      (f) => o[f],
      (f) => `items[${i}].${f}`,
      errors,
    );
    if (item && unknown.length === 0) {
      items.push(item);
      at.push(i);
    }
  });
  return { items: duplicates(items, (k) => `items[${at[k] ?? k}].id`, errors), errors };
};

/** CSV with a header row of the snake_case names (`id,name,category,price_cents,…`). */
export const parseCatalogCsvRows = (
  rows: readonly { line: number; fields: string[]; error?: string }[],
): ParsedCatalog => {
  const errors: RowProblem[] = [];
  const [header, ...body] = rows;
  if (!header)
    return { items: [], errors: [{ path: 'line 1', message: 'the file is empty; expected a header row' }] };
  const column = new Map(header.fields.map((h, i) => [h.trim(), i]));
  const known = new Set<string>(FIELDS.map(([, c]) => c));
  for (const h of column.keys())
    if (!known.has(h)) errors.push({ path: `line ${header.line}: ${h}`, message: 'is not a catalog column' });
  for (const [, c] of FIELDS.filter(([f]) =>
    ['id', 'name', 'category', 'priceCents', 'landingUrl'].includes(f),
  ))
    if (!column.has(c))
      errors.push({ path: `line ${header.line}`, message: `the header lacks the column '${c}'` });
  if (errors.length > 0) return { items: [], errors };
  const csvName = new Map<Field, string>(FIELDS.map(([f, c]) => [f, c]));
  const items: CatalogItem[] = [];
  const lines: number[] = [];
  for (const r of body) {
    if (r.error) {
      errors.push({ path: `line ${r.line}`, message: r.error });
      continue;
    }
    const item = itemOf(
      (f) => {
        const i = column.get(csvName.get(f) ?? '');
        return i === undefined ? undefined : r.fields[i];
      },
      (f) => `line ${r.line}: ${csvName.get(f) ?? f}`,
      errors,
    );
    if (item) {
      items.push(item);
      lines.push(r.line);
    }
  }
  return { items: duplicates(items, (k) => `line ${lines[k] ?? 0}: id`, errors), errors };
};
