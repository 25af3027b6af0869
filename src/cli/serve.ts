import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { buildServer } from '../server/app.ts';
import type { Runtime } from '../runtime.ts';
import { startCampaignScheduler } from '../campaigns/scheduler.ts';
import { startScoreSchedule } from '../scores/schedule.ts';
import { startAlerts } from '../alerts/run-alerts.ts';
import { startJobRecovery } from '../jobs/job-kinds.ts';
import { startRetention } from '../retention/retention.ts';
import { startFactShipper } from '../facts/ship.ts';
import { startIdentityStitching } from '../ingest/identity-stitch-loop.ts';
import { startAttribution } from '../conversions/attribute.ts';
import { sweepRelapses } from '../reports/relapse-sweep.ts';
import { startBonusGrants } from '../campaigns/offer-bonuses.ts';
import { startDeliveryWorker } from '../delivery/worker.ts';
import { providersOf } from '../delivery/providers/provider-runtime.ts';
import { warnEmailOverHttp } from '../delivery/providers/email-https-warning.ts';
import { composeExtensions } from '../automation/compose-extensions.ts';
import { loopbackUrl } from './remote/discovery.ts';
import { startLeaderElection } from '../cluster/leader.ts';
import { ownerAliveCheck } from '../cluster/members.ts';
import { installationOf } from '../storage/control/cluster.ts';
import { jobsOf } from '../jobs/job-registry.ts';
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
  // The API (above), ingestion and the delivery workers run in every process; the loops below
  // run on the one leader only (src/cluster/leader.ts; always this process on PGlite).
  const providers = providersOf(rt).registry;
  const delivery =
    rt.config.deliveryWorkers > 0
      ? // Everywhere: claims take rows with SKIP LOCKED under a lease, each wave is marked started
        // before its calls, so workers in several processes never send one message twice
        // (src/outbox/claim.ts); more processes, more sending.
        startDeliveryWorker(rt, providers, {
          loops: rt.config.deliveryWorkers,
          leaseMs: rt.config.deliveryLeaseSeconds * 1000,
          extensions: composeExtensions(rt),
          log: (msg, e) => app.log.error({ err: e }, msg),
        })
      : undefined;
  const jobOwner = jobsOf(rt).owner;
  // On PostgreSQL a late heartbeat alone does not make a job orphaned: its process must be gone too.
  const ownerAlive =
    rt.control.kind === 'postgres'
      ? ownerAliveCheck(rt.control, await installationOf(rt.control))
      : undefined;
  let leading: LeaderLoops | undefined;
  const election = startLeaderElection({
    control: rt.control,
    databaseUrl: rt.config.databaseUrl,
    pollMs: rt.config.leaderPollMs,
    owner: jobOwner,
    clock: rt.clock,
    log: app.log,
  });
  election.onChange(async (leader) => {
    if (leader) leading = startLeaderLoops(rt, app.log, ownerAlive);
    else {
      const loops = leading;
      leading = undefined;
      await loops?.stop();
    }
  });
  // Triggered campaigns look at new events as soon as a commit stores them, not only on the poll
  // (the leader's; another process's commits reach the leader's trigger poll).
  rt.ingest.onCommit(() => leading?.afterCommit());
  await election.start();
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: stopping\n`);
    // The directory stays locked through the drain; a process refused meanwhile is told why.
    rt.dataDirLock?.markStopping();
    await local?.withdraw();
    // The leader's loops first (the planner before delivery, as ever), then the lock goes back.
    await election.stop();
    await delivery?.stop();
    await providers.close();
    await app.close();
    await rt.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  return app;
};

interface LeaderLoops {
  afterCommit(): void;
  stop(): Promise<void>;
}

/**
 * The loops of the leader only, started when this process takes the lead and stopped (each
 * awaited) when it loses it. Why each is not run in every process:
 */
const startLeaderLoops = (
  rt: Runtime,
  log: FastifyBaseLogger,
  ownerAlive: ((owner: string) => Promise<boolean>) | undefined,
): LeaderLoops => {
  // Scoring writes a new run of every user's scores: N processes would score N times an hour.
  const scoring = startScoreSchedule(rt, { everyMinutes: rt.config.scoreEveryMinutes, log });
  // Planning is safe in several processes (the workspace's planner lock and the re-check of what
  // is still due inside it, src/planner/run-slot.ts), but each would snapshot every due audience
  // for nothing; triggers queue their matches idempotently (one row per campaign and event) and
  // plan the queue under that lock, but N processes would each scan the new events.
  const planner = startCampaignScheduler(rt, {
    pollSeconds: rt.config.plannerPollSeconds,
    triggerPollMs: rt.config.triggerPollMs,
    log,
  });
  // One shipper of message_log → message_facts, so facts are shipped once into a shared warehouse.
  const facts = startFactShipper(rt, { everyMs: rt.config.factShipMs, log });
  // On ClickHouse ids are linked after commit (DuckDB links inside its one writer): one pass decides
  // each request once, in time order, and moves the merged ids' rows.
  const stitching =
    rt.engine.kind === 'clickhouse'
      ? startIdentityStitching(rt, rt.engine.warehouse, { everyMs: rt.config.identityStitchMs, log })
      : null;
  // Attribution, relapse sweeps and bonus grants read and write the warehouse's whole history: one
  // pass at a time, not N racing passes.
  const attribution = startAttribution(rt, {
    everyMinutes: rt.config.attributeEveryMinutes,
    log,
    after: () => sweepRelapses(rt),
  });
  // Conditional offer bonuses earned by the users' events, granted once (src/campaigns/offer-bonuses.ts).
  const bonuses = startBonusGrants(rt, { everyMinutes: rt.config.attributeEveryMinutes, log });
  // Alerts notify people: N evaluators would send N notifications of one incident.
  const alerts = startAlerts(rt, { everySeconds: rt.config.alertEverySeconds, log });
  // Jobs a stopped process left running are resumed or failed (src/core/jobs/restart.ts): only a
  // dead process's, never a live one's (ownerAlive), by one recoverer.
  const jobRecovery = startJobRecovery(rt, {
    everyMs: 10_000,
    log,
    ...(ownerAlive ? { ownerAlive } : {}),
  });
  // Deleting old rows is one pass over each table; N would only contend for the same rows.
  const retention = startRetention(rt, { everyMinutes: rt.config.retentionEveryMinutes, log });
  return {
    afterCommit: () => planner.afterCommit(),
    stop: async () => {
      await planner.stop();
      await scoring.stop();
      await facts.stop();
      await stitching?.stop();
      await attribution.stop();
      await bonuses.stop();
      await alerts.stop();
      await jobRecovery.stop();
      await retention?.stop();
    },
  };
};
