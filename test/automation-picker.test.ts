import { describe, expect, it } from 'vitest';
import { parseCatalogCsvRows, parseCatalogJson } from '../src/core/recommend/catalog-input.ts';
import {
  itemView,
  pickBestItem,
  type CatalogItem,
  type Interaction,
} from '../src/core/recommend/pick-best-item.ts';
import { parseCsv } from '../src/core/csv/csv-parser.ts';

/** The pure "best item" picker and the catalog upload parser (features.md H2). */

const NOW = Date.UTC(2026, 10, 11, 4);
const DAY = 86_400_000;

const item = (id: string, category: string, over: Partial<CatalogItem> = {}): CatalogItem => ({
  id,
  name: `Item ${id}`,
  category,
  priceCents: 10_000,
  salePriceCents: 8_000,
  saleStartsAt: null,
  saleEndsAt: null,
  inStock: true,
  imageUrl: null,
  landingUrl: `https://shop.example.com/${id}`,
  ...over,
});
const seen = (
  event: string,
  itemId: string | null,
  category: string | null,
  daysAgo: number,
): Interaction => ({
  event,
  itemId,
  category,
  at: NOW - daysAgo * DAY,
});
const pick = (
  catalog: CatalogItem[],
  history: Interaction[],
  extra: { categoryWeights?: Record<string, number> } = {},
) => pickBestItem(catalog, history, { now: NOW, lookbackDays: 30, ...extra })?.item.id ?? null;

describe('best item picker', () => {
  const catalog = [item('shoe-1', 'shoes'), item('bag-1', 'bags'), item('hat-1', 'hats')];

  it('picks from the favourite category; a purchase outweighs a view', () => {
    expect(pick(catalog, [seen('view_item', 'x', 'bags', 1), seen('view_item', 'y', 'bags', 1)])).toBe(
      'bag-1',
    );
    expect(pick(catalog, [seen('view_item', 'x', 'bags', 1), seen('order', 'z', 'shoes', 1)])).toBe('shoe-1');
  });

  it('weights by recency: two old views lose to one recent view', () => {
    const history = [
      seen('view_item', 'x', 'bags', 25),
      seen('view_item', 'x', 'bags', 26),
      seen('view_item', 'y', 'hats', 0),
    ];
    expect(pick(catalog, history)).toBe('hat-1');
    // Outside the lookback window nothing counts.
    expect(pick(catalog, [seen('order', 'x', 'bags', 31)])).toBeNull();
  });

  it('takes the category from the catalog when the event has none; unknown events do not count', () => {
    expect(pick(catalog, [seen('view_item', 'hat-1', null, 1)])).toBe('hat-1');
    expect(pick(catalog, [seen('search', null, 'bags', 1)])).toBeNull();
  });

  it('only items on sale now, in stock, and not bought in the window', () => {
    const history = [seen('view_item', null, 'shoes', 1)];
    const shoes = (over: Partial<CatalogItem>) => [
      item('shoe-1', 'shoes', over),
      item('shoe-2', 'shoes', { salePriceCents: 9_900 }),
    ];
    expect(pick(shoes({ salePriceCents: null }), history)).toBe('shoe-2');
    expect(pick(shoes({ salePriceCents: 10_000 }), history)).toBe('shoe-2');
    expect(pick(shoes({ saleStartsAt: NOW + 1 }), history)).toBe('shoe-2');
    expect(pick(shoes({ saleEndsAt: NOW }), history)).toBe('shoe-2');
    expect(pick(shoes({ saleStartsAt: NOW, saleEndsAt: NOW + DAY }), history)).toBe('shoe-1');
    expect(pick(shoes({ inStock: false }), history)).toBe('shoe-2');
    expect(pick(shoes({}), [...history, seen('order', 'shoe-1', 'shoes', 3)])).toBe('shoe-2');
    // Bought before the window: may be recommended again.
    expect(pick(shoes({}), [...history, seen('order', 'shoe-1', 'shoes', 40)])).toBe('shoe-1');
  });

  it('falls to the next category when the favourite has nothing on sale', () => {
    const c = [item('shoe-1', 'shoes', { salePriceCents: null }), item('bag-1', 'bags')];
    expect(pick(c, [seen('order', 'x', 'shoes', 1), seen('view_item', 'y', 'bags', 1)])).toBe('bag-1');
  });

  it('tie-breaks: the user’s own interest, then the deeper discount, then the lower price, then the id', () => {
    const history = [seen('view_item', null, 'shoes', 1)];
    const a = item('a', 'shoes', { salePriceCents: 5_000 });
    const b = item('b', 'shoes', { salePriceCents: 7_000 });
    expect(pick([b, a], history)).toBe('a');
    expect(pick([a, b], [...history, seen('add_to_cart', 'b', 'shoes', 2)])).toBe('b');
    const cheap = item('c', 'shoes', { priceCents: 1_000, salePriceCents: 500 });
    expect(pick([a, cheap], history)).toBe('c');
    const twin = item('0', 'shoes', { salePriceCents: 5_000 });
    expect(pick([a, twin], history)).toBe('0');
  });

  it('category weights scale interest; zero excludes a category', () => {
    const history = [seen('order', 'x', 'shoes', 1), seen('view_item', 'y', 'bags', 1)];
    expect(pick(catalog, history, { categoryWeights: { bags: 5 } })).toBe('bag-1');
    expect(pick(catalog, history, { categoryWeights: { shoes: 0 } })).toBe('bag-1');
  });

  it('shows templates prices in yuan and the landing URL', () => {
    expect(itemView(item('s', 'shoes', { salePriceCents: 7_990 }), NOW)).toMatchObject({
      name: 'Item s',
      price_yuan: '100.00',
      sale_price_yuan: '79.90',
      discount_percent: 20,
      on_sale: true,
      url: 'https://shop.example.com/s',
    });
  });
});

describe('catalog upload parsing', () => {
  it('JSON: valid rows kept, each problem named by row and field', () => {
    const r = parseCatalogJson([
      { id: 'a', name: 'A', category: 'c', priceCents: 100, landingUrl: 'https://x.example/a' },
      { id: 'b', name: 'B', category: 'c', priceCents: 100, salePriceCents: 200, landingUrl: 'ftp://x' },
      { id: 'a', name: 'A2', category: 'c', priceCents: 1, landingUrl: 'https://x.example/a', colour: 'red' },
      'nope',
    ]);
    expect(r.items.map((i) => i.id)).toEqual(['a']);
    expect(r.errors).toEqual([
      { path: 'items[1].landingUrl', message: 'must be an http(s) URL' },
      { path: 'items[1].salePriceCents', message: 'must not exceed the price' },
      { path: 'items[2].colour', message: 'is not a catalog field' },
      { path: 'items[3]', message: 'must be an object' },
    ]);
  });

  it('JSON: a repeated id is refused after the first', () => {
    const ok = { name: 'A', category: 'c', priceCents: 100, landingUrl: 'https://x.example/a' };
    const r = parseCatalogJson([
      { id: 'a', ...ok },
      { id: 'a', ...ok },
    ]);
    expect(r.items).toHaveLength(1);
    expect(r.errors).toEqual([{ path: 'items[1].id', message: "repeats id 'a'" }]);
  });

  it('CSV: header names, line numbers, times and flags', () => {
    const csv = [
      'id,name,category,price_cents,sale_price_cents,sale_starts_at,sale_ends_at,in_stock,image_url,landing_url',
      's1,Runner,shoes,39900,29900,2026-11-11T00:00:00+08:00,2026-11-12T00:00:00+08:00,true,,https://x.example/s1',
      's2,,shoes,abc,,yesterday,,maybe,,https://x.example/s2',
      's3,"Trail, waterproof",shoes,1000,,,,0,https://img.example/s3.png,https://x.example/s3',
    ].join('\n');
    const r = parseCatalogCsvRows(parseCsv(csv));
    expect(r.items.map((i) => i.id)).toEqual(['s1', 's3']);
    expect(r.items[0]).toMatchObject({ saleStartsAt: Date.UTC(2026, 10, 10, 16), salePriceCents: 29_900 });
    expect(r.items[1]).toMatchObject({ name: 'Trail, waterproof', inStock: false });
    expect(r.errors).toEqual([
      { path: 'line 3: name', message: 'is required' },
      { path: 'line 3: price_cents', message: 'must be a non-negative integer (cents)' },
      {
        path: 'line 3: sale_starts_at',
        message: 'must be an ISO-8601 instant, e.g. 2026-11-11T00:00:00+08:00',
      },
      { path: 'line 3: in_stock', message: 'must be true or false' },
    ]);
  });

  it('CSV: a header without a required column refuses the file', () => {
    const r = parseCatalogCsvRows(parseCsv('id,name,price_cents,landing_url\na,A,1,https://x.example/a'));
    expect(r.items).toEqual([]);
    expect(r.errors).toEqual([{ path: 'line 1', message: "the header lacks the column 'category'" }]);
  });
});
