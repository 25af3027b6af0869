import type { FastifyInstance } from 'fastify';
import { buildServer } from '../server/app.ts';
import type { Runtime } from '../runtime.ts';

/** Starts the HTTP server and stops it cleanly on SIGINT/SIGTERM (drain, then close the stores). */
export const serve = async (rt: Runtime): Promise<FastifyInstance> => {
  const app = buildServer(rt);
  const address = await app.listen({ host: rt.config.host, port: rt.config.port });
  process.stdout.write(`Rekindle listening on ${address}\n`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: stopping\n`);
    await app.close();
    await rt.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  return app;
};
