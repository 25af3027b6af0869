import { audiencesSuite } from '../support/audiences-engine-suite.ts';

/** The audience service on ClickHouse (chDB); test/audiences-engines.test.ts runs it on DuckDB. */
audiencesSuite('clickhouse');
