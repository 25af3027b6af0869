import type { FastifyInstance } from 'fastify';
import { buildServer } from '../server/app.ts';
import type { Runtime } from '../runtime.ts';
import { startCampaignScheduler } from '../campaigns/scheduler.ts';
import { startScoreSchedule } from '../scores/schedule.ts';

/** Starts the HTTP server and stops it cleanly on SIGINT/SIGTERM (drain, then close the stores). */
export const serve = async (rt: Runtime): Promise<FastifyInstance> => {
  const app = buildServer(rt);
  const address = await app.listen({ host: rt.config.host, port: rt.config.port });
  process.stdout.write(`Rekindle listening on ${address}\n`);
  const scoring = startScoreSchedule(rt, { everyMinutes: rt.config.scoreEveryMinutes, log: app.log });
  const planner = startCampaignScheduler(rt, {
    pollSeconds: rt.config.plannerPollSeconds,
    triggerPollMs: rt.config.triggerPollMs,
    log: app.log,
  });
  // Triggered campaigns look at new events as soon as a commit stores them, not only on the poll.
  rt.ingest.onCommit(() => planner.afterCommit());
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: stopping\n`);
    await planner.stop();
    await scoring.stop();
    await app.close();
    await rt.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  return app;
};
