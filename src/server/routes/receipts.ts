import { Type } from '@sinclair/typebox';
import { typed, type Api } from '../schemas/type-provider.ts';
import { isProviderKind } from '../../delivery/providers/provider-kinds.ts';
import { providersOf } from '../../delivery/providers/provider-runtime.ts';
import { getProvider } from '../../storage/control/providers.ts';
import {
  applyReceipts,
  parseReceipts,
  receiptAck,
  receiptVerified,
} from '../../delivery/providers/receipts.ts';
import { openSecrets } from '../../lib/secret-box.ts';
import type { Runtime } from '../../runtime.ts';

/**
 * Delivery receipts from providers: public, but each request must prove it comes from the
 * provider (see `receiptVerified`); anything else is 401 without a hint of which part was wrong.
 * Registered in its own scope: verification needs the raw body, so bodies are kept as text here.
 */
export const registerReceiptRoutes = (app: Api, rt: Runtime): void => {
  void app.register(async (plain) => {
    const scope = typed(plain);
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    scope.post(
      '/v1/receipts/:providerId',
      {
        schema: {
          tags: ['receipts'],
          summary: 'Delivery receipts of one provider (vendor shape, signed or with the callback token)',
          params: Type.Object({ providerId: Type.String({ minLength: 1, maxLength: 64 }) }),
          querystring: Type.Object({ token: Type.Optional(Type.String({ maxLength: 256 })) }),
        },
      },
      async (req, reply) => {
        const { providerId } = req.params;
        const { token } = req.query;
        const raw = typeof req.body === 'string' ? req.body : '';
        const provider = await getProvider(rt.control, providerId);
        const refused = () => reply.code(401).send({ error: 'receipt not verified' });
        if (!provider || !isProviderKind(provider.kind)) return refused();
        const { masterKeys } = providersOf(rt).context;
        const secret = openSecrets(masterKeys, provider.secretsEnc)['receiptSecret'];
        const signature = req.headers['x-rekindle-signature'];
        if (
          !receiptVerified(
            provider.kind,
            typeof secret === 'string' ? secret : undefined,
            raw,
            typeof signature === 'string' ? signature : undefined,
            token,
          )
        )
          return refused();
        let body: unknown;
        try {
          body = JSON.parse(raw) as unknown;
        } catch {
          return reply.code(400).send({ error: 'the body must be JSON' });
        }
        const receipts = parseReceipts(provider.kind, body, rt.clock());
        if (typeof receipts === 'string') return reply.code(400).send({ error: receipts });
        const report = await applyReceipts(
          rt.control,
          { id: provider.id, workspaceId: provider.workspaceId },
          receipts,
          rt.clock(),
        );
        return { ...receiptAck(provider.kind), ...report };
      },
    );
  });
};
