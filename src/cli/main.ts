import { Command, Option } from 'commander';
import { loadConfig, type RekindleConfig } from '../config.ts';
import { openRuntime } from '../runtime.ts';
import { Warehouse } from '../storage/warehouse/warehouse.ts';
import { lockDataDir } from '../storage/data-dir-lock.ts';
import { registerAttributeCommand } from './commands/attribute.ts';
import { registerBtydCommand } from './commands/btyd.ts';
import { registerExportCommand } from './commands/export.ts';
import { registerChurnCommands } from './commands/churn.ts';
import { registerControlCopyCommand } from './commands/control-copy.ts';
import { registerDemoCommands } from './commands/demo.ts';
import { registerImportCommand } from './commands/import.ts';
import { registerKeysCommand } from './commands/keys.ts';
import { registerPlanCommands } from './commands/plan.ts';
import { registerRetentionCommand } from './commands/retention.ts';
import { registerProvidersCommand } from './commands/providers.ts';
import { registerScoresCommands } from './commands/scores.ts';
import { registerUsersCommand } from './commands/users.ts';
import { registerUpliftCommands } from './commands/uplift.ts';
import { registerWarehouseCopyCommand } from './commands/warehouse-copy.ts';
import { serve } from './serve.ts';
import { roleFor, type ServeRole } from './serve-role.ts';
import { registerClickHouseDevServerCommand } from './commands/clickhouse-dev-server.ts';
import { shipFacts } from '../facts/ship.ts';
import { AnsweredRemotely, routeThroughServer } from './remote/intercept.ts';

const program = new Command()
  .name('rekindle')
  .description('Rekindle: find drifting users, win them back cheaply, prove what it returned')
  .option('--data-dir <dir>', 'where the embedded stores live (env REKINDLE_DATA_DIR)');

/** `overrides` (e.g. `--port`) go through loadConfig, so what derives from them (the public URL) follows. */
const config = (overrides: Partial<RekindleConfig> = {}): RekindleConfig => {
  const dataDir = program.opts<{ dataDir?: string }>().dataDir;
  return loadConfig(process.env, { ...(dataDir ? { dataDir } : {}), ...overrides });
};

program
  .command('serve')
  .description('start the HTTP server (Segment-spec ingestion at /v1/track, /v1/identify, /v1/batch)')
  .addOption(new Option('--port <port>', 'port to listen on (env PORT)').argParser(Number))
  .addOption(new Option('--host <host>', 'address to bind (env HOST)'))
  .addOption(
    new Option(
      '--role <role>',
      'all (default): the whole product; ingest: the ingestion routes only, a process added for ingestion on a ClickHouse warehouse (REKINDLE_WAREHOUSE)',
    ).choices(['all', 'ingest']),
  )
  .action(async (opts: { port?: number; host?: string; role?: ServeRole }) => {
    const c = config({
      ...(opts.port === undefined ? {} : { port: opts.port }),
      ...(opts.host === undefined ? {} : { host: opts.host }),
    });
    const role = roleFor(c.clickhouseWarehouse, opts.role);
    if (!role.ok) throw new Error(role.error);
    if (role.value === 'ingest' && c.clickhouseWarehouse !== undefined) {
      // Loaded only here: the embedded default's start never loads the ClickHouse client.
      const { serveIngestRole } = await import('./ingest-role.ts');
      await serveIngestRole(c, c.clickhouseWarehouse);
      return;
    }
    await serve(await openRuntime(c));
  });

program
  .command('compact')
  .description(
    'sort the events table by (event, time) so audiences skip what they do not need (stop the server first)',
  )
  .action(async () => {
    const c = config();
    const lock = lockDataDir(c.dataDir);
    const warehouse = await Warehouse.open(c.warehousePath);
    const started = performance.now();
    const rows = await warehouse.compactEvents();
    warehouse.close();
    lock.release();
    process.stdout.write(
      `Compacted ${rows} events in ${((performance.now() - started) / 1000).toFixed(1)} s.\n`,
    );
  });

registerAttributeCommand(program, () => openRuntime(config()));
registerExportCommand(program, () => openRuntime(config()));
program
  .command('ship-facts')
  .description('copy new message_log entries into the warehouse message_facts now (stop the server first)')
  .action(async () => {
    const rt = await openRuntime(config());
    const r = await shipFacts(rt.control, rt.warehouse, { clock: rt.clock });
    await rt.close();
    process.stdout.write(
      `Shipped ${r.shipped} facts; cursor ${r.cursor}${r.waiting ? ' (waiting on a gap)' : ''}.\n`,
    );
  });

registerBtydCommand(program);
registerClickHouseDevServerCommand(program);
registerChurnCommands(program, () => openRuntime(config()));
registerControlCopyCommand(program, config);
registerDemoCommands(program, config);
registerImportCommand(program, () => {
  const c = config();
  // Released when the process exits, after the import closed the warehouse.
  lockDataDir(c.dataDir);
  return Warehouse.open(c.warehousePath);
});
registerKeysCommand(program, () => openRuntime(config()));
registerPlanCommands(program, () => openRuntime(config()));
registerProvidersCommand(program, () => openRuntime(config()));
registerRetentionCommand(program, () => openRuntime(config()));
registerScoresCommands(program, () => openRuntime(config()));
registerUsersCommand(program, () => openRuntime(config()));
registerUpliftCommands(program);
registerWarehouseCopyCommand(program, config);

// While a server holds the data directory, commands go through its API (src/cli/remote).
routeThroughServer(program, () => config().dataDir);

program.parseAsync(process.argv).catch((e: unknown) => {
  if (e instanceof AnsweredRemotely) {
    process.exitCode = e.exitCode;
    return;
  }
  process.stderr.write(`rekindle: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
});
