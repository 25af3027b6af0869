import { Type } from '@sinclair/typebox';
import { typed, type Api } from '../schemas/type-provider.ts';
import {
  deleteCatalogItemAs,
  listCatalogAs,
  uploadCatalogAs,
  type CatalogContext,
} from '../../automation/catalog-service.ts';
import type { CatalogItem } from '../../core/recommend/pick-best-item.ts';
import { actorOf } from '../auth/api-auth.ts';
import { errorResponses } from '../schemas/common.ts';
import { sendOutcome } from './send-outcome.ts';

const security = [{ bearer: [] }];
const tags = ['catalog'];
const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const ItemDto = Type.Object({
  id: Type.String(),
  name: Type.String(),
  category: Type.String(),
  priceCents: Type.Integer(),
  salePriceCents: Type.Union([Type.Integer(), Type.Null()]),
  saleStartsAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  saleEndsAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  inStock: Type.Boolean(),
  imageUrl: Type.Union([Type.String(), Type.Null()]),
  landingUrl: Type.String(),
});
const itemDto = (i: CatalogItem) => ({
  ...i,
  saleStartsAt: isoOrNull(i.saleStartsAt),
  saleEndsAt: isoOrNull(i.saleEndsAt),
});

const UploadReport = Type.Object({
  stored: Type.Integer({ description: 'items inserted or replaced' }),
  errors: Type.Array(Type.Object({ path: Type.String(), message: Type.String() }), {
    description: 'problems of the refused rows; the valid rows are stored anyway',
  }),
});

/** The item catalog for recommendations (features.md H2). */
export const registerCatalogRoutes = (app: Api, ctx: CatalogContext): void => {
  app.get(
    '/v1/catalog/items',
    {
      schema: {
        tags,
        security,
        summary: 'Catalog items, by id',
        querystring: Type.Object({ category: Type.Optional(Type.String({ maxLength: 500 })) }),
        response: { 200: Type.Object({ items: Type.Array(ItemDto) }), ...errorResponses },
      },
    },
    async (req, reply) =>
      sendOutcome(reply, await listCatalogAs(ctx, actorOf(req), req.query), (items) => ({
        items: items.map(itemDto),
      })),
  );

  app.delete(
    '/v1/catalog/items/:id',
    {
      schema: {
        tags,
        security,
        summary: 'Remove an item (operator, admin)',
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) }),
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (req, reply) =>
      sendOutcome(reply, await deleteCatalogItemAs(ctx, actorOf(req), req.params.id), () => null, 204),
  );

  // CSV bodies are parsed here only: the rest of the API takes JSON.
  void app.register(async (plain) => {
    const scope = typed(plain);
    scope.addContentTypeParser('text/csv', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    scope.post(
      '/v1/catalog/items',
      {
        schema: {
          tags,
          security,
          summary:
            'Upload items (insert or replace by id): JSON `{"items": [...]}` or a CSV file (`content-type: text/csv`, header `id,name,category,price_cents,sale_price_cents,sale_starts_at,sale_ends_at,in_stock,image_url,landing_url`); per-row errors (operator, admin)',
          body: Type.Union([
            Type.Object(
              { items: Type.Array(Type.Unknown(), { maxItems: 50_000 }) },
              { additionalProperties: false },
            ),
            Type.String({ description: 'CSV text' }),
          ]),
          response: { 200: UploadReport, ...errorResponses },
        },
      },
      async (req, reply) => {
        const input =
          typeof req.body === 'string'
            ? { format: 'csv' as const, text: req.body }
            : { format: 'json' as const, items: req.body.items };
        return sendOutcome(reply, await uploadCatalogAs(ctx, actorOf(req), input), (r) => r);
      },
    );
  });
};
