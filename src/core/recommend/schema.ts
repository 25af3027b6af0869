import { Type, type Static } from '@sinclair/typebox';

/**
 * A campaign's recommendation (features.md H2): each recipient's best item from the catalog, exposed to
 * templates as `item` (`{{ item.name }}`, `{{ item.sale_price_yuan }}`, `{{ item.url }}`).
 */
export const BestItemRecommendation = Type.Object(
  {
    kind: Type.Literal('best_item'),
    lookbackDays: Type.Integer({
      minimum: 1,
      maximum: 365,
      description: 'history considered: purchases and views in the last N days',
    }),
    categoryWeights: Type.Optional(
      Type.Record(Type.String({ minLength: 1, maxLength: 100 }), Type.Number({ minimum: 0, maximum: 100 }), {
        description: 'multiplies a category’s interest (0 excludes it; a category not listed weighs 1)',
      }),
    ),
    fallbackItemId: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: 'sent to users without a pick; absent: they are skipped (no_recommendation)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type BestItemRecommendation = Static<typeof BestItemRecommendation>;
