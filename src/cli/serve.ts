import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../server/app.ts';
import type { Runtime } from '../runtime.ts';
import { startCampaignScheduler } from '../campaigns/scheduler.ts';
import { startScoreSchedule } from '../scores/schedule.ts';
import { startAlerts } from '../alerts/run-alerts.ts';
import { startJobRecovery } from '../jobs/job-kinds.ts';
import { startRetention } from '../retention/retention.ts';
import { startFactShipper } from '../facts/ship.ts';
import { startAttribution } from '../conversions/attribute.ts';
import { sweepRelapses } from '../reports/relapse-sweep.ts';
import { startBonusGrants } from '../campaigns/offer-bonuses.ts';
import { startDeliveryWorker } from '../delivery/worker.ts';
import { providersOf } from '../delivery/providers/provider-runtime.ts';
import { warnEmailOverHttp } from '../delivery/providers/email-https-warning.ts';
import { composeExtensions } from '../automation/compose-extensions.ts';
import { loopbackUrl } from './remote/discovery.ts';
import { publishLocalAccess, type LocalAccess } from './remote/local-access.ts';
import { registerLocalRoutes } from './remote/local-routes.ts';

const packageVersion = (): string => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
};

/** Starts the HTTP server and stops it cleanly on SIGINT/SIGTERM (drain, then close the stores). */
export const serve = async (rt: Runtime): Promise<FastifyInstance> => {
  const app = buildServer(rt);
  // The CLI run while this serves goes through the API (src/cli/remote): it finds this process
  // in <dataDir>/server.json and uses the local admin credential next to it.
  let local: LocalAccess | undefined;
  registerLocalRoutes(app, rt, () => local?.token ?? '');
  const address = await app.listen({ host: rt.config.host, port: rt.config.port });
  if (rt.dataDirLock !== undefined) {
    const port = (app.server.address() as AddressInfo).port;
    // Serving matters more than the CLI's way in: a failure here is logged, not fatal.
    local = await publishLocalAccess(rt, loopbackUrl(rt.config.host, port), packageVersion()).catch(
      (e: unknown) => {
        app.log.error({ err: e }, 'writing server.json and the local admin credential failed');
        return undefined;
      },
    );
  }
  process.stdout.write(`Rekindle listening on ${address}\n`);
  // `--port 0` takes a free port; links in messages must name the one taken (set before the workers start).
  if (rt.config.port === 0 && rt.config.publicUrl === `http://${rt.config.host}:0`)
    rt.config.publicUrl = `http://${rt.config.host}:${(app.server.address() as AddressInfo).port}`;
  // Bulk-mail receivers refuse one-click unsubscribe links that are not HTTPS: say so before sending.
  await warnEmailOverHttp(rt.control, rt.config.publicUrl).catch((e: unknown) =>
    app.log.error({ err: e }, 'checking e-mail providers against the public URL failed'),
  );
  const scoring = startScoreSchedule(rt, { everyMinutes: rt.config.scoreEveryMinutes, log: app.log });
  const planner = startCampaignScheduler(rt, {
    pollSeconds: rt.config.plannerPollSeconds,
    triggerPollMs: rt.config.triggerPollMs,
    log: app.log,
  });
  const facts = startFactShipper(rt, { everyMs: rt.config.factShipMs, log: app.log });
  const attribution = startAttribution(rt, {
    everyMinutes: rt.config.attributeEveryMinutes,
    log: app.log,
    after: () => sweepRelapses(rt),
  });
  // Conditional offer bonuses earned by the users' events, granted once (src/campaigns/offer-bonuses.ts).
  const bonuses = startBonusGrants(rt, { everyMinutes: rt.config.attributeEveryMinutes, log: app.log });
  const alerts = startAlerts(rt, { everySeconds: rt.config.alertEverySeconds, log: app.log });
  // Jobs a stopped process left running are resumed or failed (src/core/jobs/restart.ts).
  const jobRecovery = startJobRecovery(rt, { everyMs: 10_000, log: app.log });
  const retention = startRetention(rt, { everyMinutes: rt.config.retentionEveryMinutes, log: app.log });
  // The API and the workers share one registry, so a provider change reaches the workers at once.
  // Webhook messages go only to webhook providers an admin configured: a message never names its
  // own endpoint (there is no built-in fallback that posted to the content's url).
  const providers = providersOf(rt).registry;
  const delivery =
    rt.config.deliveryWorkers > 0
      ? startDeliveryWorker(rt, providers, {
          loops: rt.config.deliveryWorkers,
          leaseMs: rt.config.deliveryLeaseSeconds * 1000,
          extensions: composeExtensions(rt),
          log: (msg, e) => app.log.error({ err: e }, msg),
        })
      : undefined;
  // Triggered campaigns look at new events as soon as a commit stores them, not only on the poll.
  rt.ingest.onCommit(() => planner.afterCommit());
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: stopping\n`);
    // The directory stays locked through the drain; a process refused meanwhile is told why.
    rt.dataDirLock?.markStopping();
    await local?.withdraw();
    await planner.stop();
    await delivery?.stop();
    await providers.close();
    await scoring.stop();
    await facts.stop();
    await attribution.stop();
    await bonuses.stop();
    await alerts.stop();
    await jobRecovery.stop();
    await retention?.stop();
    await app.close();
    await rt.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  return app;
};
