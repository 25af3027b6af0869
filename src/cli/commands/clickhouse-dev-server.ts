import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';

/**
 * `rekindle clickhouse-dev-server`: chDB behind the ClickHouse HTTP interface, so that several
 * Rekindle processes can share one ClickHouse on a machine without a ClickHouse server (chDB
 * allows one process per data path). A development and test aid, never a production server.
 */
export const registerClickHouseDevServerCommand = (program: Command): void => {
  program
    .command('clickhouse-dev-server')
    .description(
      'DEVELOPMENT AND TESTS ONLY: serve a chDB data directory over the ClickHouse HTTP interface ' +
        '(no users, loopback by default), a stand-in for a ClickHouse server so several processes ' +
        'can share one ClickHouse; production uses a ClickHouse server (docs/deploy.md)',
    )
    .requiredOption('--path <dir>', 'the chDB data directory (one process per directory)')
    .addOption(new Option('--port <port>', 'HTTP port (0: a free one)').default(8123).argParser(Number))
    .addOption(new Option('--host <host>', 'address to bind').default('127.0.0.1'))
    .addOption(
      new Option('--sessions <n>', 'engine sessions, i.e. statements run at once')
        .default(8)
        .argParser(Number),
    )
    .action(async (opts: { path: string; port: number; host: string; sessions: number }) => {
      const { startDevServer } = await import('../../storage/clickhouse/http-front/server.ts');
      const path = resolve(opts.path);
      mkdirSync(path, { recursive: true });
      const server = await startDevServer({
        path,
        port: opts.port,
        host: opts.host,
        sessions: opts.sessions,
      });
      process.stdout.write(
        `ClickHouse dev server (chDB at ${path}; development and tests only) listening on ${server.url}\n`,
      );
      const stop = (): void => {
        void server.close().then(() => process.exit(0));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
};
