import {
  listMatrixVersionsAs,
  previewMatrixAs,
  readMatrixAs,
  updateMatrixAs,
  type MatrixContext,
  type MatrixView,
} from '../../planner/strategy-matrix-service.ts';
import { actorOf } from '../auth/api-auth.ts';
import { errorResponses } from '../schemas/common.ts';
import {
  MatrixAnswer,
  MatrixBody,
  PreviewAnswer,
  PreviewBody,
  VersionsAnswer,
} from '../schemas/strategies-api.ts';
import type { Api } from '../schemas/type-provider.ts';
import { sendOutcome } from './send-outcome.ts';

const security = [{ bearer: [] }];
const tags = ['strategies'];
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const matrixDto = (v: MatrixView) => ({ ...v, updatedAt: iso(v.updatedAt) });

/** The strategy matrix (features.md D6): read, replace (admin), versions, preview. */
export const registerStrategyRoutes = (app: Api, ctx: MatrixContext): void => {
  app.get(
    '/v1/strategies/matrix',
    {
      schema: {
        tags,
        security,
        summary: 'The strategy matrix: ordered cells → recall flow or do-not-disturb (everyone)',
        response: { 200: MatrixAnswer, ...errorResponses },
      },
    },
    async (req, reply) => sendOutcome(reply, await readMatrixAs(ctx, actorOf(req)), matrixDto),
  );
  app.put(
    '/v1/strategies/matrix',
    {
      schema: {
        tags,
        security,
        summary:
          'Replace the strategy matrix; `version` is the one you edited. Flows must be known marketing campaigns (with a ladder unless flowsNeedLadder is false) (admin)',
        body: MatrixBody,
        response: { 200: MatrixAnswer, ...errorResponses },
      },
    },
    async (req, reply) => sendOutcome(reply, await updateMatrixAs(ctx, actorOf(req), req.body), matrixDto),
  );
  app.get(
    '/v1/strategies/matrix/versions',
    {
      schema: {
        tags,
        security,
        summary: 'Saved versions of the strategy matrix, newest first (everyone)',
        response: { 200: VersionsAnswer, ...errorResponses },
      },
    },
    async (req, reply) =>
      sendOutcome(reply, await listMatrixVersionsAs(ctx, actorOf(req)), (versions) => ({
        versions: versions.map((v) => ({ ...v, savedAt: new Date(v.savedAt).toISOString() })),
      })),
  );
  app.post(
    '/v1/strategies/matrix/preview',
    {
      schema: {
        tags,
        security,
        summary:
          'Users per cell now and each flow’s first-step cost for them (channel price + offer), for the stored or a given matrix (everyone)',
        body: PreviewBody,
        response: { 200: PreviewAnswer, ...errorResponses },
      },
    },
    async (req, reply) =>
      sendOutcome(reply, await previewMatrixAs(ctx, actorOf(req), req.body), (p) => ({
        ...p,
        at: new Date(p.at).toISOString(),
      })),
  );
};
