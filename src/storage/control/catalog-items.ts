import type { CatalogItem } from '../../core/recommend/pick-best-item.ts';
import { epochMsOrNull } from '../row-values.ts';
import type { SqlClient } from './sql-client.ts';

/** The item catalog in the control plane (migration 011). */

const itemOf = (r: Record<string, unknown>): CatalogItem => ({
  id: String(r['id']),
  name: String(r['name']),
  category: String(r['category']),
  priceCents: Number(r['price_cents']),
  salePriceCents: r['sale_price_cents'] === null ? null : Number(r['sale_price_cents']),
  saleStartsAt: epochMsOrNull(r['sale_starts_at']),
  saleEndsAt: epochMsOrNull(r['sale_ends_at']),
  inStock: r['in_stock'] === true,
  imageUrl: r['image_url'] === null ? null : String(r['image_url']),
  landingUrl: String(r['landing_url']),
});

/** Inserts or replaces items by id, in one statement (an upload is all-or-nothing for its valid rows). */
export const upsertItems = async (
  db: SqlClient,
  ws: string,
  items: readonly CatalogItem[],
  at: number,
): Promise<number> => {
  if (items.length === 0) return 0;
  const col = <T>(f: (i: CatalogItem) => T) => items.map(f);
  const time = (v: number | null) => (v === null ? null : new Date(v).toISOString());
  await db.query(
    `INSERT INTO catalog_items (workspace_id, id, name, category, price_cents, sale_price_cents, sale_starts_at,
                                sale_ends_at, in_stock, image_url, landing_url, updated_at)
     SELECT $1, i, n, c, p, s, ss, se, st, img, url, $12
     FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::timestamptz[], $8::timestamptz[],
                 $9::boolean[], $10::text[], $11::text[]) AS x(i, n, c, p, s, ss, se, st, img, url)
     ON CONFLICT (workspace_id, id) DO UPDATE SET name = excluded.name, category = excluded.category,
       price_cents = excluded.price_cents, sale_price_cents = excluded.sale_price_cents,
       sale_starts_at = excluded.sale_starts_at, sale_ends_at = excluded.sale_ends_at, in_stock = excluded.in_stock,
       image_url = excluded.image_url, landing_url = excluded.landing_url, updated_at = excluded.updated_at`,
    [
      ws,
      col((i) => i.id),
      col((i) => i.name),
      col((i) => i.category),
      col((i) => i.priceCents),
      col((i) => i.salePriceCents),
      col((i) => time(i.saleStartsAt)),
      col((i) => time(i.saleEndsAt)),
      col((i) => i.inStock),
      col((i) => i.imageUrl),
      col((i) => i.landingUrl),
      new Date(at),
    ],
  );
  return items.length;
};

export const listItems = async (
  db: SqlClient,
  ws: string,
  filter: { category?: string | undefined } = {},
): Promise<CatalogItem[]> =>
  (
    await db.query(
      'SELECT * FROM catalog_items WHERE workspace_id = $1 AND ($2::text IS NULL OR category = $2) ORDER BY id',
      [ws, filter.category ?? null],
    )
  ).map(itemOf);

export const deleteItem = async (db: SqlClient, ws: string, id: string): Promise<boolean> =>
  (await db.query('DELETE FROM catalog_items WHERE workspace_id = $1 AND id = $2 RETURNING id', [ws, id]))
    .length > 0;
