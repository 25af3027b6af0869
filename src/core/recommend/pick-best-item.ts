import { DAY_MS } from '../time/units.ts';

/**
 * The "best item" picker (features.md H2), pure. For one user:
 *  1. interest per category: each purchase or view in the lookback window adds its event weight
 *     (order 3, add_to_cart 2, favorite 2, view_item 1), halved every `halfLifeDays` of age
 *     (recent interest counts more), times the campaign's category weight (default 1);
 *  2. candidates: catalog items in stock, on sale now (a sale price below the list price, inside
 *     its window), not bought by the user in the lookback window, in a category with interest;
 *  3. the best: the highest category interest; ties → the user's own interest in the item
 *     (viewed, carted), then the deeper discount, then the lower sale price, then the item id,
 *     so the same inputs always give the same pick.
 */

export interface CatalogItem {
  id: string;
  name: string;
  category: string;
  priceCents: number;
  salePriceCents: number | null;
  saleStartsAt: number | null;
  saleEndsAt: number | null;
  inStock: boolean;
  imageUrl: string | null;
  landingUrl: string;
}

export interface Interaction {
  event: string;
  itemId: string | null;
  /** The event's own category; else the catalog's for its item. */
  category: string | null;
  at: number;
}

export const DEFAULT_EVENT_WEIGHTS: Readonly<Record<string, number>> = {
  order: 3,
  add_to_cart: 2,
  favorite: 2,
  view_item: 1,
};
export const PURCHASE_EVENTS: ReadonlySet<string> = new Set(['order']);

export interface PickOptions {
  now: number;
  lookbackDays: number;
  categoryWeights?: Readonly<Record<string, number>> | undefined;
  /** Default: a third of the lookback window. */
  halfLifeDays?: number;
  eventWeights?: Readonly<Record<string, number>>;
}

export interface Pick {
  item: CatalogItem;
  category: string;
  /** The category's interest score that won. */
  score: number;
}

export const onSaleAt = (item: CatalogItem, now: number): boolean =>
  item.salePriceCents !== null &&
  item.salePriceCents < item.priceCents &&
  (item.saleStartsAt === null || item.saleStartsAt <= now) &&
  (item.saleEndsAt === null || now < item.saleEndsAt);

const discount = (i: CatalogItem): number =>
  i.priceCents === 0 ? 0 : (i.priceCents - (i.salePriceCents ?? i.priceCents)) / i.priceCents;

export const pickBestItem = (
  catalog: readonly CatalogItem[],
  history: readonly Interaction[],
  o: PickOptions,
): Pick | null => {
  const byId = new Map(catalog.map((i) => [i.id, i]));
  const weights = o.eventWeights ?? DEFAULT_EVENT_WEIGHTS;
  const halfLife = (o.halfLifeDays ?? o.lookbackDays / 3) * DAY_MS;
  const since = o.now - o.lookbackDays * DAY_MS;
  const categoryScore = new Map<string, number>();
  const itemScore = new Map<string, number>();
  const bought = new Set<string>();
  for (const h of history) {
    if (h.at < since || h.at > o.now) continue;
    if (h.itemId !== null && PURCHASE_EVENTS.has(h.event)) bought.add(h.itemId);
    const w = weights[h.event];
    if (w === undefined || w <= 0) continue;
    const category = h.category ?? (h.itemId === null ? undefined : byId.get(h.itemId)?.category);
    if (category === undefined) continue;
    const recency = 0.5 ** ((o.now - h.at) / halfLife);
    const s = w * recency * (o.categoryWeights?.[category] ?? 1);
    categoryScore.set(category, (categoryScore.get(category) ?? 0) + s);
    if (h.itemId !== null) itemScore.set(h.itemId, (itemScore.get(h.itemId) ?? 0) + w * recency);
  }
  let best: Pick | null = null;
  let bestOwn = 0;
  for (const item of catalog) {
    const score = categoryScore.get(item.category) ?? 0;
    if (score <= 0 || !item.inStock || !onSaleAt(item, o.now) || bought.has(item.id)) continue;
    const own = itemScore.get(item.id) ?? 0;
    if (best === null || better(item, score, own, best.item, best.score, bestOwn)) {
      best = { item, category: item.category, score };
      bestOwn = own;
    }
  }
  return best;
};

const better = (a: CatalogItem, sa: number, oa: number, b: CatalogItem, sb: number, ob: number): boolean => {
  if (sa !== sb) return sa > sb;
  if (oa !== ob) return oa > ob;
  const da = discount(a);
  const db = discount(b);
  if (da !== db) return da > db;
  const pa = a.salePriceCents ?? a.priceCents;
  const pb = b.salePriceCents ?? b.priceCents;
  if (pa !== pb) return pa < pb;
  return a.id < b.id;
};

const yuan = (cents: number): string => (cents / 100).toFixed(2);

/** What templates see as `item`. */
export const itemView = (item: CatalogItem, now: number): Record<string, unknown> => {
  const sale = onSaleAt(item, now) ? item.salePriceCents : null;
  return {
    id: item.id,
    name: item.name,
    category: item.category,
    price_yuan: yuan(item.priceCents),
    sale_price_yuan: yuan(sale ?? item.priceCents),
    on_sale: sale !== null,
    discount_percent: sale === null ? 0 : Math.round(discount(item) * 100),
    sale_ends_at: item.saleEndsAt === null ? null : new Date(item.saleEndsAt).toISOString(),
    image_url: item.imageUrl,
    url: item.landingUrl,
  };
};
