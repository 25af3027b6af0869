import { defineConfig } from 'vitest/config';

/**
 * The ClickHouse engine's suites (`npm run test:clickhouse`): chDB in-process by default, a
 * ClickHouse server through `@clickhouse/client` when CLICKHOUSE_URL is set. Kept apart from
 * `npm test` because chDB (~550 MB) is installed only for them (scripts/install-clickhouse-engine.mjs).
 */
export default defineConfig({
  test: {
    include: ['test/clickhouse/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
  },
});
