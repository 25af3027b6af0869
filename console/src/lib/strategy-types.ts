import type { Static } from '@sinclair/typebox';
import type { StrategyCell, StrategyMatrix } from '../../../src/core/strategies/matrix.ts';
import type { MatrixAnswer, PreviewAnswer } from '../../../src/server/schemas/strategies-api.ts';

/** The strategy matrix's answers as the editor reads them (type-only: erased by the build). */
export type { StrategyCell, StrategyMatrix };
/** `GET /v1/strategies/matrix`, `PUT /v1/strategies/matrix`. */
export type MatrixAnswer = Static<typeof MatrixAnswer>;
/** `POST /v1/strategies/matrix/preview`. */
export type MatrixPreview = Static<typeof PreviewAnswer>;
export type CellPreview = MatrixPreview['cells'][number];
