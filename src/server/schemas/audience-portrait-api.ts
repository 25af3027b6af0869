import { Type, type Static } from '@sinclair/typebox';
import { MAX_PORTRAIT_TOP, PORTRAIT_DIMENSIONS } from '../../core/audience/portrait-sql.ts';
import { documentedAs } from './common.ts';

const Top = Type.Integer({
  minimum: 1,
  maximum: MAX_PORTRAIT_TOP,
  default: 8,
  description: 'the largest values listed per dimension; the rest are summed as `other`',
});

export const PortraitQuery = Type.Object({ top: Type.Optional(Top) }, { additionalProperties: false });
export type PortraitQuery = Static<typeof PortraitQuery>;

export const PortraitBody = Type.Object(
  {
    definition: documentedAs('AudienceNode', 'the audience tree (see the AudienceNode schema)'),
    top: Type.Optional(Top),
  },
  { additionalProperties: false },
);
export type PortraitBody = Static<typeof PortraitBody>;

export const Portrait = Type.Object({
  count: Type.Integer({ description: 'members now; every dimension sums to it' }),
  asOf: Type.String({ format: 'date-time' }),
  top: Type.Integer(),
  dimensions: Type.Array(
    Type.Object({
      dimension: Type.Union(PORTRAIT_DIMENSIONS.map((d) => Type.Literal(d))),
      buckets: Type.Array(
        Type.Object({
          bucket: Type.Union([Type.Literal('value'), Type.Literal('other'), Type.Literal('unknown')], {
            description: 'one value, the rest together, or members without a value (not scored)',
          }),
          value: Type.Union([Type.String(), Type.Null()]),
          users: Type.Integer(),
        }),
        { description: 'largest first; `other` and `unknown` last' },
      ),
    }),
  ),
});
export type PortraitDto = Static<typeof Portrait>;
