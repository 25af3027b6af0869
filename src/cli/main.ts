import { Command, Option } from 'commander';
import { loadConfig, type RekindleConfig } from '../config.ts';
import type { Runtime } from '../runtime.ts';
import { roleFor, type ServeRole } from './serve-role.ts';
import {
  checkedHelpManifest,
  commandWord,
  onlyHelp,
  readHelpManifest,
  addStub,
  type CommandModule,
} from './lazy-commands.ts';

// Start-up (issue 20): a command's modules are imported only when that command runs, and help
// comes from the manifest the build writes beside the compiled main.js (src/cli/lazy-commands.ts).

const newProgram = (): Command =>
  new Command()
    .name('rekindle')
    .description('Rekindle: find drifting users, win them back cheaply, prove what it returned')
    .option('--data-dir <dir>', 'where the embedded stores live (env REKINDLE_DATA_DIR)');

const program = newProgram();

/** `overrides` (e.g. `--port`) go through loadConfig, so what derives from them (the public URL) follows. */
const config = (overrides: Partial<RekindleConfig> = {}): RekindleConfig => {
  const dataDir = program.opts<{ dataDir?: string }>().dataDir;
  return loadConfig(process.env, { ...(dataDir ? { dataDir } : {}), ...overrides });
};

const runtime = async (): Promise<Runtime> => (await import('../runtime.ts')).openRuntime(config());

/** Every top-level command, in the order help lists them, by the module that registers it. */
const COMMANDS: readonly CommandModule[] = [
  {
    names: ['serve'],
    register: (p) =>
      p
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
          const { serve } = await import('./serve.ts');
          // The runtime of `c`: --port and --host are in it (a bare config() would drop them).
          await serve(await (await import('../runtime.ts')).openRuntime(c));
        }),
  },
  {
    names: ['compact'],
    register: (p) =>
      p
        .command('compact')
        .description(
          'sort the events table by (event, time) so audiences skip what they do not need (stop the server first)',
        )
        .action(async () => {
          const { lockDataDir } = await import('../storage/data-dir-lock.ts');
          const { Warehouse } = await import('../storage/warehouse/warehouse.ts');
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
        }),
  },
  {
    names: ['attribute'],
    register: async (p) => (await import('./commands/attribute.ts')).registerAttributeCommand(p, runtime),
  },
  {
    names: ['export'],
    register: async (p) => (await import('./commands/export.ts')).registerExportCommand(p, runtime),
  },
  {
    names: ['ship-facts'],
    register: (p) =>
      p
        .command('ship-facts')
        .description(
          'copy new message_log entries into the warehouse message_facts now (stop the server first)',
        )
        .action(async () => {
          const { shipFacts } = await import('../facts/ship.ts');
          const rt = await runtime();
          const r = await shipFacts(rt.control, rt.warehouse, { clock: rt.clock });
          await rt.close();
          process.stdout.write(
            `Shipped ${r.shipped} facts; cursor ${r.cursor}${r.waiting ? ' (waiting on a gap)' : ''}.\n`,
          );
        }),
  },
  { names: ['btyd'], register: async (p) => (await import('./commands/btyd.ts')).registerBtydCommand(p) },
  {
    names: ['clickhouse-dev-server'],
    register: async (p) =>
      (await import('./commands/clickhouse-dev-server.ts')).registerClickHouseDevServerCommand(p),
  },
  {
    names: ['churn'],
    register: async (p) => (await import('./commands/churn.ts')).registerChurnCommands(p, runtime),
  },
  {
    names: ['control'],
    register: async (p) => (await import('./commands/control-copy.ts')).registerControlCopyCommand(p, config),
  },
  {
    names: ['demo', 'generate'],
    register: async (p) => (await import('./commands/demo.ts')).registerDemoCommands(p, config),
  },
  {
    names: ['import'],
    register: async (p) =>
      (await import('./commands/import.ts')).registerImportCommand(p, async () => {
        const { lockDataDir } = await import('../storage/data-dir-lock.ts');
        const { Warehouse } = await import('../storage/warehouse/warehouse.ts');
        const c = config();
        // Released when the process exits, after the import closed the warehouse.
        lockDataDir(c.dataDir);
        return Warehouse.open(c.warehousePath);
      }),
  },
  {
    names: ['keys'],
    register: async (p) => (await import('./commands/keys.ts')).registerKeysCommand(p, runtime),
  },
  {
    names: ['plan', 'campaigns'],
    register: async (p) => (await import('./commands/plan.ts')).registerPlanCommands(p, runtime),
  },
  {
    names: ['providers'],
    register: async (p) => (await import('./commands/providers.ts')).registerProvidersCommand(p, runtime),
  },
  {
    names: ['retention'],
    register: async (p) => (await import('./commands/retention.ts')).registerRetentionCommand(p, runtime),
  },
  {
    names: ['scores', 'analyse', 'analyze', 'import-reasons'],
    register: async (p) => (await import('./commands/scores.ts')).registerScoresCommands(p, runtime),
  },
  {
    names: ['users'],
    register: async (p) => (await import('./commands/users.ts')).registerUsersCommand(p, runtime),
  },
  {
    names: ['uplift'],
    register: async (p) => (await import('./commands/uplift.ts')).registerUpliftCommands(p),
  },
  {
    names: ['warehouse'],
    register: async (p) =>
      (await import('./commands/warehouse-copy.ts')).registerWarehouseCopyCommand(p, config),
  },
];

const main = async (): Promise<void> => {
  const manifestOut = process.env.REKINDLE_BUILD_HELP_MANIFEST;
  if (manifestOut !== undefined) {
    // scripts/build-cli.mjs: write the checked manifest of the compiled commands, then stop.
    const { writeFileSync } = await import('node:fs');
    const manifest = await checkedHelpManifest(newProgram, COMMANDS);
    if (!manifest.ok) throw new Error(`no help manifest: ${manifest.error}`);
    writeFileSync(manifestOut, JSON.stringify(manifest.value));
    return;
  }
  const argv = process.argv.slice(2);
  const manifest = onlyHelp(program, argv)
    ? readHelpManifest(new URL('./help-manifest.json', import.meta.url))
    : undefined;
  if (manifest !== undefined) {
    for (const shape of manifest) addStub(program, shape);
    await program.parseAsync(process.argv);
    return;
  }
  const word = commandWord(program, argv);
  const chosen = COMMANDS.filter((m) => word !== undefined && m.names.includes(word));
  // An unknown word or `help`: every command, for commander's suggestion or help.
  for (const m of chosen.length > 0 ? chosen : COMMANDS) await m.register(program);
  // While a server holds the data directory, commands go through its API (src/cli/remote).
  const { AnsweredRemotely, routeThroughServer } = await import('./remote/intercept.ts');
  routeThroughServer(program, () => config().dataDir);
  try {
    await program.parseAsync(process.argv);
  } catch (e) {
    if (e instanceof AnsweredRemotely) {
      process.exitCode = e.exitCode;
      return;
    }
    throw e;
  }
};

main().catch((e: unknown) => {
  process.stderr.write(`rekindle: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
});
