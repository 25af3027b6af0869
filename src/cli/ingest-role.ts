import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { RekindleConfig } from '../config.ts';
import { IngestQueue } from '../ingest/ingest-queue.ts';
import { systemClock } from '../lib/system-clock.ts';
import { registerJsonBodyParser } from '../server/body/json-body-parser.ts';
import { registerIngestRoutes } from '../server/routes/ingest.ts';
import { typed } from '../server/schemas/type-provider.ts';
import { typeboxValidatorCompiler } from '../server/validation.ts';
import { ClickHouseWarehouse } from '../storage/clickhouse/clickhouse-warehouse.ts';
import { openClickHouseIngestSink } from '../storage/clickhouse/ingest-sink.ts';
import type { ClickHouseTarget } from '../storage/clickhouse/target.ts';
import { migrate } from '../storage/control/migrate.ts';
import { openSqlClient } from '../storage/control/sql-client.ts';
import { addWriteKey } from '../storage/control/write-keys.ts';
import { lockDataDir } from '../storage/data-dir-lock.ts';

const describe = (t: ClickHouseTarget): string =>
  t.kind === 'chdb' ? `chDB at ${t.path}, database ${t.database}` : `${t.url}, database ${t.database}`;

/**
 * `rekindle serve` on a ClickHouse warehouse: the ingestion API (Segment's /v1/* routes, write keys
 * from the control plane) committing to ClickHouse, in as many processes as the load needs. A 200
 * means the records are in ClickHouse (clickhouse-warehouse.ts); a request retried in another
 * process is stored once (storage/clickhouse/ingest-sink.ts).
 */
export const serveIngestRole = async (
  config: RekindleConfig,
  target: ClickHouseTarget,
): Promise<FastifyInstance> => {
  process.stdout.write(
    `Rekindle ingest role on ClickHouse (${describe(target)}): this process serves ingestion only ` +
      `(/v1/track, /v1/identify, /v1/page, /v1/screen, /v1/group, /v1/alias, /v1/batch). Audiences, ` +
      `campaigns, the planner, delivery, scores, reports and the console are not started: they need ` +
      `the DuckDB warehouse for now.\n`,
  );
  // PGlite's files are one process's: an embedded control plane holds the data directory.
  const lock = config.databaseUrl === undefined ? lockDataDir(config.dataDir) : undefined;
  const control = await openSqlClient({ databaseUrl: config.databaseUrl, pgliteDir: config.pgliteDir });
  let warehouse: ClickHouseWarehouse | undefined;
  try {
    await migrate(control);
    if (config.writeKey) await addWriteKey(control, config.writeKey, 'from REKINDLE_WRITE_KEY');
    warehouse = await ClickHouseWarehouse.open(target);
    const ingest = await IngestQueue.openOn(await openClickHouseIngestSink(warehouse), {
      clock: systemClock,
      windowMs: config.dedupWindowHours * 3600_000,
    });
    const app = Fastify({
      bodyLimit: config.maxBodyBytes,
      // Bodies and auth headers are never logged (write keys, personal data), as in server/app.ts.
      logger: { level: config.logLevel, redact: ['req.headers.authorization'] },
      logController: new LogController({ disableRequestLogging: true }),
    });
    app.removeContentTypeParser('application/json');
    registerJsonBodyParser(app);
    app.setValidatorCompiler(typeboxValidatorCompiler);
    app.get('/healthz', async () => ({ ok: true, role: 'ingest' }));
    registerIngestRoutes(typed(app), { config, control, clock: systemClock, ingest });
    const address = await app.listen({ host: config.host, port: config.port });
    process.stdout.write(`Rekindle listening on ${address}\n`);
    const opened = warehouse;
    let stopping = false;
    const stop = async (signal: string): Promise<void> => {
      if (stopping) return;
      stopping = true;
      process.stdout.write(`${signal}: stopping\n`);
      // Requests in flight finish (and their commits with them) before the stores close.
      await app.close();
      await ingest.drained();
      await opened.close();
      await control.close();
      lock?.release();
      process.exit(0);
    };
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('SIGTERM', () => void stop('SIGTERM'));
    return app;
  } catch (e) {
    await warehouse?.close().catch(() => undefined);
    await control.close().catch(() => undefined);
    lock?.release();
    throw e;
  }
};
