import { Type } from '@sinclair/typebox';
import { CHANNELS } from '../../core/channels/channels.ts';
import { StrategyMatrix } from '../../core/strategies/matrix.ts';

/** The strategy matrix's requests and answers (routes/strategies.ts; the console derives its types). */

export const MatrixAnswer = Type.Object({
  version: Type.Integer({ description: '0: never saved (the empty matrix)' }),
  matrix: StrategyMatrix,
  updatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  shadowed: Type.Array(Type.Integer(), {
    description: 'indices of cells an earlier cell covers entirely: they never match',
  }),
});
export const MatrixBody = Type.Object(
  { version: Type.Integer({ minimum: 0, description: 'the version you edited' }), matrix: StrategyMatrix },
  { additionalProperties: false },
);
export const PreviewBody = Type.Object(
  { matrix: Type.Optional(StrategyMatrix) },
  { additionalProperties: false, description: 'no matrix: the stored one' },
);
const Cents = Type.Integer({ minimum: 0 });
export const PreviewAnswer = Type.Object({
  at: Type.String({ format: 'date-time' }),
  totalUsers: Type.Integer(),
  noCell: Type.Integer({ description: 'users no cell matches' }),
  cells: Type.Array(
    Type.Object({
      index: Type.Integer(),
      id: Type.String(),
      users: Type.Integer({ description: 'users whose first-matching cell this is' }),
      flow: Type.Union([
        Type.Object({
          campaignId: Type.String(),
          name: Type.String(),
          status: Type.String(),
          audienceUsers: Type.Integer({ description: 'of them, in the flow campaign’s audience' }),
          channel: Type.Union(CHANNELS.map((c) => Type.Literal(c))),
          priceCents: Cents,
          cost: Type.Object({ messagesCents: Cents, offersCents: Cents, totalCents: Cents }),
        }),
        Type.Null(),
      ]),
    }),
  ),
});
export const VersionsAnswer = Type.Object({
  versions: Type.Array(
    Type.Object({
      version: Type.Integer(),
      matrix: StrategyMatrix,
      savedAt: Type.String({ format: 'date-time' }),
      savedBy: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
});
