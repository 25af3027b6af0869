import { audiencesSuite } from './support/audiences-engine-suite.ts';

/** The audience service on DuckDB; test/clickhouse/audiences-engines.test.ts runs it on ClickHouse. */
audiencesSuite('duckdb');
